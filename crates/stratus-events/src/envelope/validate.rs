//! From a client's raw JSON to an [`Envelope`]: every check of the spec, with
//! bounded sizes, collecting all problems of an event so the sender can fix
//! them in one go.

use serde_json::{Map, Value};

use crate::envelope::enrich::{claimed_ts, corrected_ts, truncate_ip};
use crate::envelope::{format_millis, CollectorInfo, Envelope, EventContext, EventType};
use crate::error::EnvelopeError;

/// Size bounds of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The whole event as received, serialized.
    pub max_event_bytes: usize,
    /// `properties`, serialized.
    pub max_properties_bytes: usize,
    /// `context`, serialized.
    pub max_context_bytes: usize,
    /// Names and ids: `event`, `distinct_id`, property keys…
    pub max_name_chars: usize,
    /// Free text in `context` (url, title, referrer…).
    pub max_text_chars: usize,
    /// An event whose time is more than this before it was received is
    /// rejected (a replay, or a clock years off), in ms.
    pub max_late_ms: i64,
    /// … or more than this after it was received.
    pub max_ahead_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_event_bytes: 32 * 1024,
            max_properties_bytes: 8 * 1024,
            max_context_bytes: 8 * 1024,
            max_name_chars: 200,
            max_text_chars: 2048,
            max_late_ms: 7 * 24 * 3600 * 1000,
            max_ahead_ms: 24 * 3600 * 1000,
        }
    }
}

/// What the collector knows about the request an event came in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// Unix ms, the collector's clock.
    pub received_at: i64,
    pub request_id: Option<String>,
    /// The client address as seen by the collector; stored truncated.
    pub ip: Option<String>,
    /// The batch's `sentAt`, used when an event has no `sent_at` of its own.
    pub sent_at: Option<String>,
}

/// Checks one raw event and enriches it into an [`Envelope`].
///
/// Unparseable `client_ts`/`sent_at` strings do not reject the event: the
/// spec's fallback (`ts = received_at`) covers them and the originals are
/// kept. A timestamp that is not a string at all is rejected.
pub fn validate(
    raw: &Value,
    request: &RequestMeta,
    limits: &Limits,
) -> Result<Envelope, Vec<EnvelopeError>> {
    let Some(obj) = raw.as_object() else {
        return Err(vec![EnvelopeError::NotAnObject(json_kind(raw))]);
    };
    let mut errors = Vec::new();
    let size = serde_json::to_vec(raw)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > limits.max_event_bytes {
        errors.push(EnvelopeError::TooLarge {
            field: "event",
            actual: size,
            limit: limits.max_event_bytes,
        });
        return Err(errors);
    }

    let event_id = required_text(obj, "event_id", limits.max_name_chars, &mut errors);
    if let Some(id) = &event_id {
        if uuid::Uuid::parse_str(id).is_err() {
            errors.push(EnvelopeError::InvalidEventId(id.clone()));
        }
    }
    let kind = match required_text(obj, "type", limits.max_name_chars, &mut errors) {
        Some(t) => EventType::parse(&t).or_else(|| {
            errors.push(EnvelopeError::UnknownType(t));
            None
        }),
        None => None,
    };
    let name = optional_text(obj, "event", limits.max_name_chars, &mut errors)
        .or_else(|| kind.and_then(EventType::default_name).map(String::from));
    if name.is_none()
        && kind == Some(EventType::Track)
        && !errors.iter().any(|e| names_field(e, "event"))
    {
        errors.push(EnvelopeError::MissingField("event"));
    }
    let distinct_id = optional_text(obj, "distinct_id", limits.max_name_chars, &mut errors);
    let anonymous_id = optional_text(obj, "anonymous_id", limits.max_name_chars, &mut errors);
    if distinct_id.is_none() && anonymous_id.is_none() {
        errors.push(EnvelopeError::MissingField("distinct_id"));
    }
    let session_id = optional_text(obj, "session_id", limits.max_name_chars, &mut errors);
    // An alias names the two ids it joins; a group names the account.
    let previous_id = optional_text(obj, "previous_id", limits.max_name_chars, &mut errors);
    let group_id = optional_text(obj, "group_id", limits.max_name_chars, &mut errors);
    if kind == Some(EventType::Alias) {
        if previous_id.is_none() && !errors.iter().any(|e| names_field(e, "previous_id")) {
            errors.push(EnvelopeError::MissingField("previous_id"));
        }
        if distinct_id.is_none() {
            errors.push(EnvelopeError::MissingField("distinct_id"));
        }
    }
    if kind == Some(EventType::Group)
        && group_id.is_none()
        && !errors.iter().any(|e| names_field(e, "group_id"))
    {
        errors.push(EnvelopeError::MissingField("group_id"));
    }
    let client_ts = optional_text(obj, "client_ts", limits.max_name_chars, &mut errors);
    let sent_at = optional_text(obj, "sent_at", limits.max_name_chars, &mut errors)
        .or_else(|| request.sent_at.clone());
    if let Some(at) = claimed_ts(
        request.received_at,
        sent_at.as_deref(),
        client_ts.as_deref(),
    ) {
        let reason = if at < request.received_at.saturating_sub(limits.max_late_ms) {
            Some("more than 7 days before it was received")
        } else if at > request.received_at.saturating_add(limits.max_ahead_ms) {
            Some("more than 1 day after it was received")
        } else {
            None
        };
        if let Some(reason) = reason {
            errors.push(EnvelopeError::TimeOutOfRange {
                at: if at == i64::MIN {
                    "(out of range)".into()
                } else {
                    format_millis(at)
                },
                reason,
            });
        }
    }
    let properties = properties(obj.get("properties"), limits, &mut errors);
    let context = context(obj.get("context"), limits, &mut errors);

    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(event_id), Some(kind), Some(event)) = (event_id, kind, name) else {
        return Err(vec![EnvelopeError::MissingField("event_id")]);
    };
    let ts = corrected_ts(
        request.received_at,
        sent_at.as_deref(),
        client_ts.as_deref(),
    );
    Ok(Envelope {
        event_id,
        kind,
        event,
        distinct_id,
        anonymous_id,
        session_id,
        previous_id,
        group_id,
        client_ts,
        sent_at,
        received_at: format_millis(request.received_at),
        ts: format_millis(ts),
        properties,
        context,
        collector: CollectorInfo {
            request_id: request.request_id.clone(),
            ip: request.ip.as_deref().and_then(truncate_ip),
        },
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn required_text(
    obj: &Map<String, Value>,
    field: &'static str,
    max_chars: usize,
    errors: &mut Vec<EnvelopeError>,
) -> Option<String> {
    let value = optional_text(obj, field, max_chars, errors);
    if value.is_none() && !errors.iter().any(|e| names_field(e, field)) {
        errors.push(EnvelopeError::MissingField(field));
    }
    value
}

fn names_field(e: &EnvelopeError, field: &str) -> bool {
    matches!(e, EnvelopeError::InvalidField { field: f, .. } | EnvelopeError::TooLarge { field: f, .. } if *f == field)
}

/// A string field; absent, null or empty is `None`.
fn optional_text(
    obj: &Map<String, Value>,
    field: &'static str,
    max_chars: usize,
    errors: &mut Vec<EnvelopeError>,
) -> Option<String> {
    match obj.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => {
            let chars = s.chars().count();
            if chars > max_chars {
                errors.push(EnvelopeError::InvalidField {
                    field,
                    reason: format!("{chars} characters, above the limit of {max_chars}"),
                });
                return None;
            }
            Some(s.clone())
        }
        Some(other) => {
            errors.push(EnvelopeError::InvalidField {
                field,
                reason: format!("must be a string, got {}", json_kind(other)),
            });
            None
        }
    }
}

fn properties(
    value: Option<&Value>,
    limits: &Limits,
    errors: &mut Vec<EnvelopeError>,
) -> Map<String, Value> {
    let map = match value {
        None | Some(Value::Null) => return Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            errors.push(EnvelopeError::InvalidField {
                field: "properties",
                reason: format!("must be an object, got {}", json_kind(other)),
            });
            return Map::new();
        }
    };
    let size = serde_json::to_vec(map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > limits.max_properties_bytes {
        errors.push(EnvelopeError::TooLarge {
            field: "properties",
            actual: size,
            limit: limits.max_properties_bytes,
        });
    }
    for (key, v) in map {
        if key.chars().count() > limits.max_name_chars || key.is_empty() {
            errors.push(EnvelopeError::InvalidField {
                field: "properties",
                reason: format!(
                    "key `{}` must be 1 to {} characters",
                    key.chars().take(40).collect::<String>(),
                    limits.max_name_chars
                ),
            });
        }
        if v.is_object() || v.is_array() {
            errors.push(EnvelopeError::NotFlat(key.clone()));
        }
    }
    map.clone()
}

fn context(
    value: Option<&Value>,
    limits: &Limits,
    errors: &mut Vec<EnvelopeError>,
) -> EventContext {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return EventContext::default();
    };
    let size = serde_json::to_vec(value)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > limits.max_context_bytes {
        errors.push(EnvelopeError::TooLarge {
            field: "context",
            actual: size,
            limit: limits.max_context_bytes,
        });
        return EventContext::default();
    }
    let Some(obj) = value.as_object() else {
        errors.push(EnvelopeError::InvalidField {
            field: "context",
            reason: format!("must be an object, got {}", json_kind(value)),
        });
        return EventContext::default();
    };
    let max = limits.max_text_chars;
    EventContext {
        url: optional_text(obj, "url", max, errors),
        path: optional_text(obj, "path", max, errors),
        title: optional_text(obj, "title", max, errors),
        referrer: optional_text(obj, "referrer", max, errors),
        element: obj.get("element").filter(|v| !v.is_null()).cloned(),
        library: obj.get("library").filter(|v| !v.is_null()).cloned(),
        locale: optional_text(obj, "locale", limits.max_name_chars, errors),
        tz: optional_text(obj, "tz", limits.max_name_chars, errors),
    }
}
