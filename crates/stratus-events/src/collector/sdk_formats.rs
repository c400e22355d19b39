//! Batch shapes of common tracking SDKs, mapped onto the envelope so existing
//! clients can send to the collector unchanged: Segment's `/v1/batch` and
//! PostHog's `/batch`. Mapped events then go through the same validation as
//! native ones. Identity calls map onto the envelope's `identify`, `alias`
//! and `group`: Segment's `identify`/`alias`/`group` messages, PostHog's
//! `$identify` (`$anon_distinct_id`), `$create_alias` and `$groupidentify`.

use md5::{Digest, Md5};
use serde_json::{Map, Value};

use crate::error::Error;

/// Most events one request may carry.
pub const MAX_BATCH_EVENTS: usize = 1000;

/// The events of one request, each as (what the client sent, the envelope to validate).
pub struct RequestEvents {
    pub events: Vec<(Value, Value)>,
    /// The batch-level `sentAt` / `sent_at`, if any.
    pub sent_at: Option<String>,
}

/// Splits a request body into events: a native envelope, an array of them,
/// `{batch: [...], sent_at}`, Segment's or PostHog's batch.
pub fn request_events(body: Value) -> Result<RequestEvents, Error> {
    let (items, sent_at, posthog_hint) = match body {
        Value::Array(items) => (items, None, false),
        Value::Object(mut obj) => match obj.remove("batch") {
            Some(Value::Array(items)) => {
                let sent_at = ["sentAt", "sent_at"]
                    .iter()
                    .find_map(|k| obj.get(*k).and_then(Value::as_str).map(String::from));
                (items, sent_at, obj.contains_key("api_key"))
            }
            Some(_) => return Err(Error::InvalidBatch("`batch` must be an array".into())),
            None => (vec![Value::Object(obj)], None, false),
        },
        _ => {
            return Err(Error::InvalidBatch(
                "send a JSON object or an array of events".into(),
            ))
        }
    };
    if items.len() > MAX_BATCH_EVENTS {
        return Err(Error::BatchTooLarge {
            actual: items.len(),
            limit: MAX_BATCH_EVENTS,
        });
    }
    let events = items
        .into_iter()
        .map(|item| {
            let mapped = match shape_of(&item, posthog_hint) {
                Shape::Native => item.clone(),
                Shape::Segment => from_segment(&item),
                Shape::PostHog => from_posthog(&item),
            };
            (item, mapped)
        })
        .collect();
    Ok(RequestEvents { events, sent_at })
}

enum Shape {
    Native,
    Segment,
    PostHog,
}

fn shape_of(item: &Value, posthog_hint: bool) -> Shape {
    let has = |k: &str| item.get(k).is_some();
    if has("event_id") {
        Shape::Native
    } else if has("messageId") || has("userId") || has("anonymousId") {
        Shape::Segment
    } else if posthog_hint || has("uuid") || item.pointer("/properties/distinct_id").is_some() {
        Shape::PostHog
    } else {
        Shape::Native
    }
}

/// Segment message → envelope. A `messageId` that is not a UUID (analytics.js
/// sends `ajs-next-…`) becomes a name-based UUID, so retries still collapse.
fn from_segment(m: &Value) -> Value {
    let s = |k: &str| m.get(k).and_then(Value::as_str);
    let kind = match s("type") {
        Some("screen") => Some("page"),
        other => other,
    };
    let mut props = flatten(m.get("properties").or_else(|| m.get("traits")));
    if kind == Some("page") {
        if let Some(name) = s("name") {
            props.insert("name".into(), Value::String(name.into()));
        }
    }
    let ctx = |p: &str| m.pointer(p).cloned().unwrap_or(Value::Null);
    let mut out = Map::new();
    put(
        &mut out,
        "event_id",
        s("messageId").map(|id| uuid_for("segment", id)),
    );
    put(&mut out, "type", kind.map(String::from));
    put(&mut out, "event", s("event").map(String::from));
    put(&mut out, "distinct_id", s("userId").map(String::from));
    put(&mut out, "anonymous_id", s("anonymousId").map(String::from));
    put(&mut out, "previous_id", s("previousId").map(String::from));
    put(&mut out, "group_id", s("groupId").map(String::from));
    put(&mut out, "client_ts", s("timestamp").map(String::from));
    put(&mut out, "sent_at", s("sentAt").map(String::from));
    out.insert("properties".into(), Value::Object(props));
    out.insert(
        "context".into(),
        serde_json::json!({
            "url": ctx("/context/page/url"),
            "path": ctx("/context/page/path"),
            "title": ctx("/context/page/title"),
            "referrer": ctx("/context/page/referrer"),
            "library": ctx("/context/library"),
            "locale": ctx("/context/locale"),
            "tz": ctx("/context/timezone"),
        }),
    );
    Value::Object(out)
}

/// PostHog event → envelope. `$`-prefixed properties that name the context
/// move there; the rest stay properties. `$set`/`$set_once` sent beside the
/// properties (the server SDKs' `set()`) become `$set.<trait>` properties.
fn from_posthog(m: &Value) -> Value {
    let mut raw = m.get("properties").cloned().unwrap_or(Value::Null);
    if let Value::Object(props) = &mut raw {
        for key in ["$set", "$set_once"] {
            if let Some(v) = m.get(key) {
                props.entry(key).or_insert_with(|| v.clone());
            }
        }
    } else if m.get("$set").is_some() || m.get("$set_once").is_some() {
        raw = serde_json::json!({ "$set": m.get("$set"), "$set_once": m.get("$set_once") });
    }
    let mut props = flatten(Some(&raw));
    let mut take = |k: &str| match props.remove(k) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let mut distinct_id = take("distinct_id").or_else(|| {
        m.get("distinct_id")
            .and_then(Value::as_str)
            .map(String::from)
    });
    let session_id = take("$session_id");
    let url = take("$current_url");
    let path = take("$pathname");
    let referrer = take("$referrer");
    let title = take("title");
    let library = take("$lib");
    let event = m.get("event").and_then(Value::as_str);
    let (mut anonymous_id, mut previous_id, mut group_id) = (None, None, None);
    let kind = match event {
        Some("$pageview") => "page",
        Some("$identify") => {
            anonymous_id = take("$anon_distinct_id");
            "identify"
        }
        // `alias(previous_id, distinct_id)` sends the previous id as the
        // event's distinct_id and the new one as `alias`.
        Some("$create_alias") => {
            previous_id = distinct_id.take();
            distinct_id = take("alias");
            "alias"
        }
        Some("$groupidentify") => {
            let group_type = take("$group_type");
            group_id = take("$group_key")
                .map(|key| group_type.map_or_else(|| key.clone(), |t| format!("{t}:{key}")));
            "group"
        }
        _ => "track",
    };
    let mut out = Map::new();
    put(
        &mut out,
        "event_id",
        m.get("uuid").and_then(Value::as_str).map(String::from),
    );
    put(&mut out, "type", Some(kind.to_string()));
    put(&mut out, "event", event.map(String::from));
    put(&mut out, "distinct_id", distinct_id);
    put(&mut out, "anonymous_id", anonymous_id);
    put(&mut out, "previous_id", previous_id);
    put(&mut out, "group_id", group_id);
    put(&mut out, "session_id", session_id);
    put(
        &mut out,
        "client_ts",
        m.get("timestamp").and_then(Value::as_str).map(String::from),
    );
    out.insert("properties".into(), Value::Object(props));
    out.insert(
        "context".into(),
        serde_json::json!({ "url": url, "path": path, "referrer": referrer, "title": title, "library": library }),
    );
    Value::Object(out)
}

fn put(out: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value {
        out.insert(key.into(), Value::String(v));
    }
}

/// SDK properties may nest; the envelope's are flat. Nested objects become
/// dotted keys, arrays their JSON text.
fn flatten(value: Option<&Value>) -> Map<String, Value> {
    fn walk(prefix: &str, obj: &Map<String, Value>, out: &mut Map<String, Value>, depth: u8) {
        for (k, v) in obj {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Object(inner) if depth < 4 => walk(&key, inner, out, depth + 1),
                Value::Object(_) | Value::Array(_) => {
                    out.insert(key, Value::String(v.to_string()));
                }
                scalar => {
                    out.insert(key, scalar.clone());
                }
            }
        }
    }
    let mut out = Map::new();
    if let Some(Value::Object(obj)) = value {
        walk("", obj, &mut out, 0);
    }
    out
}

/// A UUID for a client id: the id itself when it is one, else a name-based
/// (MD5, version 3 layout) UUID of `source:id`.
fn uuid_for(source: &str, id: &str) -> String {
    if let Ok(u) = uuid::Uuid::parse_str(id) {
        return u.to_string();
    }
    let digest: [u8; 16] = Md5::digest(format!("{source}:{id}").as_bytes()).into();
    uuid::Builder::from_md5_bytes(digest)
        .into_uuid()
        .to_string()
}
