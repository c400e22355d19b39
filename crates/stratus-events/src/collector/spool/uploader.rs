//! The spool's uploader: writes sealed segments to the bucket, oldest
//! first, off the request path, and deletes each once the bucket has it.
//! While the bucket is unreachable it retries with a growing pause; the
//! segments wait on disk (bounded by the spool's queue limit), and nothing
//! is lost when the bucket comes back.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use stratus_core::store::ObjectStore;

use super::segment::{self, SegmentName};
use super::Shared;
use crate::collector::batch_key::batch_key_with_id;
use crate::collector::put_batch;

/// Pauses between failed uploads: from `min`, doubling up to `max`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub min: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            min: Duration::from_millis(200),
            max: Duration::from_secs(5),
        }
    }
}

pub(super) async fn run(
    dir: PathBuf,
    shared: Arc<Shared>,
    store: Arc<dyn ObjectStore>,
    retry: RetryPolicy,
) {
    let mut pause = retry.min;
    loop {
        let listed = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || segment::list(&dir)).await
        };
        let ready: Vec<(SegmentName, u64)> = match listed {
            Ok(Ok(found)) => found.into_iter().filter(|(n, _)| n.sealed).collect(),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot list the collector spool");
                Vec::new()
            }
            Err(_) => return,
        };
        if ready.is_empty() {
            shared.sealed.notified().await;
            continue;
        }
        for (name, size) in ready {
            match upload(&dir, name, store.as_ref()).await {
                Ok(lines) => {
                    shared.queued.send_modify(|q| *q = q.saturating_sub(size));
                    tracing::info!(lines, segment = %name.id, "collector wrote a spooled batch");
                    pause = retry.min;
                    shared.pause_ms.store(0, Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?pause, "collector cannot write to the bucket; events stay spooled");
                    shared
                        .pause_ms
                        .store(pause.as_millis() as u64, Ordering::Relaxed);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(retry.max);
                    break;
                }
            }
        }
    }
}

/// Puts one sealed segment's streams and deletes it. Each object's id is
/// the segment's, so a retry within the hour of a write that did land (an
/// answer lost on the way back) rewrites the same object rather than adding
/// a copy (across an hour it adds one, and sync collapses its events on
/// `event_id`); the partition is the hour of the write, so a late upload
/// after an outage is still found by an incremental sync.
async fn upload(
    dir: &std::path::Path,
    name: SegmentName,
    store: &dyn ObjectStore,
) -> crate::Result<usize> {
    let path = name.path(dir);
    let bytes = tokio::fs::read(&path).await?;
    let lines = segment::read_lines(&bytes);
    for (kind, ndjson, count) in lines.by_kind() {
        if count > 0 {
            let key = batch_key_with_id(kind, Utc::now(), name.id);
            put_batch(store, &key, ndjson, count).await?;
        }
    }
    tokio::fs::remove_file(&path).await?;
    Ok(lines.event_lines)
}
