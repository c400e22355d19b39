//! Boundary types of the Events section.

use serde::{Deserialize, Serialize};
use stratus_events::browse::customers::{CustomerSummary, MatchedBy};
use stratus_events::browse::export::ExportFormat as CoreExportFormat;
use stratus_events::browse::export::ExportedFile;
use stratus_events::browse::facets::Facets;
use stratus_events::browse::filter::EventFilter;
use stratus_events::browse::page::EventPage;
use stratus_events::browse::rows::EventRecord;
use stratus_events::browse::sessions::SessionSummary;
use stratus_events::collector::write_keys::profile_keys::{DEFAULT_BURST, DEFAULT_RATE_PER_SEC};
use stratus_events::collector::write_keys::{KeyError, KeyKind, NewKey, WriteKey};
use stratus_events::sync::retention::Retention;
use stratus_events::sync::status::SyncOverview;
use ts_rs::TS;

/// One property condition of the event table's filter: `key = value`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PropertyMatch {
    pub key: String,
    pub value: String,
}

/// What the event table is narrowed to; all parts are ANDed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct EventFilterInput {
    /// One customer's timeline.
    pub distinct_id: Option<String>,
    pub session_id: Option<String>,
    /// Any of these event names; empty means all.
    pub events: Vec<String>,
    /// Inclusive lower bound, unix ms.
    #[ts(type = "number | null")]
    pub from_ms: Option<i64>,
    /// Exclusive upper bound, unix ms.
    #[ts(type = "number | null")]
    pub to_ms: Option<i64>,
    pub properties: Vec<PropertyMatch>,
    /// Free text: every word must appear, the last one as a prefix.
    pub search: Option<String>,
}

impl From<EventFilterInput> for EventFilter {
    fn from(f: EventFilterInput) -> Self {
        let blank_to_none = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
        EventFilter {
            distinct_id: blank_to_none(f.distinct_id),
            session_id: blank_to_none(f.session_id),
            events: f.events,
            from_ms: f.from_ms,
            to_ms: f.to_ms,
            properties: f
                .properties
                .into_iter()
                .map(|p| (p.key.trim().to_string(), p.value))
                .collect(),
            search: blank_to_none(f.search),
        }
    }
}

/// One row of the event table.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EventRow {
    #[ts(type = "number")]
    pub rowid: i64,
    pub event_id: String,
    /// Unix ms, skew-corrected.
    #[ts(type = "number")]
    pub ts: i64,
    pub event: String,
    /// `track`, `identify` or `page`.
    pub kind: String,
    pub distinct_id: Option<String>,
    pub anonymous_id: Option<String>,
    pub session_id: Option<String>,
    pub url: Option<String>,
    /// Flat JSON object, as text.
    pub properties: String,
}

impl From<EventRecord> for EventRow {
    fn from(r: EventRecord) -> Self {
        EventRow {
            rowid: r.rowid,
            event_id: r.event_id,
            ts: r.ts,
            event: r.event,
            kind: r.kind,
            distinct_id: r.distinct_id,
            anonymous_id: r.anonymous_id,
            session_id: r.session_id,
            url: r.url,
            properties: r.properties,
        }
    }
}

/// One keyset page, newest first.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EventPageView {
    pub events: Vec<EventRow>,
    /// Pass back for the next (older) page; `null` on the last page.
    pub next: Option<String>,
}

impl From<EventPage> for EventPageView {
    fn from(p: EventPage) -> Self {
        EventPageView {
            events: p.events.into_iter().map(EventRow::from).collect(),
            next: p.next,
        }
    }
}

/// A customer found by the search, or the timeline's header.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CustomerView {
    /// The person id (any id of the person opens the same timeline).
    pub distinct_id: String,
    /// How many ids the person has (anonymous ids, aliases); 1 when unlinked.
    #[ts(type = "number")]
    pub ids: u64,
    pub name: Option<String>,
    pub email: Option<String>,
    /// IANA zone, e.g. `Europe/Paris`.
    pub time_zone: Option<String>,
    /// `directory` (the customer list) or `events` (the latest event's `context.tz`).
    pub time_zone_source: Option<String>,
    #[ts(type = "number")]
    pub events: u64,
    #[ts(type = "number | null")]
    pub first_ts: Option<i64>,
    #[ts(type = "number | null")]
    pub last_ts: Option<i64>,
    /// `id`, `email`, `name` or `text`.
    pub matched_by: String,
}

impl From<CustomerSummary> for CustomerView {
    fn from(c: CustomerSummary) -> Self {
        CustomerView {
            distinct_id: c.distinct_id,
            ids: c.ids,
            name: c.name,
            email: c.email,
            time_zone: c.time_zone,
            time_zone_source: c.time_zone_source.map(String::from),
            events: c.events,
            first_ts: c.first_ts,
            last_ts: c.last_ts,
            matched_by: match c.matched_by {
                MatchedBy::Id => "id",
                MatchedBy::Email => "email",
                MatchedBy::Name => "name",
                MatchedBy::Text => "text",
            }
            .to_string(),
        }
    }
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct FacetCount {
    pub value: String,
    #[ts(type = "number")]
    pub count: u64,
}

/// Counts of the filtered events.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FacetsView {
    /// Most frequent first.
    pub by_event: Vec<FacetCount>,
    /// `YYYY-MM-DD` in the requested offset, oldest first.
    pub by_day: Vec<FacetCount>,
}

impl From<Facets> for FacetsView {
    fn from(f: Facets) -> Self {
        let counts = |v: Vec<(String, u64)>| {
            v.into_iter()
                .map(|(value, count)| FacetCount { value, count })
                .collect()
        };
        FacetsView {
            by_event: counts(f.by_event),
            by_day: counts(f.by_day),
        }
    }
}

/// The whole stored envelope of one event.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EventDetailView {
    pub event_id: String,
    /// Pretty-printed JSON.
    pub json: String,
}

/// The sync status panel.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncStatusView {
    #[ts(type = "number | null")]
    pub last_sync_at: Option<i64>,
    /// How the last run failed, if it did.
    pub last_error: Option<String>,
    /// The newest batch key ingested.
    pub watermark: Option<String>,
    #[ts(type = "number")]
    pub objects: u64,
    #[ts(type = "number")]
    pub events: u64,
    /// Lines that could not be ingested (kept aside).
    #[ts(type = "number")]
    pub bad_lines: u64,
    /// Batch objects waiting in the bucket; `null` when it could not be listed.
    #[ts(type = "number | null")]
    pub objects_behind: Option<u64>,
    pub behind_error: Option<String>,
    /// A sync (manual or timed) is running now.
    pub syncing: bool,
    /// The timed sync's interval; it runs once the cache was synced once.
    #[ts(type = "number")]
    pub auto_sync_seconds: u64,
    /// Ingested objects keyed ahead of the clock (a collector host with a
    /// fast clock, a backfill): they never move the watermark.
    pub future_keys: OddKeysView,
    /// Ingested objects whose keys are outside the `dt=/hh=` layout.
    pub out_of_layout_keys: OddKeysView,
}

/// Objects with odd keys: how many, and a few of them (newest first).
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OddKeysView {
    #[ts(type = "number")]
    pub count: u64,
    pub examples: Vec<String>,
}

impl From<stratus_events::sync::ledger::OddKeys> for OddKeysView {
    fn from(keys: stratus_events::sync::ledger::OddKeys) -> Self {
        OddKeysView {
            count: keys.count,
            examples: keys.examples,
        }
    }
}

impl SyncStatusView {
    pub fn new(o: SyncOverview, syncing: bool, auto_sync_seconds: u64) -> Self {
        SyncStatusView {
            last_sync_at: o.status.last_sync_at,
            last_error: o.status.last_error,
            watermark: o.status.watermark,
            objects: o.status.objects,
            events: o.status.events,
            bad_lines: o.status.bad_lines,
            objects_behind: o.objects_behind,
            behind_error: o.behind_error,
            syncing,
            auto_sync_seconds,
            future_keys: o.status.future_keys.into(),
            out_of_layout_keys: o.status.out_of_layout_keys.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ExportFormat {
    Csv,
    Ndjson,
}

impl From<ExportFormat> for CoreExportFormat {
    fn from(f: ExportFormat) -> Self {
        match f {
            ExportFormat::Csv => CoreExportFormat::Csv,
            ExportFormat::Ndjson => CoreExportFormat::Ndjson,
        }
    }
}

/// A finished export.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExportView {
    pub path: String,
    #[ts(type = "number")]
    pub rows: u64,
    #[ts(type = "number")]
    pub bytes: u64,
}

impl From<ExportedFile> for ExportView {
    fn from(f: ExportedFile) -> Self {
        ExportView {
            path: f.path.display().to_string(),
            rows: f.rows,
            bytes: f.bytes,
        }
    }
}

/// One session of a customer.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SessionView {
    pub session_id: String,
    #[ts(type = "number")]
    pub first_ts: i64,
    #[ts(type = "number")]
    pub last_ts: i64,
    #[ts(type = "number")]
    pub events: u64,
    pub landing_url: Option<String>,
}

impl From<SessionSummary> for SessionView {
    fn from(s: SessionSummary) -> Self {
        SessionView {
            session_id: s.session_id,
            first_ts: s.first_ts,
            last_ts: s.last_ts,
            events: s.events,
            landing_url: s.landing_url,
        }
    }
}

/// How much the local cache keeps; `null` means no limit.
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RetentionInput {
    pub max_age_days: Option<u32>,
    #[ts(type = "number | null")]
    pub max_events: Option<u64>,
}

impl From<RetentionInput> for Retention {
    fn from(r: RetentionInput) -> Self {
        Retention {
            max_age_days: r.max_age_days,
            max_events: r.max_events,
        }
    }
}

/// The cache's retention, and how many events the last save removed.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RetentionView {
    pub max_age_days: Option<u32>,
    #[ts(type = "number | null")]
    pub max_events: Option<u64>,
    #[ts(type = "number")]
    pub pruned: u64,
}

impl RetentionView {
    pub fn new(r: Retention, pruned: u64) -> Self {
        RetentionView {
            max_age_days: r.max_age_days,
            max_events: r.max_events,
            pruned,
        }
    }
}

/// A write key of the collector as the keys panel shows it: never its token.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct WriteKeyView {
    pub id: String,
    #[ts(type = "'browser' | 'server'")]
    pub kind: String,
    pub label: String,
    pub allowed_origins: Vec<String>,
    pub rate_per_sec: f64,
    pub burst: u32,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number | null")]
    pub revoked_at: Option<i64>,
}

impl From<WriteKey> for WriteKeyView {
    fn from(k: WriteKey) -> Self {
        WriteKeyView {
            id: k.id,
            kind: k.kind.as_str().into(),
            label: k.label,
            allowed_origins: k.allowed_origins,
            rate_per_sec: k.rate_per_sec,
            burst: k.burst,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A key to create; rate and burst `null` take the defaults.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct WriteKeyInput {
    #[ts(type = "'browser' | 'server'")]
    pub kind: String,
    pub label: String,
    pub allowed_origins: Vec<String>,
    pub rate_per_sec: Option<f64>,
    pub burst: Option<u32>,
}

impl TryFrom<WriteKeyInput> for NewKey {
    type Error = KeyError;

    fn try_from(input: WriteKeyInput) -> Result<Self, KeyError> {
        let kind = KeyKind::parse(&input.kind).ok_or_else(|| {
            KeyError::Invalid(format!(
                "`{}` is not a key kind: browser or server",
                input.kind
            ))
        })?;
        Ok(NewKey {
            kind,
            label: input.label,
            allowed_origins: input.allowed_origins,
            rate_per_sec: input.rate_per_sec.unwrap_or(DEFAULT_RATE_PER_SEC),
            burst: input.burst.unwrap_or(DEFAULT_BURST),
        })
    }
}

/// A key created or revoked: the token only right after creation, and
/// whether the key set reached the events bucket (the deployed collector).
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct WriteKeyChange {
    pub key: WriteKeyView,
    pub token: Option<String>,
    pub published: bool,
    pub publish_error: Option<String>,
}
