//! Live tail: incremental syncs on a timer while the app is open.

use std::sync::Arc;
use std::time::Duration;

use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use stratus_core::store::ObjectStore;

use crate::error::Result;
use crate::sync::{sync, SyncOptions, SyncReport};

/// Syncs now, then every `every`, until `cancel` trips. Each run's outcome
/// goes to `on_run`; a failed run (offline, throttled) does not end the
/// tail, the next tick retries from the same watermark.
pub async fn live_tail(
    db: &Db,
    store: Arc<dyn ObjectStore>,
    options: &SyncOptions,
    every: Duration,
    on_run: impl Fn(Result<SyncReport>),
    cancel: &CancellationToken,
) {
    loop {
        let outcome = sync(db, Arc::clone(&store), options, |_| {}, cancel).await;
        on_run(outcome);
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
