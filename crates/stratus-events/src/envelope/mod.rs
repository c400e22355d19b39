//! The event envelope: one JSON object per line of a batch object.
//!
//! Clients send the envelope without the collector's fields; [`crate::envelope::validate`]
//! checks it and [`crate::envelope::enrich`] adds `received_at`, `ts` and `collector`.
//!
//! - [`validate`]: the checks of a client's line (limits, clock skew);
//! - [`enrich`]: the collector's fields (`received_at`, corrected `ts`, truncated IP).

pub mod enrich;
pub mod validate;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The kinds of event the collector accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// Something the user did: a click, a form submit, a purchase.
    Track,
    /// Ties traits (in `properties`) to a `distinct_id`.
    Identify,
    /// A page view.
    Page,
    /// Says `previous_id` and `distinct_id` are the same person (Segment's
    /// `alias`, PostHog's `$create_alias`).
    Alias,
    /// Ties the person to an account or company, `group_id` (Segment's
    /// `group`, PostHog's `$groupidentify`); it does not merge people.
    Group,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Track => "track",
            EventType::Identify => "identify",
            EventType::Page => "page",
            EventType::Alias => "alias",
            EventType::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "track" => Some(EventType::Track),
            "identify" => Some(EventType::Identify),
            "page" => Some(EventType::Page),
            "alias" => Some(EventType::Alias),
            "group" => Some(EventType::Group),
            _ => None,
        }
    }

    /// The name an event of this type gets when the client sends none
    /// (a `track` must always name its event).
    pub fn default_name(self) -> Option<&'static str> {
        match self {
            EventType::Track => None,
            EventType::Identify => Some("$identify"),
            EventType::Page => Some("$pageview"),
            EventType::Alias => Some("$create_alias"),
            EventType::Group => Some("$groupidentify"),
        }
    }
}

/// Where the event happened, as the tracker saw it. All optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// The element clicked or submitted (tag, id, text…), as the tracker describes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<Value>,
    /// Tracker library (name and version), as a string or an object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// IANA time zone of the client, e.g. `Europe/Paris`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

/// What the collector adds about the request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectorInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Truncated: IPv4 to /24, IPv6 to /48. The full address is never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// One validated, enriched event: exactly what a batch line holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// UUID (v7 from the client), the same on every retry: the dedup key.
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// Event name, e.g. `Button Clicked`.
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// `alias` only: the other id of the person (an anonymous id, an old user id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<String>,
    /// `group` only: the account or company the person belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The client's clock when the event happened (RFC 3339), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ts: Option<String>,
    /// The client's clock when the batch was sent (RFC 3339), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    /// The collector's clock on receipt (RFC 3339, UTC, milliseconds).
    pub received_at: String,
    /// When the event happened, skew-corrected (RFC 3339, UTC, milliseconds).
    pub ts: String,
    /// Flat JSON: scalars only. Forms send field names and validity, never values.
    #[serde(default)]
    pub properties: Map<String, Value>,
    #[serde(default)]
    pub context: EventContext,
    #[serde(default)]
    pub collector: CollectorInfo,
}

impl Envelope {
    /// `ts` as unix milliseconds; `None` only for a line not written by the collector.
    pub fn ts_millis(&self) -> Option<i64> {
        parse_millis(&self.ts)
    }

    /// `received_at` as unix milliseconds.
    pub fn received_millis(&self) -> Option<i64> {
        parse_millis(&self.received_at)
    }
}

/// Parses an RFC 3339 timestamp to unix milliseconds.
pub fn parse_millis(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Formats unix milliseconds as RFC 3339 UTC with milliseconds, the envelope's form.
pub fn format_millis(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip_through_rfc3339() {
        let ms = 1_795_000_000_123;
        assert_eq!(parse_millis(&format_millis(ms)), Some(ms));
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            parse_millis("2026-11-26T16:00:00+01:00"),
            Some(1_795_705_200_000)
        );
        assert_eq!(parse_millis("yesterday"), None);
    }
}
