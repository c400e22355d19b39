use super::AppHandleState;
use crate::error::CommandResult;
use crate::views::AppInfo;

#[tauri::command]
pub async fn app_info(state: AppHandleState<'_>) -> CommandResult<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: state.home.root().display().to_string(),
    })
}

/// The UI calls this once, after its first interactive frame (start-up
/// measurement; see `startup.rs`).
#[tauri::command]
pub async fn app_ready() -> CommandResult<()> {
    crate::startup::first_frame();
    Ok(())
}
