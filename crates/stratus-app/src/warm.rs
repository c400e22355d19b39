//! The warm-up job: one preset for every original under a prefix.

use stratus_core::jobs::JobContext;
use stratus_core::Failure;
use stratus_media::warm::{warm, WarmReport};
use stratus_media::{PresetCatalog, VariantService};

/// What the job is asked: a preset, and the prefix its originals are under.
pub struct WarmUp {
    pub preset: String,
    pub prefix: String,
}

impl WarmUp {
    /// The job's title in the Jobs panel.
    pub fn title(&self) -> String {
        let scope = if self.prefix.is_empty() {
            "all originals"
        } else {
            &self.prefix
        };
        format!("Warm {} for {scope}", self.preset)
    }

    /// The job body: warms, then sums the outcome up (see [`verdict`]).
    pub async fn job(
        self,
        service: &VariantService,
        catalog: &PresetCatalog,
        ctx: JobContext,
    ) -> Result<String, Failure> {
        let report = warm(
            service,
            catalog,
            &self.preset,
            &self.prefix,
            ctx.reporter(),
            ctx.cancel_token(),
        )
        .await
        .map_err(|e| Failure::of(&e))?;
        verdict(&report)
    }
}

/// A warm-up's end as a job's: the counts, or a failure that carries the
/// first failed original's code (`too_large`, `undecodable`…) and names
/// every failed key. A cancelled one is cancelled.
pub fn verdict(report: &WarmReport) -> Result<String, Failure> {
    if report.cancelled {
        return Err(Failure::of(&stratus_core::Error::Cancelled));
    }
    let summary = format!("{} made, {} already there", report.made, report.already);
    let Some((_, first)) = report.failed.first() else {
        return Ok(summary);
    };
    let failures: Vec<String> = report
        .failed
        .iter()
        .map(|(key, e)| format!("{key}: {e}"))
        .collect();
    Err(Failure::new(
        first.code.clone(),
        format!(
            "{summary}, {} failed — {}",
            report.failed.len(),
            failures.join("; ")
        ),
    ))
}
