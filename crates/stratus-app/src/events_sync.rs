//! The events sync job: the bucket into the profile's cache, then the cache
//! pruned to the profile's retention, so the app's "Sync now" and
//! `stratus events sync` keep the same cache.

use std::sync::Arc;

use stratus_core::db::Db;
use stratus_core::home::AppHome;
use stratus_core::jobs::{CancellationToken, JobContext, Progress};
use stratus_core::stack::Stack;
use stratus_core::store::ObjectStore;
use stratus_events::sync::autosync::{sync_exclusive, SyncGate};
use stratus_events::sync::retention::{
    apply_retention, load_retention, Retention, RetentionSettingError,
};
use stratus_events::sync::{SyncOptions, SyncReport};

/// One profile's cache to sync, and the retention it is kept to.
pub struct CacheSync {
    db: Db,
    events: Arc<dyn ObjectStore>,
    retention: Retention,
    pub options: SyncOptions,
}

/// What a sync did, prune included.
#[derive(Debug, Clone, Default)]
pub struct Synced {
    pub report: SyncReport,
    /// Events pruned by the retention after the sync (none after a cancel).
    pub pruned: u64,
}

impl Synced {
    /// "N older events pruned by the retention", when any were.
    pub fn pruned_note(&self) -> Option<String> {
        (self.pruned > 0).then(|| format!("{} older events pruned by the retention", self.pruned))
    }

    /// How the app's sync job ends.
    pub fn summary(&self) -> String {
        let r = &self.report;
        let mut summary = format!(
            "{} new events from {} objects ({} already synced, {} bad lines)",
            r.events_inserted, r.ingested, r.skipped, r.bad_lines
        );
        if let Some(note) = self.pruned_note() {
            summary.push_str(&format!("; {note}"));
        }
        summary
    }
}

impl CacheSync {
    /// Reads the profile's retention now, so an unreadable setting is
    /// refused before any work starts.
    pub fn new(home: &AppHome, stack: &Stack) -> Result<Self, RetentionSettingError> {
        Ok(CacheSync {
            db: stack.db.clone(),
            events: Arc::clone(&stack.events),
            retention: load_retention(&home.profile_dir(&stack.profile.name))?,
            options: SyncOptions::default(),
        })
    }

    pub fn with_options(self, options: SyncOptions) -> Self {
        CacheSync { options, ..self }
    }

    /// Waits for a sync holding `gate` (the app's timed one), syncs, then
    /// prunes; a cancelled sync keeps what it ingested and prunes nothing.
    pub async fn run(
        &self,
        gate: &SyncGate,
        progress: impl Fn(Progress),
        cancel: &CancellationToken,
    ) -> stratus_events::Result<Synced> {
        let report = sync_exclusive(
            gate,
            &self.db,
            Arc::clone(&self.events),
            &self.options,
            progress,
            cancel,
        )
        .await?;
        if report.cancelled {
            return Ok(Synced { report, pruned: 0 });
        }
        let pruned = apply_retention(&self.db, self.retention).await?;
        Ok(Synced { report, pruned })
    }

    /// The job body: [`CacheSync::run`] with the job's progress and cancel;
    /// a cancelled sync ends the job as cancelled.
    pub async fn job(self, gate: SyncGate, ctx: JobContext) -> stratus_events::Result<String> {
        let synced = self.run(&gate, ctx.reporter(), ctx.cancel_token()).await?;
        if synced.report.cancelled {
            return Err(stratus_events::Error::Cancelled);
        }
        Ok(synced.summary())
    }
}
