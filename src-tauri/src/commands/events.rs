//! Event commands: sync, search, timeline, person card, facets and export.

use stratus_app::events_sync::CacheSync;
use stratus_campaigns::received::received_by;
use stratus_core::clock::now_millis;
use stratus_events::browse::customers::{customer_summary, search_customers, MAX_MATCHES};
use stratus_events::browse::export::{export_stem, export_to_file};
use stratus_events::browse::facets::{facets, property_keys, property_values, FacetOptions};
use stratus_events::browse::filter::EventFilter;
use stratus_events::browse::page;
use stratus_events::browse::person::person_card;
use stratus_events::browse::sessions::sessions;
use stratus_events::browse::stored::event_detail;
use stratus_events::browse::views::{delete_view, list_views, save_view};
use stratus_events::collector::write_keys::{
    create_key, list_keys, publish_keys, revoke_key, NewKey,
};
use stratus_events::sync::identity::graph::ensure_built;
use stratus_events::sync::retention::{apply_retention, load_retention, save_retention};
use stratus_events::sync::status::sync_overview;
use stratus_events::sync::SyncOptions;

use super::AppHandleState;
use crate::error::{AppError, CommandResult};
use crate::live_tail::auto_sync_every;
use crate::views::events::{
    CustomerView, EventDetailView, EventFilterInput, EventPageView, ExportFormat, ExportView,
    FacetCount, FacetsView, RetentionInput, RetentionView, SessionView, SyncStatusView,
    WriteKeyChange, WriteKeyInput, WriteKeyView,
};
use crate::views::person::PersonCardView;
use crate::views::privacy::{PropertyFacetView, SavedViewView};
use crate::views::JobView;

/// Starts a sync of the events bucket into the cache as a job; it waits for
/// a timed sync that is running.
#[tauri::command]
pub async fn events_sync(state: AppHandleState<'_>) -> CommandResult<JobView> {
    let stack = state.stack().await;
    let sync = CacheSync::new(&state.home, &stack)?;
    let gate = state.sync_gate.clone();
    let job = state
        .jobs
        .start(&stack.db, "events.sync", "Sync events", move |ctx| {
            sync.job(gate, ctx)
        })
        .await?;
    Ok(job.into())
}

#[tauri::command]
pub async fn events_status(state: AppHandleState<'_>) -> CommandResult<SyncStatusView> {
    let stack = state.stack().await;
    let overview = sync_overview(&stack.db, &*stack.events, &SyncOptions::default()).await?;
    Ok(SyncStatusView::new(
        overview,
        state.sync_gate.is_busy(),
        auto_sync_every().as_secs(),
    ))
}

/// Customers by id prefix, email, name or the text of their events.
#[tauri::command]
pub async fn events_search(
    state: AppHandleState<'_>,
    query: String,
) -> CommandResult<Vec<CustomerView>> {
    let stack = state.stack().await;
    let found = stack
        .db
        .call(move |c| search_customers(c, &query, MAX_MATCHES))
        .await?;
    Ok(found.into_iter().map(CustomerView::from).collect())
}

#[tauri::command]
pub async fn events_customer(
    state: AppHandleState<'_>,
    distinct_id: String,
) -> CommandResult<Option<CustomerView>> {
    let stack = state.stack().await;
    let found = stack
        .db
        .call(move |c| customer_summary(c, &distinct_id))
        .await?;
    Ok(found.map(CustomerView::from))
}

/// The person card of the customer `distinct_id` (any of their ids)
/// belongs to, with the campaigns they received: two capabilities, asked
/// one after the other (events never imports campaigns).
#[tauri::command]
pub async fn events_person(
    state: AppHandleState<'_>,
    distinct_id: String,
) -> CommandResult<Option<PersonCardView>> {
    let stack = state.stack().await;
    let card = stack
        .db
        .call(move |c| -> stratus_events::Result<_> {
            ensure_built(c)?;
            person_card(c, &distinct_id)
        })
        .await?;
    let Some(card) = card else {
        return Ok(None);
    };
    let ids: Vec<String> = card.ids.iter().map(|i| i.id.clone()).collect();
    let campaigns = stack.db.call(move |c| received_by(c, &ids)).await?;
    Ok(Some(PersonCardView::new(card, campaigns)))
}

/// One keyset page of the filtered events, newest first.
#[tauri::command]
pub async fn events_page(
    state: AppHandleState<'_>,
    filter: EventFilterInput,
    cursor: Option<String>,
    limit: usize,
) -> CommandResult<EventPageView> {
    let stack = state.stack().await;
    let filter = EventFilter::from(filter);
    let page = stack
        .db
        .call(move |c| page::events_page(c, &filter, cursor.as_deref(), limit))
        .await?;
    Ok(page.into())
}

/// Counts by event name and by day (days cut at `utc_offset_minutes`).
#[tauri::command]
pub async fn events_facets(
    state: AppHandleState<'_>,
    filter: EventFilterInput,
    utc_offset_minutes: i32,
) -> CommandResult<FacetsView> {
    let stack = state.stack().await;
    let filter = EventFilter::from(filter);
    let options = FacetOptions {
        utc_offset_minutes,
        ..FacetOptions::default()
    };
    let counts = stack.db.call(move |c| facets(c, &filter, options)).await?;
    Ok(counts.into())
}

/// The top values of property `key` over the filtered events.
#[tauri::command]
pub async fn events_property_facet(
    state: AppHandleState<'_>,
    filter: EventFilterInput,
    key: String,
) -> CommandResult<PropertyFacetView> {
    let stack = state.stack().await;
    let filter = EventFilter::from(filter);
    let facet = stack
        .db
        .read(move |c| property_values(c, &filter, &key, FacetOptions::default()))
        .await?;
    Ok(facet.into())
}

/// Property keys of the newest filtered events, most used first.
#[tauri::command]
pub async fn events_property_keys(
    state: AppHandleState<'_>,
    filter: EventFilterInput,
) -> CommandResult<Vec<FacetCount>> {
    let stack = state.stack().await;
    let filter = EventFilter::from(filter);
    let keys = stack
        .db
        .read(move |c| property_keys(c, &filter, FacetOptions::default()))
        .await?;
    Ok(keys
        .into_iter()
        .map(|(value, count)| FacetCount { value, count })
        .collect())
}

/// The saved views (named filters), by name.
#[tauri::command]
pub async fn events_views(state: AppHandleState<'_>) -> CommandResult<Vec<SavedViewView>> {
    let stack = state.stack().await;
    let views = stack.db.call(|c| list_views(c)).await?;
    Ok(views.into_iter().map(SavedViewView::from).collect())
}

/// Saves the filter as the view `name` (replacing a view of that name).
#[tauri::command]
pub async fn events_view_save(
    state: AppHandleState<'_>,
    name: String,
    filter: EventFilterInput,
) -> CommandResult<SavedViewView> {
    let stack = state.stack().await;
    let filter = EventFilter::from(filter);
    let view = stack.db.call(move |c| save_view(c, &name, &filter)).await?;
    Ok(view.into())
}

#[tauri::command]
pub async fn events_view_delete(state: AppHandleState<'_>, name: String) -> CommandResult<()> {
    let stack = state.stack().await;
    stack.db.call(move |c| delete_view(c, &name)).await?;
    Ok(())
}

#[tauri::command]
pub async fn events_detail(
    state: AppHandleState<'_>,
    event_id: String,
) -> CommandResult<EventDetailView> {
    let stack = state.stack().await;
    let id = event_id.clone();
    let detail = stack.db.call(move |c| event_detail(c, &id)).await?;
    let value = detail.ok_or_else(|| {
        AppError::new(
            "event_not_found",
            format!("event {event_id} is not in the cache; it may have been pruned"),
        )
    })?;
    let json = serde_json::to_string_pretty(&value)
        .map_err(|e| AppError::new("internal", e.to_string()))?;
    Ok(EventDetailView { event_id, json })
}

/// A customer's sessions, most recent first.
#[tauri::command]
pub async fn events_sessions(
    state: AppHandleState<'_>,
    distinct_id: String,
) -> CommandResult<Vec<SessionView>> {
    let stack = state.stack().await;
    let found = stack
        .db
        .call(move |c| sessions(c, &distinct_id, None, 200))
        .await?;
    Ok(found.into_iter().map(SessionView::from).collect())
}

/// Writes every event of the filter to a new file in the exports folder
/// (`<data dir>/exports`), streaming, no row cap.
#[tauri::command]
pub async fn events_export(
    state: AppHandleState<'_>,
    filter: EventFilterInput,
    format: ExportFormat,
) -> CommandResult<ExportView> {
    let stack = state.stack().await;
    let dir = state.home.exports_dir();
    let stem = export_stem(&stack.profile.name, now_millis());
    let file = export_to_file(&stack.db, filter.into(), format.into(), &dir, &stem).await?;
    Ok(file.into())
}

/// The active profile's cache retention.
#[tauri::command]
pub async fn events_retention(state: AppHandleState<'_>) -> CommandResult<RetentionView> {
    let stack = state.stack().await;
    let retention = load_retention(&state.home.profile_dir(&stack.profile.name))?;
    Ok(RetentionView::new(retention, 0))
}

/// Saves the cache retention and prunes to it at once.
#[tauri::command]
pub async fn events_retention_save(
    state: AppHandleState<'_>,
    input: RetentionInput,
) -> CommandResult<RetentionView> {
    let stack = state.stack().await;
    let retention = input.into();
    save_retention(&state.home.profile_dir(&stack.profile.name), retention)?;
    let pruned = apply_retention(&stack.db, retention).await?;
    Ok(RetentionView::new(retention, pruned))
}

/// The collector's write keys of the active profile, revoked ones included.
#[tauri::command]
pub async fn events_keys(state: AppHandleState<'_>) -> CommandResult<Vec<WriteKeyView>> {
    let stack = state.stack().await;
    let keys = list_keys(&stack.db).await?;
    Ok(keys.into_iter().map(WriteKeyView::from).collect())
}

/// Creates a write key (its token is in this answer only) and publishes
/// the key set to the events bucket.
#[tauri::command]
pub async fn events_key_create(
    state: AppHandleState<'_>,
    input: WriteKeyInput,
) -> CommandResult<WriteKeyChange> {
    let stack = state.stack().await;
    let created = create_key(&stack.db, &NewKey::try_from(input)?).await?;
    let published = publish_keys(&stack.db, stack.events.as_ref()).await;
    Ok(WriteKeyChange {
        key: created.key.into(),
        token: Some(created.token),
        published: published.is_ok(),
        publish_error: published.err().map(|e| e.to_string()),
    })
}

/// Revokes a write key and publishes the key set.
#[tauri::command]
pub async fn events_key_revoke(
    state: AppHandleState<'_>,
    id: String,
) -> CommandResult<WriteKeyChange> {
    let stack = state.stack().await;
    let key = revoke_key(&stack.db, &id).await?;
    let published = publish_keys(&stack.db, stack.events.as_ref()).await;
    Ok(WriteKeyChange {
        key: key.into(),
        token: None,
        published: published.is_ok(),
        publish_error: published.err().map(|e| e.to_string()),
    })
}
