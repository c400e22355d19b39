//! Campaign commands: customers, segments, templates, launches and runs.

use stratus_app::campaign_runs::notifier_for;
use stratus_campaigns::campaign::{self, CampaignSpec};
use stratus_campaigns::dry_run::{self, DryRunOptions};
use stratus_campaigns::recipients::{self, RecipientFilter};
use stratus_campaigns::run::{self, StatusCounts};
use stratus_campaigns::test_send;
use stratus_campaigns::{
    customer_search, gamify, inbox, message, overview, segment, template, Error,
};
use tauri::ipc::Channel;

use super::AppHandleState;
use crate::error::CommandResult;
use crate::exports;
use crate::views::campaigns::{
    CampaignInput, CampaignProgress, CampaignView, CustomerPick, DryRunView, LevelView,
    NotificationView, PhoneMessage, PhoneNotificationView, RecipientExportView, RecipientPageView,
    RecipientStatusView, SegmentCount, SegmentProblem, TemplatePreview, TestSendInput,
    TestSendView,
};
use crate::views::JobView;

/// Customers shown in the picker at once.
const PICKER_LIMIT: usize = 20;
/// Messages shown in the phone preview.
const PHONE_LIMIT: usize = 50;
/// Rows per page of the recipient table.
const RECIPIENT_PAGE: usize = 100;

#[tauri::command]
pub async fn campaigns_list(state: AppHandleState<'_>) -> CommandResult<Vec<CampaignView>> {
    let stack = state.stack().await;
    let list = overview::list_with_counts(&stack.db).await?;
    list.iter()
        .map(|(c, n)| {
            let attached = state.campaign_runs.is_attached(&stack, c)?;
            Ok(CampaignView::new(c, n, attached))
        })
        .collect()
}

#[tauri::command]
pub async fn campaign_get(state: AppHandleState<'_>, id: String) -> CommandResult<CampaignView> {
    let stack = state.stack().await;
    let c = campaign::get(&stack.db, &id).await?;
    let summary = run::progress_summary(&stack.db, &id).await?;
    let attached = state.campaign_runs.is_attached(&stack, &c)?;
    Ok(CampaignView::new(&c, &summary.counts, attached))
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
    match segment::audience(&stack.db, &segment).await {
        Ok(audience) => Ok(SegmentCount {
            count: Some(audience.count),
            problem: None,
            events_cache: audience.events_cache.map(Into::into),
        }),
        Err(Error::Segment(e)) => Ok(SegmentCount {
            count: None,
            problem: Some(SegmentProblem::from(&e)),
            events_cache: None,
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

/// The editor's push and in-app preview: the notification rendered for
/// one customer, as their phone would show it.
#[tauri::command]
pub async fn notification_preview(
    state: AppHandleState<'_>,
    settings: CampaignInput,
    customer_id: String,
) -> CommandResult<NotificationView> {
    let stack = state.stack().await;
    let rendered = message::preview(&stack.db, &settings.into(), &customer_id).await?;
    let notification = rendered
        .notification
        .ok_or_else(|| Error::InvalidCampaign("an SMS has no notification to preview".into()))?;
    Ok(notification.into())
}

#[tauri::command]
pub async fn customers_search(
    state: AppHandleState<'_>,
    text: String,
) -> CommandResult<Vec<CustomerPick>> {
    let stack = state.stack().await;
    let found = customer_search::search(&stack.db, &text, PICKER_LIMIT).await?;
    let levels = gamify::levels(&stack.db).await?;
    Ok(found
        .into_iter()
        .map(|c| {
            // The level by the profile's table, as templates and segments see it.
            let level = levels.level_for(c.points).name.clone();
            CustomerPick {
                level,
                ..CustomerPick::from(c)
            }
        })
        .collect())
}

/// The profile's level table (lowest first).
#[tauri::command]
pub async fn campaign_levels(state: AppHandleState<'_>) -> CommandResult<Vec<LevelView>> {
    let stack = state.stack().await;
    Ok(LevelView::list(&gamify::levels(&stack.db).await?))
}

/// Replaces the profile's level table; segments, templates and previews
/// use it from now on. Returns it as stored (sorted, names lower-cased).
#[tauri::command]
pub async fn campaign_levels_set(
    state: AppHandleState<'_>,
    levels: Vec<LevelView>,
) -> CommandResult<Vec<LevelView>> {
    let stack = state.stack().await;
    let table = LevelView::table(levels)?;
    Ok(LevelView::list(
        &gamify::set_levels(&stack.db, table).await?,
    ))
}

/// What a launch of the editor's settings would do; nothing is sent.
#[tauri::command]
pub async fn campaign_dry_run(
    state: AppHandleState<'_>,
    settings: CampaignInput,
) -> CommandResult<DryRunView> {
    let stack = state.stack().await;
    let notifier = notifier_for(&stack)?;
    let report = dry_run::dry_run_spec(
        &stack.db,
        settings.into(),
        Some(&*notifier),
        DryRunOptions::default(),
    )
    .await?;
    Ok(report.into())
}

/// Sends the editor's template, rendered for one customer, to one number.
#[tauri::command]
pub async fn campaign_test_send(
    state: AppHandleState<'_>,
    input: TestSendInput,
) -> CommandResult<TestSendView> {
    let stack = state.stack().await;
    let notifier = notifier_for(&stack)?;
    let spec: CampaignSpec = input.settings.into();
    Ok(
        test_send::test_send_spec(&stack.db, &*notifier, spec, &input.customer_id, &input.to)
            .await?
            .into(),
    )
}

/// Snapshots the audience and starts sending, as a job.
#[tauri::command]
pub async fn campaign_launch(state: AppHandleState<'_>, id: String) -> CommandResult<JobView> {
    let stack = state.stack().await;
    campaign::launch(&stack.db, &id).await?;
    let job = state.campaign_runs.start(&state.jobs, stack, &id).await?;
    Ok(job.into())
}

/// Resumes a paused run (wherever it runs), or continues one the app was
/// closed in the middle of: rows left in flight become `unknown` and are
/// not resent.
#[tauri::command]
pub async fn campaign_resume(state: AppHandleState<'_>, id: String) -> CommandResult<()> {
    let stack = state.stack().await;
    let current = campaign::get(&stack.db, &id).await?;
    if state.campaign_runs.is_attached(&stack, &current)? {
        run::resume(&stack.db, &id).await?;
    } else {
        state.campaign_runs.start(&state.jobs, stack, &id).await?;
    }
    Ok(())
}

/// New sends stop within a quarter of a second, in whichever process runs it.
#[tauri::command]
pub async fn campaign_pause(state: AppHandleState<'_>, id: String) -> CommandResult<()> {
    let stack = state.stack().await;
    run::pause(&stack.db, &id).await?;
    Ok(())
}

/// Pending recipients become skipped (`cancelled`), in-flight ones unknown.
#[tauri::command]
pub async fn campaign_cancel(state: AppHandleState<'_>, id: String) -> CommandResult<()> {
    let stack = state.stack().await;
    run::cancel(&stack.db, &id).await?;
    Ok(())
}

/// Re-queues failed (and optionally unknown) recipients and sends them.
#[tauri::command]
pub async fn campaign_retry_failed(
    state: AppHandleState<'_>,
    id: String,
    include_unknown: bool,
) -> CommandResult<u64> {
    let stack = state.stack().await;
    let requeued = run::retry_failed(&stack.db, &id, include_unknown).await?;
    if requeued == 0 {
        // Nothing to send: the campaign stays as it was.
        return Ok(0);
    }
    // A live run picks the rows up in its next pass; otherwise start one.
    let current = campaign::get(&stack.db, &id).await?;
    if !state.campaign_runs.is_attached(&stack, &current)? {
        state.campaign_runs.start(&state.jobs, stack, &id).await?;
    }
    Ok(requeued)
}

/// Changes the send rate while it runs (within a quarter of a second).
#[tauri::command]
pub async fn campaign_set_rate(
    state: AppHandleState<'_>,
    id: String,
    rate_per_sec: f64,
) -> CommandResult<()> {
    let stack = state.stack().await;
    run::set_pace(&stack.db, &id, Some(rate_per_sec), None).await?;
    Ok(())
}

#[tauri::command]
pub async fn campaign_progress(
    state: AppHandleState<'_>,
    id: String,
) -> CommandResult<CampaignProgress> {
    let stack = state.stack().await;
    let snapshot = state.campaign_runs.snapshot(&stack, &id).await?;
    Ok(CampaignProgress::from(&snapshot))
}

/// Streams one campaign's progress; replaces any earlier stream.
#[tauri::command]
pub async fn campaign_watch(
    state: AppHandleState<'_>,
    id: String,
    on_event: Channel<CampaignProgress>,
) -> CommandResult<()> {
    let stack = state.stack().await;
    state.campaign_runs.watch(stack, id, move |snapshot| {
        on_event.send(CampaignProgress::from(&snapshot)).is_ok()
    });
    Ok(())
}

#[tauri::command]
pub async fn campaign_unwatch(state: AppHandleState<'_>) -> CommandResult<()> {
    state.campaign_runs.unwatch();
    Ok(())
}

/// One page of the recipient table, optionally only one status.
#[tauri::command]
pub async fn campaign_recipients(
    state: AppHandleState<'_>,
    id: String,
    status: Option<RecipientStatusView>,
    after: Option<String>,
) -> CommandResult<RecipientPageView> {
    let stack = state.stack().await;
    let filter = RecipientFilter {
        status: status.map(Into::into),
        error_code: None,
    };
    let page = recipients::page(&stack.db, &id, filter, after, RECIPIENT_PAGE).await?;
    Ok(page.into())
}

/// Writes the recipients (all, or one status) as CSV to a new file in
/// `<data dir>/exports/` and says where. The webview cannot name the path.
#[tauri::command]
pub async fn campaign_export(
    state: AppHandleState<'_>,
    id: String,
    status: Option<RecipientStatusView>,
) -> CommandResult<RecipientExportView> {
    let stack = state.stack().await;
    let (path, rows) =
        exports::campaign_recipients(&state.home, &stack, &id, status.map(Into::into)).await?;
    Ok(RecipientExportView {
        path: path.display().to_string(),
        rows,
    })
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

/// Demo mode's phone preview: the pushes and in-app messages one customer
/// received (the outbox, and their inbox in the events bucket).
#[tauri::command]
pub async fn phone_notifications(
    state: AppHandleState<'_>,
    customer_id: String,
) -> CommandResult<Vec<PhoneNotificationView>> {
    let stack = state.stack().await;
    let found =
        inbox::notifications(&stack.db, stack.events.as_ref(), &customer_id, PHONE_LIMIT).await?;
    Ok(found.into_iter().map(Into::into).collect())
}
