//! The person's lines in the bucket: which objects are read (accepted
//! batches under `events/v1/`, rejected lines under `bad/v1/`) and which
//! line is the person's. Shared by the erasure and the export, so the two
//! always agree on what "their lines" are.

use std::collections::HashSet;
use std::io::Read;

use flate2::read::MultiGzDecoder;
use serde_json::Value;
use stratus_core::jobs::CancellationToken;
use stratus_core::store::{ListRequest, ObjectStore};

use crate::collector::batch_key::{BAD_PREFIX, EVENTS_PREFIX};
use crate::error::{Error, Result};

/// Where a line sits, and so how its owner is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// An accepted envelope (`events/v1/`).
    Event,
    /// A rejected event kept as `{failure, raw}` (`bad/v1/`).
    Bad,
}

/// One batch object to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchObject {
    pub key: String,
    pub kind: LineKind,
}

/// Every batch object of the bucket: accepted ones, then rejected ones,
/// each in key order.
pub async fn list_batch_objects(
    store: &dyn ObjectStore,
    cancel: &CancellationToken,
) -> Result<Vec<BatchObject>> {
    let mut objects = Vec::new();
    for (prefix, kind) in [
        (EVENTS_PREFIX, LineKind::Event),
        (BAD_PREFIX, LineKind::Bad),
    ] {
        let mut request = ListRequest::prefix(prefix);
        loop {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let page = store.list(request.clone()).await?;
            objects.extend(
                page.objects
                    .into_iter()
                    .filter(|o| o.key.ends_with(".ndjson.gz"))
                    .map(|o| BatchObject { key: o.key, kind }),
            );
            match page.next_continuation {
                Some(token) => request = request.continue_from(Some(token)),
                None => break,
            }
        }
    }
    Ok(objects)
}

/// An object's text, decompressed (every gzip member).
pub fn gunzip(gzipped: &[u8]) -> Result<Vec<u8>> {
    let mut text = Vec::new();
    MultiGzDecoder::new(gzipped).read_to_end(&mut text)?;
    Ok(text)
}

/// The non-empty lines of an object's text, as they are (no newline).
pub fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|b| *b == b'\n').filter(|l| !l.is_empty())
}

/// The person's ids, and which lines are theirs.
pub struct PersonLines {
    ids: HashSet<String>,
}

/// Fields of a rejected event's `raw` that name who sent it, in the shapes
/// the collector takes: ours, Segment's (`userId`, `anonymousId`,
/// `previousId`) and PostHog's (`$anon_distinct_id`, `alias`, also inside
/// `properties`). A rejected line was never given a person, so any of them
/// naming one of the person's ids makes it theirs.
const RAW_ID_FIELDS: [&str; 10] = [
    "distinct_id",
    "anonymous_id",
    "previous_id",
    "user_id",
    "userId",
    "anonymousId",
    "previousId",
    "$anon_distinct_id",
    "$user_id",
    "alias",
];

impl PersonLines {
    pub fn new(ids: &[String]) -> Self {
        PersonLines {
            ids: ids.iter().cloned().collect(),
        }
    }

    /// The line parsed, when it is the person's. A line that is not JSON is
    /// nobody's.
    pub fn theirs(&self, kind: LineKind, line: &[u8]) -> Option<Value> {
        let v = serde_json::from_slice::<Value>(line).ok()?;
        let mine = match kind {
            LineKind::Event => self.is_event_theirs(&v),
            LineKind::Bad => self.is_raw_theirs(v.get("raw")),
        };
        mine.then_some(v)
    }

    /// An accepted envelope is theirs when its `distinct_id`, else its
    /// `anonymous_id`, is one of their ids: the rule that gives a cached
    /// event its person (`sync/identity/graph.rs`).
    fn is_event_theirs(&self, v: &Value) -> bool {
        let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        text("distinct_id")
            .or_else(|| text("anonymous_id"))
            .is_some_and(|id| self.ids.contains(id))
    }

    fn is_raw_theirs(&self, raw: Option<&Value>) -> bool {
        let Some(raw) = raw else { return false };
        // A raw event kept as text (not an object) is read as JSON if it is.
        let parsed;
        let raw = match raw {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(v) => {
                    parsed = v;
                    &parsed
                }
                Err(_) => return false,
            },
            other => other,
        };
        let names = |o: &Value| {
            RAW_ID_FIELDS.iter().any(|f| {
                o.get(*f)
                    .and_then(Value::as_str)
                    .is_some_and(|id| self.ids.contains(id))
            })
        };
        names(raw) || raw.get("properties").is_some_and(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_lines_follow_the_person_rule_and_rejected_ones_any_id_field() {
        let p = PersonLines::new(&["ann".into(), "anon-ann".into()]);
        let ev = |s: &str| p.theirs(LineKind::Event, s.as_bytes()).is_some();
        assert!(ev(r#"{"distinct_id":"ann"}"#));
        assert!(ev(r#"{"anonymous_id":"anon-ann"}"#));
        // distinct_id wins over anonymous_id, as in the cache.
        assert!(!ev(r#"{"distinct_id":"bo","anonymous_id":"anon-ann"}"#));
        assert!(!ev("not json"));
        let bad = |s: &str| p.theirs(LineKind::Bad, s.as_bytes()).is_some();
        assert!(bad(r#"{"failure":{},"raw":{"userId":"ann","event":"x"}}"#));
        assert!(bad(
            r#"{"failure":{},"raw":{"distinct_id":"bo","properties":{"$anon_distinct_id":"anon-ann"}}}"#
        ));
        assert!(bad(
            r#"{"failure":{},"raw":"{\"anonymousId\":\"anon-ann\"}"}"#
        ));
        assert!(!bad(
            r#"{"failure":{},"raw":{"userId":"bo","properties":{"note":"ann"}}}"#
        ));
        assert!(!bad(r#"{"failure":{},"raw":"ann"}"#));
        assert!(!bad(r#"{"failure":{}}"#));
    }
}
