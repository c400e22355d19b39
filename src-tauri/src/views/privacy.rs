//! Boundary types of a person's privacy requests, property facets and saved
//! views (the Events section).

use serde::Serialize;
use stratus_events::browse::facets::PropertyFacet;
use stratus_events::browse::filter::EventFilter;
use stratus_events::browse::views::SavedView;
use stratus_events::privacy::record::RequestRecord;
use ts_rs::TS;

use super::events::{EventFilterInput, FacetCount, PropertyMatch};

/// One recorded GDPR/CCPA request: who, when, what was removed or exported.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PrivacyRequestView {
    #[ts(type = "number")]
    pub id: i64,
    /// `erase` or `export`.
    pub kind: String,
    pub subject: String,
    pub ids: Vec<String>,
    pub requested_by: String,
    #[ts(type = "number")]
    pub requested_at: i64,
    #[ts(type = "number | null")]
    pub finished_at: Option<i64>,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// The counts (an export's also `file` and `bytes`), as JSON text.
    pub counts: String,
    /// An export's file.
    pub file: Option<String>,
    pub error: Option<String>,
}

impl From<RequestRecord> for PrivacyRequestView {
    fn from(r: RequestRecord) -> Self {
        PrivacyRequestView {
            file: r
                .counts
                .get("file")
                .and_then(|f| f.as_str())
                .filter(|f| !f.is_empty())
                .map(String::from),
            counts: r.counts.to_string(),
            id: r.id,
            kind: r.kind,
            subject: r.subject,
            ids: r.ids,
            requested_by: r.requested_by,
            requested_at: r.requested_at,
            finished_at: r.finished_at,
            state: r.state,
            error: r.error,
        }
    }
}

/// The top values of one property over the filtered events.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PropertyFacetView {
    pub key: String,
    /// Most frequent first; `value` is what the property filter compares.
    pub values: Vec<FacetCount>,
    #[ts(type = "number")]
    pub events: u64,
    #[ts(type = "number")]
    pub with_key: u64,
}

impl From<PropertyFacet> for PropertyFacetView {
    fn from(f: PropertyFacet) -> Self {
        PropertyFacetView {
            key: f.key,
            values: f
                .values
                .into_iter()
                .map(|(value, count)| FacetCount { value, count })
                .collect(),
            events: f.events,
            with_key: f.with_key,
        }
    }
}

/// A saved view: a named filter.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SavedViewView {
    pub name: String,
    pub filter: EventFilterInput,
    #[ts(type = "number")]
    pub updated_at: i64,
}

impl From<SavedView> for SavedViewView {
    fn from(v: SavedView) -> Self {
        SavedViewView {
            name: v.name,
            filter: filter_input(v.filter),
            updated_at: v.updated_at,
        }
    }
}

/// The filter as the UI edits it.
fn filter_input(f: EventFilter) -> EventFilterInput {
    EventFilterInput {
        distinct_id: f.distinct_id,
        session_id: f.session_id,
        events: f.events,
        from_ms: f.from_ms,
        to_ms: f.to_ms,
        properties: f
            .properties
            .into_iter()
            .map(|(key, value)| PropertyMatch { key, value })
            .collect(),
        search: f.search,
    }
}
