//! Incremental sync on a timer while the app is open, sharing one gate with
//! manual syncs: never two syncs at once, and a tick that finds a sync
//! running skips (so the timer pauses while a manual sync runs).
//!
//! The loop asks for the stack to sync at every tick, so it follows
//! profile switches, and it only syncs a cache
//! that has been synced once: the first sync can be big and is the user's
//! to start, with its progress bar and cancel.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use stratus_core::db::Db;
use stratus_core::jobs::{CancellationToken, Progress};
use stratus_core::store::ObjectStore;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::Result;
use crate::sync::ledger;
use crate::sync::retention::{apply_retention, Retention};
use crate::sync::{sync, SyncOptions, SyncReport};

/// One per app: whoever holds it is syncing.
#[derive(Clone, Default)]
pub struct SyncGate {
    lock: Arc<Mutex<()>>,
}

impl SyncGate {
    pub fn new() -> Self {
        Self::default()
    }

    /// True while a sync (manual or timed) runs.
    pub fn is_busy(&self) -> bool {
        self.lock.try_lock().is_err()
    }

    /// Waits for a running sync to end, then holds the gate.
    pub async fn enter(&self) -> OwnedMutexGuard<()> {
        Arc::clone(&self.lock).lock_owned().await
    }

    /// Holds the gate unless a sync is running.
    pub fn try_enter(&self) -> Option<OwnedMutexGuard<()>> {
        Arc::clone(&self.lock).try_lock_owned().ok()
    }
}

/// A sync that waits its turn at the gate (a manual "Sync now").
pub async fn sync_exclusive(
    gate: &SyncGate,
    db: &Db,
    store: Arc<dyn ObjectStore>,
    options: &SyncOptions,
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<SyncReport> {
    if gate.is_busy() {
        progress(Progress::new(0, None, "waiting for the background sync"));
    }
    let _turn = tokio::select! {
        turn = gate.enter() => turn,
        () = cancel.cancelled() => return Ok(SyncReport { cancelled: true, ..SyncReport::default() }),
    };
    sync(db, store, options, progress, cancel).await
}

/// What one tick did.
#[derive(Debug)]
pub enum Tick {
    Synced(Result<SyncReport>),
    /// A sync was already running.
    Busy,
    /// The cache was never synced: the first sync is started by the user.
    NeverSynced,
}

/// One tick: syncs `db` from `store` if the gate is free and the cache was
/// synced before.
pub async fn tick(
    gate: &SyncGate,
    db: &Db,
    store: Arc<dyn ObjectStore>,
    options: &SyncOptions,
    cancel: &CancellationToken,
) -> Tick {
    let Some(_turn) = gate.try_enter() else {
        return Tick::Busy;
    };
    let source = options.prefix.clone();
    let synced_before = db
        .call(move |c| -> Result<_> { Ok(ledger::sync_status(c, &source)?.last_sync_at.is_some()) })
        .await;
    match synced_before {
        Ok(false) => Tick::NeverSynced,
        Ok(true) => Tick::Synced(sync(db, store, options, |_| {}, cancel).await),
        Err(e) => Tick::Synced(Err(e)),
    }
}

/// What a timed sync works on: the active profile's cache, its bucket and
/// the retention the cache is kept to.
pub struct SyncTarget {
    pub db: Db,
    pub store: Arc<dyn ObjectStore>,
    pub retention: Retention,
}

/// Every `every` (first tick one interval after the start), syncs the target
/// that `current` returns at that moment, until `cancel` trips; a sync that
/// brought events is followed by a prune to the retention. `on_tick` hears
/// each outcome (for logs).
pub async fn autosync<F, Fut>(
    gate: SyncGate,
    every: Duration,
    current: F,
    options: SyncOptions,
    on_tick: impl Fn(&Tick),
    cancel: CancellationToken,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = SyncTarget>,
{
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let target = current().await;
        let outcome = tick(&gate, &target.db, target.store, &options, &cancel).await;
        if let Tick::Synced(Ok(report)) = &outcome {
            if report.events_inserted > 0 {
                if let Err(e) = apply_retention(&target.db, target.retention).await {
                    tracing::warn!("pruning the events cache after a timed sync failed: {e}");
                }
            }
        }
        on_tick(&outcome);
    }
}
