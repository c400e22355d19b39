//! Start-up: the window shows before any slow work, and the time to the
//! first interactive frame is logged so `bench/app/start.sh` can measure it
//! from outside the process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::state::AppState;

static PROCESS_START: OnceLock<Instant> = OnceLock::new();
static READY_LOGGED: AtomicBool = AtomicBool::new(false);

/// Called first thing in `run()`.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

/// Seeds missing demo data as a job once the app runs (not before the
/// window: the first seed takes seconds). A failure to start the job is
/// logged; the sections then show the demo as it is.
pub fn prepare_demo(state: Arc<AppState>) {
    tauri::async_runtime::spawn(async move {
        if let Err(e) = state.prepare_demo().await {
            tracing::error!("could not start preparing demo data: {e}");
        }
    });
}

/// The UI painted its first interactive frame: logged once, with the wall
/// clock (what the benchmark compares with the moment it started the
/// process) and the time since `run()` began.
pub fn first_frame() {
    if READY_LOGGED.swap(true, Ordering::SeqCst) {
        return;
    }
    let since_run = PROCESS_START.get().map(|t| t.elapsed().as_millis());
    let unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    tracing::info!(
        target: "stratus::startup",
        "first interactive frame: unix_ms={unix_ms} since_run_ms={}",
        since_run.map_or_else(|| "?".to_string(), |ms| ms.to_string())
    );
}
