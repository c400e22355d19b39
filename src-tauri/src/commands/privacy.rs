//! A person's GDPR/CCPA requests from the person card: export everything
//! held on them (a file in the exports folder; the webview never names a
//! path) and delete them, each as a job with progress; and the record of
//! past requests.

use stratus_app::privacy::{erase_job, export_job, ExportTarget};
use stratus_events::privacy::record::list_requests;

use super::AppHandleState;
use crate::error::{AppError, CommandResult};
use crate::views::privacy::PrivacyRequestView;
use crate::views::JobView;

/// Who asked, as the record keeps it: required, one line.
fn requester(requested_by: String) -> CommandResult<String> {
    let who = requested_by.trim().to_string();
    if who.is_empty() || who.len() > 200 || who.contains(char::is_control) {
        return Err(AppError::new(
            "invalid_requester",
            "say who asked for it (a name, an email or a ticket), in one line",
        ));
    }
    Ok(who)
}

/// Starts a job that writes everything held on the person `distinct_id`
/// (any of their ids) belongs to into a new JSON file in the exports folder.
#[tauri::command]
pub async fn events_person_export(
    state: AppHandleState<'_>,
    distinct_id: String,
    requested_by: String,
) -> CommandResult<JobView> {
    let who = requester(requested_by)?;
    let stack = (*state.stack().await).clone();
    let target = ExportTarget::Folder(state.home.exports_dir());
    let title = format!("Export data of {distinct_id}");
    let db = stack.db.clone();
    let job = state
        .jobs
        .start(&db, "events.person_export", title, move |ctx| {
            export_job(stack, distinct_id, who, target, ctx)
        })
        .await?;
    Ok(job.into())
}

/// Starts a job that erases the person `distinct_id` belongs to: their
/// lines in the bucket (rejected ones too), cached events, identity graph
/// entries and customer row. Syncs wait for it.
#[tauri::command]
pub async fn events_person_forget(
    state: AppHandleState<'_>,
    distinct_id: String,
    requested_by: String,
) -> CommandResult<JobView> {
    let who = requester(requested_by)?;
    let stack = (*state.stack().await).clone();
    let gate = state.sync_gate.clone();
    let title = format!("Delete {distinct_id}");
    let db = stack.db.clone();
    let job = state
        .jobs
        .start(&db, "events.person_forget", title, move |ctx| {
            erase_job(stack, distinct_id, who, gate, ctx)
        })
        .await?;
    Ok(job.into())
}

/// The newest privacy requests (erasures and exports), newest first.
#[tauri::command]
pub async fn events_privacy_requests(
    state: AppHandleState<'_>,
) -> CommandResult<Vec<PrivacyRequestView>> {
    let stack = state.stack().await;
    let found = stack.db.call(|c| list_requests(c, 50)).await?;
    Ok(found.into_iter().map(PrivacyRequestView::from).collect())
}
