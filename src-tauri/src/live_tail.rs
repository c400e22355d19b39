//! The events cache's timed sync while the app is open: every
//! `AUTO_SYNC_EVERY`, the profile active at that moment (so it follows
//! profile switches), skipped while another sync runs.

use std::sync::Arc;

use stratus_core::jobs::CancellationToken;
use stratus_events::autosync::{autosync, Tick};
use stratus_events::sync::SyncOptions;

use crate::state::{AppState, AUTO_SYNC_EVERY};

/// Runs for the life of the app.
pub fn start(state: Arc<AppState>) {
    tauri::async_runtime::spawn(async move {
        let gate = state.sync_gate.clone();
        let current = move || {
            let state = Arc::clone(&state);
            async move {
                let stack = state.stack().await;
                (stack.db.clone(), Arc::clone(&stack.events))
            }
        };
        autosync(
            gate,
            AUTO_SYNC_EVERY,
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
