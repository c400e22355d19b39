//! The sync status panel: what the cache holds, how the last run ended, and
//! how many batch objects wait in the bucket.

use stratus_core::db::Db;
use stratus_core::store::ObjectStore;

use crate::error::Result;
use crate::sync::ledger::{self, SyncStatus};
use crate::sync::{objects_behind, SyncOptions};

/// The cache's status and the bucket's backlog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOverview {
    pub status: SyncStatus,
    /// Objects a sync would ingest now; `None` when the bucket could not be
    /// listed (then `behind_error` says why: offline, no access…).
    pub objects_behind: Option<u64>,
    pub behind_error: Option<String>,
}

/// Reads the status, then lists the bucket for the backlog. A failed
/// listing does not fail the overview: the cache is still browsable offline.
pub async fn sync_overview(
    db: &Db,
    store: &dyn ObjectStore,
    options: &SyncOptions,
) -> Result<SyncOverview> {
    let source = options.prefix.clone();
    let status = db
        .call(move |c| -> Result<_> { Ok(ledger::sync_status(c, &source)?) })
        .await?;
    let (objects_behind, behind_error) = match objects_behind(db, store, options).await {
        Ok(n) => (Some(n), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(SyncOverview {
        status,
        objects_behind,
        behind_error,
    })
}
