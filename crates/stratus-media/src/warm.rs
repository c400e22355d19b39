//! Warming: make one preset for every original under a prefix ahead of
//! traffic, as a job with progress and cancel; failures are listed per file
//! and never stop the rest.

use stratus_core::jobs::{CancellationToken, Progress};
use stratus_core::Failure;

use crate::error::Result;
use crate::originals::all_originals;
use crate::preset::PresetCatalog;
use crate::service::{Outcome, VariantService};

/// What a warm-up did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarmReport {
    pub made: usize,
    pub already: usize,
    /// Original key and the error's code and message, per failed file.
    pub failed: Vec<(String, Failure)>,
    /// Stopped by cancel before every original was done.
    pub cancelled: bool,
}

pub async fn warm(
    service: &VariantService,
    catalog: &PresetCatalog,
    preset: &str,
    prefix: &str,
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<WarmReport> {
    // Resolve first: an unknown preset fails the job at once, not per file.
    catalog.resolve(preset)?;
    let originals = all_originals(service.store(), prefix).await?;
    let total = originals.len() as u64;
    let mut report = WarmReport::default();
    progress(Progress::new(
        0,
        Some(total),
        format!("warming {preset} for {total} originals"),
    ));
    for (i, key) in originals.iter().enumerate() {
        if cancel.is_cancelled() {
            report.cancelled = true;
            break;
        }
        match service.get_variant(catalog, key, preset, None).await {
            Ok(v) if v.outcome == Outcome::Hit => report.already += 1,
            Ok(_) => report.made += 1,
            Err(e) => report.failed.push((key.clone(), Failure::of(&e))),
        }
        progress(Progress::new(i as u64 + 1, Some(total), key.clone()));
    }
    Ok(report)
}
