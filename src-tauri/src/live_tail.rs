//! The events cache's timed sync while the app is open: every
//! [`auto_sync_every`], the profile active at that moment (so it follows
//! profile switches), skipped while another sync runs.

use std::sync::Arc;
use std::time::Duration;

use stratus_core::jobs::CancellationToken;
use stratus_events::sync::autosync::{autosync, SyncTarget, Tick};
use stratus_events::sync::retention::load_retention;
use stratus_events::sync::SyncOptions;

use crate::state::AppState;

/// The interval: 60 s, or `STRATUS_AUTO_SYNC_SECS` (the end-to-end suite
/// shortens it to see a live tail without waiting a minute).
pub fn auto_sync_every() -> Duration {
    let secs = std::env::var("STRATUS_AUTO_SYNC_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&s| s > 0)
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// Runs for the life of the app.
pub fn start(state: Arc<AppState>) {
    tauri::async_runtime::spawn(async move {
        let gate = state.sync_gate.clone();
        let current = move || {
            let state = Arc::clone(&state);
            async move {
                let stack = state.stack().await;
                let retention = load_retention(&state.home.profile_dir(&stack.profile.name))
                    .unwrap_or_else(|e| {
                        tracing::warn!("events retention unreadable, keeping everything: {e}");
                        Default::default()
                    });
                SyncTarget {
                    db: stack.db.clone(),
                    store: Arc::clone(&stack.events),
                    retention,
                }
            }
        };
        autosync(
            gate,
            auto_sync_every(),
            current,
            SyncOptions::default(),
            log_tick,
            CancellationToken::new(),
        )
        .await;
    });
}

fn log_tick(tick: &Tick) {
    match tick {
        Tick::Synced(Ok(r)) if r.ingested > 0 => {
            tracing::info!("timed events sync: {} new events", r.events_inserted);
        }
        // The error is also recorded for the status panel.
        Tick::Synced(Err(e)) => tracing::warn!("timed events sync failed: {e}"),
        _ => {}
    }
}
