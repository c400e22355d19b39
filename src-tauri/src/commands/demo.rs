use std::sync::Arc;

use super::AppHandleState;
use crate::error::CommandResult;
use crate::views::JobView;

/// Starts a job that deletes and reseeds the demo data.
#[tauri::command]
pub async fn demo_reset(state: AppHandleState<'_>) -> CommandResult<JobView> {
    let app = Arc::clone(state.inner());
    let stack = state.stack().await;
    let job = state
        .jobs
        .start(
            &stack.db,
            "demo.reset",
            "Reset demo data",
            move |ctx| async move { app.reset_demo(ctx).await },
        )
        .await?;
    Ok(job.into())
}
