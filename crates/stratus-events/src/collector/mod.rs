//! The collector's batch writer: validates a request's events, answers per
//! event, and buffers accepted and rejected ones into gzipped NDJSON objects
//! (`events/v1/…` and `bad/v1/…`). No HTTP here: the gateway wraps
//! [`Collector::collect`] and calls [`Collector::flush_if_due`] on a timer.
//!
//! The collector's room:
//! - [`sdk_formats`]: Segment's and PostHog's batch shapes mapped onto the envelope;
//! - [`batch_key`]: the batch objects' key layout (the sync reads the same layout);
//! - [`spool`]: the durable local queue of a long-running server;
//! - [`write_keys`]: who may send (keys, publishing, rate limit).

pub mod batch_key;
pub mod sdk_formats;
pub mod spool;
pub mod write_keys;

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;
use serde_json::{json, Value};
use stratus_core::store::{ObjectStore, PutOptions};
use tokio::sync::Mutex;

use crate::envelope::format_millis;
use crate::envelope::validate::{validate, Limits, RequestMeta};
use crate::error::{Error, Result};
use batch_key::{batch_key_with_id, BatchKind};
use sdk_formats::request_events;

/// When a buffer is written out.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    pub limits: Limits,
    /// Largest request body the HTTP collector reads (`stratus-gateway`'s
    /// request body reader enforces it).
    pub max_request_bytes: usize,
    /// Flush once the uncompressed NDJSON passes this many bytes.
    pub max_buffer_bytes: usize,
    /// Flush once the oldest buffered event is this old.
    pub max_age: Duration,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            limits: Limits::default(),
            max_request_bytes: 512 * 1024,
            max_buffer_bytes: 4 * 1024 * 1024,
            max_age: Duration::from_secs(10),
        }
    }
}

/// One reason an event was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub code: &'static str,
    pub message: String,
}

/// What happened to one event of a request, by its position in the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventOutcome {
    pub index: usize,
    pub event_id: Option<String>,
    pub accepted: bool,
    pub rejections: Vec<Rejection>,
}

/// The answer to one request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CollectReport {
    pub accepted: usize,
    pub rejected: usize,
    pub events: Vec<EventOutcome>,
    /// Keys of objects this request's arrival caused to be written.
    pub flushed: Vec<String>,
}

/// One request's lines to keep, as NDJSON: accepted events and rejected ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestLines {
    pub events: Vec<u8>,
    pub event_lines: usize,
    pub bad: Vec<u8>,
    pub bad_lines: usize,
}

impl RequestLines {
    /// Each stream with its batch kind and line count.
    pub fn by_kind(&self) -> [(BatchKind, &[u8], usize); 2] {
        [
            (BatchKind::Events, &self.events, self.event_lines),
            (BatchKind::Bad, &self.bad, self.bad_lines),
        ]
    }
}

fn push_line(ndjson: &mut Vec<u8>, line: &Value) -> Result<()> {
    serde_json::to_writer(&mut *ndjson, line)
        .map_err(|e| Error::Internal(format!("cannot encode an event: {e}")))?;
    ndjson.push(b'\n');
    Ok(())
}

/// Stores one gzipped NDJSON batch under `key`.
pub async fn put_batch(
    store: &dyn ObjectStore,
    key: &str,
    ndjson: &[u8],
    lines: usize,
) -> Result<()> {
    let body = gzip(ndjson)?;
    let options = PutOptions {
        content_type: Some("application/x-ndjson".into()),
        metadata: [("lines".to_string(), lines.to_string())].into(),
        ..PutOptions::default()
    };
    store.put(key, Bytes::from(body), options).await?;
    Ok(())
}

/// Identical rejections of one request, counted once: a request of 1,000
/// events that all fail the same way gets one entry, not 1,000 copies of the
/// message (the answer stays smaller than the request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectionGroup {
    pub code: &'static str,
    pub message: String,
    /// Events rejected for this reason.
    pub count: usize,
    /// Positions in the batch of the first [`GROUP_INDEXES`] of them.
    pub indexes: Vec<usize>,
}

/// How many positions a [`RejectionGroup`] lists.
pub const GROUP_INDEXES: usize = 10;
/// Distinct messages kept per request; further ones are counted by code.
const MAX_GROUPS: usize = 20;
/// A message is cut to this many characters (it may quote client input).
const MAX_MESSAGE_CHARS: usize = 200;

impl CollectReport {
    /// The request's rejections, one entry per distinct reason, in order of
    /// first appearance. Beyond [`MAX_GROUPS`] distinct messages (say, each
    /// quoting a different bad value), rejections are folded by code.
    pub fn rejection_groups(&self) -> Vec<RejectionGroup> {
        let mut groups: Vec<RejectionGroup> = Vec::new();
        for outcome in &self.events {
            for rejection in &outcome.rejections {
                let mut message = cut(&rejection.message);
                let known = |m: &str| {
                    groups
                        .iter()
                        .position(|g| g.code == rejection.code && g.message == m)
                };
                if known(&message).is_none() && groups.len() >= MAX_GROUPS {
                    message = format!("other events rejected with code `{}`", rejection.code);
                }
                let at = match known(&message) {
                    Some(at) => at,
                    None => {
                        groups.push(RejectionGroup {
                            code: rejection.code,
                            message,
                            count: 0,
                            indexes: Vec::new(),
                        });
                        groups.len() - 1
                    }
                };
                let group = &mut groups[at];
                group.count += 1;
                if group.indexes.len() < GROUP_INDEXES
                    && group.indexes.last() != Some(&outcome.index)
                {
                    group.indexes.push(outcome.index);
                }
            }
        }
        groups
    }
}

fn cut(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_string(),
    }
}

#[derive(Default)]
struct Pending {
    ndjson: Vec<u8>,
    lines: usize,
    since: Option<Instant>,
}

impl Pending {
    fn extend(&mut self, ndjson: &[u8], lines: usize) {
        if lines == 0 {
            return;
        }
        self.ndjson.extend_from_slice(ndjson);
        self.lines += lines;
        self.since.get_or_insert_with(Instant::now);
    }

    fn due(&self, config: &CollectorConfig) -> bool {
        self.ndjson.len() >= config.max_buffer_bytes
            || self.since.is_some_and(|t| t.elapsed() >= config.max_age)
    }
}

#[derive(Default)]
struct Buffers {
    events: Pending,
    bad: Pending,
}

/// Buffers events of many requests and writes them as batch objects.
pub struct Collector {
    store: Arc<dyn ObjectStore>,
    config: CollectorConfig,
    buffers: Mutex<Buffers>,
}

impl Collector {
    pub fn new(store: Arc<dyn ObjectStore>, config: CollectorConfig) -> Self {
        Collector {
            store,
            config,
            buffers: Mutex::new(Buffers::default()),
        }
    }

    /// Takes a request body (native envelope(s), Segment or PostHog batch),
    /// validates each event and buffers it. Valid events are accepted even
    /// when others of the same request are rejected. Flushes when a buffer is
    /// due; a failed write is returned as an error and the lines stay
    /// buffered for the next flush.
    pub async fn collect(&self, body: Value, request: RequestMeta) -> Result<CollectReport> {
        let (mut report, lines) = self.prepare(body, request)?;
        let mut buffers = self.buffers.lock().await;
        buffers.events.extend(&lines.events, lines.event_lines);
        buffers.bad.extend(&lines.bad, lines.bad_lines);
        report.flushed = self.write_due(&mut buffers, false).await?;
        Ok(report)
    }

    /// Validates and enriches a request's events without writing anything:
    /// the per-event answer and the NDJSON lines to keep. The caller decides
    /// where the lines go (straight to the bucket, or a local spool first).
    pub fn prepare(
        &self,
        body: Value,
        request: RequestMeta,
    ) -> Result<(CollectReport, RequestLines)> {
        let parsed = request_events(body)?;
        let meta = RequestMeta {
            sent_at: request.sent_at.clone().or(parsed.sent_at),
            ..request
        };
        let at = format_millis(meta.received_at);
        let mut report = CollectReport::default();
        let mut lines = RequestLines::default();
        for (index, (raw, mapped)) in parsed.events.into_iter().enumerate() {
            match validate(&mapped, &meta, &self.config.limits) {
                Ok(envelope) => {
                    let line = serde_json::to_value(&envelope)
                        .map_err(|e| Error::Internal(format!("cannot encode an event: {e}")))?;
                    push_line(&mut lines.events, &line)?;
                    lines.event_lines += 1;
                    report.accepted += 1;
                    report.events.push(EventOutcome {
                        index,
                        event_id: Some(envelope.event_id),
                        accepted: true,
                        rejections: Vec::new(),
                    });
                }
                Err(errors) => {
                    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    let codes: Vec<&str> = errors.iter().map(|e| e.code()).collect();
                    push_line(
                        &mut lines.bad,
                        &json!({
                            "failure": {"type": "validation", "codes": codes, "messages": messages, "at": at},
                            "raw": raw,
                        }),
                    )?;
                    lines.bad_lines += 1;
                    report.rejected += 1;
                    report.events.push(EventOutcome {
                        index,
                        event_id: mapped
                            .get("event_id")
                            .and_then(Value::as_str)
                            .map(String::from),
                        accepted: false,
                        rejections: errors
                            .iter()
                            .map(|e| Rejection {
                                code: e.code(),
                                message: e.to_string(),
                            })
                            .collect(),
                    });
                }
            }
        }
        Ok((report, lines))
    }

    /// Writes one request's lines as their own objects now, bypassing the
    /// buffers: the policy of a host that may not run anything after it
    /// answers (AWS Lambda). Returns the keys written.
    pub async fn write_lines(&self, lines: &RequestLines) -> Result<Vec<String>> {
        let id = uuid::Uuid::now_v7();
        let mut keys = Vec::new();
        for (kind, ndjson, count) in lines.by_kind() {
            if count == 0 {
                continue;
            }
            let key = batch_key_with_id(kind, Utc::now(), id);
            put_batch(self.store.as_ref(), &key, ndjson, count).await?;
            keys.push(key);
        }
        Ok(keys)
    }

    /// Writes whatever is buffered now. Returns the keys written.
    pub async fn flush(&self) -> Result<Vec<String>> {
        let mut buffers = self.buffers.lock().await;
        self.write_due(&mut buffers, true).await
    }

    /// Writes buffers older than the configured age; for a timer.
    pub async fn flush_if_due(&self) -> Result<Vec<String>> {
        let mut buffers = self.buffers.lock().await;
        self.write_due(&mut buffers, false).await
    }

    /// Events accepted but not yet written.
    pub async fn buffered(&self) -> usize {
        self.buffers.lock().await.events.lines
    }

    async fn write_due(&self, buffers: &mut Buffers, force: bool) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        for (kind, pending) in [
            (BatchKind::Events, &mut buffers.events),
            (BatchKind::Bad, &mut buffers.bad),
        ] {
            if pending.lines == 0 || !(force || pending.due(&self.config)) {
                continue;
            }
            let key = batch_key_with_id(kind, Utc::now(), uuid::Uuid::now_v7());
            // Clear only once stored: a failed write keeps the lines for the next flush.
            put_batch(self.store.as_ref(), &key, &pending.ndjson, pending.lines).await?;
            *pending = Pending::default();
            keys.push(key);
        }
        Ok(keys)
    }
}

/// Gzips a batch. Level 6: batches are written once and downloaded by every sync.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    gzip_level(data, Compression::default())
}

pub(crate) fn gzip_level(data: &[u8], level: Compression) -> Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 4), level);
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}
