//! Campaign commands: customers, segments, templates, launches and runs.

use stratus_campaigns::campaign::{self, CampaignState};
use stratus_campaigns::runner::{self, StatusCounts};
use stratus_campaigns::{customer_search, inbox, overview, segment, template, Error};
use tauri::ipc::Channel;

use super::AppHandleState;
use crate::campaign_runs;
use crate::error::{AppError, CommandResult};
use crate::views::campaigns::{
    CampaignInput, CampaignProgress, CampaignView, CustomerPick, PhoneMessage, SegmentCount,
    SegmentProblem, TemplatePreview,
};
use crate::views::JobView;

/// Customers shown in the picker at once.
const PICKER_LIMIT: usize = 20;
/// Messages shown in the phone preview.
const PHONE_LIMIT: usize = 50;

#[tauri::command]
pub async fn campaigns_list(state: AppHandleState<'_>) -> CommandResult<Vec<CampaignView>> {
    let stack = state.stack().await;
    let list = overview::list_with_counts(&stack.db).await?;
    Ok(list
        .iter()
        .map(|(c, n)| CampaignView::new(c, n, state.campaign_runs.control(&c.id).is_some()))
        .collect())
}

#[tauri::command]
pub async fn campaign_get(state: AppHandleState<'_>, id: String) -> CommandResult<CampaignView> {
    let stack = state.stack().await;
    let c = campaign::get(&stack.db, &id).await?;
    let summary = runner::progress_summary(&stack.db, &id).await?;
    let live = state.campaign_runs.control(&id).is_some();
    Ok(CampaignView::new(&c, &summary.counts, live))
}

#[tauri::command]
pub async fn campaign_create(
    state: AppHandleState<'_>,
    settings: CampaignInput,
) -> CommandResult<CampaignView> {
    let stack = state.stack().await;
    let c = campaign::create_draft(&stack.db, settings.into()).await?;
    Ok(CampaignView::new(&c, &StatusCounts::default(), false))
}

#[tauri::command]
pub async fn campaign_update(
    state: AppHandleState<'_>,
    id: String,
    settings: CampaignInput,
) -> CommandResult<CampaignView> {
    let stack = state.stack().await;
    let c = campaign::update_draft(&stack.db, &id, settings.into()).await?;
    Ok(CampaignView::new(&c, &StatusCounts::default(), false))
}

/// The live count while editing; a parse error comes back with its position.
#[tauri::command]
pub async fn segment_count(
    state: AppHandleState<'_>,
    segment: String,
) -> CommandResult<SegmentCount> {
    let stack = state.stack().await;
    match segment::count(&stack.db, &segment).await {
        Ok(n) => Ok(SegmentCount {
            count: Some(n),
            problem: None,
        }),
        Err(Error::Segment(e)) => Ok(SegmentCount {
            count: None,
            problem: Some(SegmentProblem::from(&e)),
        }),
        Err(e) => Err(e.into()),
    }
}

#[tauri::command]
pub async fn template_preview(
    state: AppHandleState<'_>,
    template: String,
    customer_id: String,
) -> CommandResult<TemplatePreview> {
    let stack = state.stack().await;
    Ok(template::preview(&stack.db, &template, &customer_id)
        .await?
        .into())
}

#[tauri::command]
pub async fn customers_search(
    state: AppHandleState<'_>,
    text: String,
) -> CommandResult<Vec<CustomerPick>> {
    let stack = state.stack().await;
    let found = customer_search::search(&stack.db, &text, PICKER_LIMIT).await?;
    Ok(found.into_iter().map(CustomerPick::from).collect())
}

/// Snapshots the audience and starts sending, as a job.
#[tauri::command]
pub async fn campaign_launch(state: AppHandleState<'_>, id: String) -> CommandResult<JobView> {
    let stack = state.stack().await;
    campaign::launch(&stack.db, &id).await?;
    let job = state.campaign_runs.start(&state.jobs, stack, &id).await?;
    Ok(job.into())
}

/// Resumes a paused run, or continues one the app was closed in the middle
/// of (rows left in flight become `unknown` and are not resent).
#[tauri::command]
pub async fn campaign_resume(state: AppHandleState<'_>, id: String) -> CommandResult<()> {
    if let Some(control) = state.campaign_runs.control(&id) {
        control.resume();
        return Ok(());
    }
    let stack = state.stack().await;
    state.campaign_runs.start(&state.jobs, stack, &id).await?;
    Ok(())
}

#[tauri::command]
pub async fn campaign_pause(state: AppHandleState<'_>, id: String) -> CommandResult<()> {
    let control = state
        .campaign_runs
        .control(&id)
        .ok_or_else(|| not_live(&id))?;
    control.pause();
    Ok(())
}

/// Cancels a live run through its job; an interrupted one is settled here.
#[tauri::command]
pub async fn campaign_cancel(state: AppHandleState<'_>, id: String) -> CommandResult<()> {
    if state.campaign_runs.cancel(&state.jobs, &id)? {
        return Ok(());
    }
    let stack = state.stack().await;
    let c = campaign::get(&stack.db, &id).await?;
    if c.state == CampaignState::Scheduled {
        campaign::transition(&stack.db, &id, CampaignState::Cancelled).await?;
        return Ok(());
    }
    Err(not_live(&id))
}

/// Re-queues failed (and optionally unknown) recipients and sends them.
#[tauri::command]
pub async fn campaign_retry_failed(
    state: AppHandleState<'_>,
    id: String,
    include_unknown: bool,
) -> CommandResult<u64> {
    let stack = state.stack().await;
    let requeued = runner::retry_failed(&stack.db, &id, include_unknown).await?;
    // A live run picks the rows up in its next pass; otherwise start one.
    if state.campaign_runs.control(&id).is_none() {
        state.campaign_runs.start(&state.jobs, stack, &id).await?;
    }
    Ok(requeued)
}

#[tauri::command]
pub async fn campaign_set_rate(
    state: AppHandleState<'_>,
    id: String,
    rate_per_sec: f64,
) -> CommandResult<()> {
    if !(rate_per_sec.is_finite() && rate_per_sec > 0.0) {
        return Err(AppError::new(
            "invalid_campaign",
            "the rate must be above 0 messages per second",
        ));
    }
    let control = state
        .campaign_runs
        .control(&id)
        .ok_or_else(|| not_live(&id))?;
    control.set_rate(rate_per_sec);
    Ok(())
}

#[tauri::command]
pub async fn campaign_progress(
    state: AppHandleState<'_>,
    id: String,
) -> CommandResult<CampaignProgress> {
    let stack = state.stack().await;
    let rates = state.campaign_runs.control(&id).map(|c| c.rates());
    campaign_runs::progress(&stack, &id, rates).await
}

/// Streams one campaign's progress; replaces any earlier stream.
#[tauri::command]
pub async fn campaign_watch(
    state: AppHandleState<'_>,
    id: String,
    on_event: Channel<CampaignProgress>,
) -> CommandResult<()> {
    let stack = state.stack().await;
    state.campaign_runs.watch(stack, id, on_event);
    Ok(())
}

#[tauri::command]
pub async fn campaign_unwatch(state: AppHandleState<'_>) -> CommandResult<()> {
    state.campaign_runs.unwatch();
    Ok(())
}

/// Demo mode's phone preview: what one number received from the outbox.
#[tauri::command]
pub async fn phone_messages(
    state: AppHandleState<'_>,
    address: String,
) -> CommandResult<Vec<PhoneMessage>> {
    let stack = state.stack().await;
    let messages = inbox::received(&stack.db, &address, PHONE_LIMIT).await?;
    Ok(messages.into_iter().map(PhoneMessage::from).collect())
}

fn not_live(id: &str) -> AppError {
    AppError::new(
        "not_running",
        format!("campaign `{id}` is not being sent by this app; resume it first"),
    )
}
