//! The desktop shell: resolves paths, opens the active profile, and exposes
//! thin commands over the core crates. Only this crate knows Tauri.

mod campaign_runs;
mod commands;
mod error;
mod exports;
mod live_tail;
mod navigation;
mod progress;
mod protocol;
mod state;
mod views;

use std::sync::Arc;

use stratus_core::home::AppHome;
use tauri::Manager;

pub use error::AppError;
use state::AppState;

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STRATUS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let result = tauri::Builder::default()
        .plugin(navigation::guard())
        .register_asynchronous_uri_scheme_protocol(protocol::SCHEME, protocol::handle)
        .setup(|app| {
            // Resolved once, here: `--data-dir` (the end-to-end suite gives each
            // journey a fresh one), `STRATUS_DATA_DIR`, or the platform's app data dir.
            let home = match data_dir_arg() {
                Some(dir) => AppHome::new(dir),
                None => AppHome::from_env_or(app.path().app_data_dir().ok())
                    .ok_or("no app data directory: set STRATUS_DATA_DIR")?,
            };
            tracing::info!("data directory: {}", home.root().display());
            let state = Arc::new(tauri::async_runtime::block_on(AppState::open(home))?);
            app.manage(Arc::clone(&state));
            live_tail::start(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::profiles::profiles_list,
            commands::profiles::profile_save,
            commands::profiles::profile_delete,
            commands::profiles::profile_use,
            commands::profiles::profile_test,
            commands::profiles::profile_test_draft,
            commands::profiles::profile_status,
            commands::jobs::jobs_list,
            commands::jobs::jobs_watch,
            commands::jobs::job_cancel,
            commands::demo::demo_reset,
            commands::store::store_list,
            commands::images::image_originals,
            commands::images::image_catalog,
            commands::images::image_catalog_save,
            commands::images::image_variant,
            commands::images::image_warm,
            commands::images::image_upload,
            commands::images::image_purge,
            commands::images::image_delete,
            commands::images::image_move,
            commands::images::image_placeholder,
            commands::campaigns::campaigns_list,
            commands::campaigns::campaign_get,
            commands::campaigns::campaign_create,
            commands::campaigns::campaign_update,
            commands::campaigns::segment_count,
            commands::campaigns::template_preview,
            commands::campaigns::customers_search,
            commands::campaigns::campaign_launch,
            commands::campaigns::campaign_resume,
            commands::campaigns::campaign_pause,
            commands::campaigns::campaign_cancel,
            commands::campaigns::campaign_retry_failed,
            commands::campaigns::campaign_set_rate,
            commands::campaigns::campaign_progress,
            commands::campaigns::campaign_watch,
            commands::campaigns::campaign_unwatch,
            commands::campaigns::phone_messages,
            commands::campaigns::campaign_dry_run,
            commands::campaigns::campaign_test_send,
            commands::campaigns::campaign_recipients,
            commands::campaigns::campaign_export,
            commands::events::events_sync,
            commands::events::events_status,
            commands::events::events_search,
            commands::events::events_customer,
            commands::events::events_page,
            commands::events::events_facets,
            commands::events::events_detail,
            commands::events::events_sessions,
            commands::events::events_export,
            commands::events::events_retention,
            commands::events::events_retention_save,
            commands::events::events_keys,
            commands::events::events_key_create,
            commands::events::events_key_revoke,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Stratus could not start: {e}");
        std::process::exit(1);
    }
}

/// `--data-dir DIR` or `--data-dir=DIR` on the command line.
fn data_dir_arg() -> Option<std::path::PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(Into::into);
        }
        if let Some(dir) = arg.strip_prefix("--data-dir=") {
            return Some(dir.into());
        }
    }
    None
}
