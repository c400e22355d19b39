use tauri::ipc::Channel;

use super::AppHandleState;
use crate::error::CommandResult;
use crate::views::JobView;

/// Jobs shown in the panel: this run's and the active profile's recent ones.
const LISTED_JOBS: usize = 50;

#[tauri::command]
pub async fn jobs_list(state: AppHandleState<'_>) -> CommandResult<Vec<JobView>> {
    let stack = state.stack().await;
    let jobs = state.jobs.list(&stack.db, LISTED_JOBS).await?;
    Ok(jobs.into_iter().map(JobView::from).collect())
}

#[tauri::command]
pub async fn jobs_watch(
    state: AppHandleState<'_>,
    on_event: Channel<JobView>,
) -> CommandResult<()> {
    crate::progress::forward_jobs(&state.jobs, on_event);
    Ok(())
}

#[tauri::command]
pub async fn job_cancel(state: AppHandleState<'_>, id: String) -> CommandResult<()> {
    Ok(state.jobs.cancel(&id)?)
}
