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
