//! The collector's batch writer: validates a request's events, answers per
//! event, and buffers accepted and rejected ones into gzipped NDJSON objects
//! (`events/v1/…` and `bad/v1/…`). No HTTP here: the gateway wraps
//! [`Collector::collect`] and calls [`Collector::flush_if_due`] on a timer.

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

use crate::batch_key::{batch_key_with_id, BatchKind};
use crate::envelope::format_millis;
use crate::error::{Error, Result};
use crate::sdk_formats::request_events;
use crate::validate::{validate, Limits, RequestMeta};

/// When a buffer is written out.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    pub limits: Limits,
    /// Largest request body [`Collector::collect_body`] reads.
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

#[derive(Default)]
struct Pending {
    ndjson: Vec<u8>,
    lines: usize,
    since: Option<Instant>,
}

impl Pending {
    fn push(&mut self, line: &Value) -> Result<()> {
        serde_json::to_writer(&mut self.ndjson, line)
            .map_err(|e| Error::Internal(format!("cannot encode an event: {e}")))?;
        self.ndjson.push(b'\n');
        self.lines += 1;
        self.since.get_or_insert_with(Instant::now);
        Ok(())
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
        let parsed = request_events(body)?;
        let meta = RequestMeta {
            sent_at: request.sent_at.clone().or(parsed.sent_at),
            ..request
        };
        let at = format_millis(meta.received_at);
        let mut report = CollectReport::default();
        let mut buffers = self.buffers.lock().await;
        for (index, (raw, mapped)) in parsed.events.into_iter().enumerate() {
            match validate(&mapped, &meta, &self.config.limits) {
                Ok(envelope) => {
                    let line = serde_json::to_value(&envelope)
                        .map_err(|e| Error::Internal(format!("cannot encode an event: {e}")))?;
                    buffers.events.push(&line)?;
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
                    buffers.bad.push(&json!({
                        "failure": {"type": "validation", "codes": codes, "messages": messages, "at": at},
                        "raw": raw,
                    }))?;
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
        report.flushed = self.write_due(&mut buffers, false).await?;
        Ok(report)
    }

    /// [`Collector::collect`] from the raw request body, as an HTTP handler
    /// gets it: bounded in size and parsed here, so the handler only maps
    /// the outcome to a status.
    pub async fn collect_body(&self, body: &[u8], request: RequestMeta) -> Result<CollectReport> {
        if body.len() > self.config.max_request_bytes {
            return Err(Error::RequestTooLarge {
                actual: body.len(),
                limit: self.config.max_request_bytes,
            });
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| Error::InvalidBatch(format!("the body is not JSON: {e}")))?;
        self.collect(value, request).await
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
            let body = gzip(&pending.ndjson)?;
            let options = PutOptions {
                content_type: Some("application/x-ndjson".into()),
                metadata: [("lines".to_string(), pending.lines.to_string())].into(),
                ..PutOptions::default()
            };
            // Clear only once stored: a failed write keeps the lines for the next flush.
            self.store.put(&key, Bytes::from(body), options).await?;
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
