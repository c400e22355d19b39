//! Start-up: the window shows before any slow work, and the time to the
//! first interactive frame is logged so `bench/app/start.sh` can measure it
//! from outside the process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use stratus_app::campaign_runs::FOLLOW_EVERY;
use stratus_core::jobs::CancellationToken;

use crate::state::AppState;

static PROCESS_START: OnceLock<Instant> = OnceLock::new();
static READY_LOGGED: AtomicBool = AtomicBool::new(false);

/// Called first thing in `run()`.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

/// Starts seeding missing demo data as a job (the seed itself runs after
/// the window shows: the first one takes seconds). The job is registered
/// before this returns (milliseconds), so the UI's first job list already
/// holds it and shows the demo as preparing from the first frame. A
/// failure to start the job is logged; the sections then show the demo as
/// it is.
pub fn prepare_demo(state: &AppState) {
    if let Err(e) = tauri::async_runtime::block_on(state.prepare_demo()) {
        tracing::error!("could not start preparing demo data: {e}");
    }
}

/// Catches up the open profile's cloud runs every few seconds for the
/// life of the app, so a campaign the workers send moves in the list and
/// its run view (and finishes) with nobody watching it.
pub fn follow_cloud_runs(state: Arc<AppState>) {
    let runs = state.campaign_runs.clone();
    tauri::async_runtime::spawn(async move {
        let current = move || {
            let state = Arc::clone(&state);
            async move { state.stack().await }
        };
        runs.follow_cloud(current, FOLLOW_EVERY, CancellationToken::new())
            .await;
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
