//! Sync: S3 batch objects → the local SQLite cache.
//!
//! List from the watermark minus a lookback window, skip objects whose ledger
//! row has the same ETag, download and parse up to `concurrency` objects at a
//! time, and hand them IN KEY ORDER to one writer that ingests each object in
//! one transaction. Key order keeps the watermark a true low watermark: every
//! key at or below it that was listed has been ingested.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use stratus_core::db::Db;
use stratus_core::jobs::{CancellationToken, Progress};
use stratus_core::store::{ListRequest, ObjectMeta, ObjectStore};

use crate::batch_key::{lookback_start_after, EVENTS_PREFIX};
use crate::batch_reader::{read_batch, ParsedBatch};
use crate::error::{Error, Result};
use crate::ledger;

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The prefix of batch objects; also the key of the watermark.
    pub prefix: String,
    /// Hours listed again behind the watermark's partition, for objects that
    /// land late (a slow writer, clocks apart). Later landings are missed
    /// until a full sync.
    pub lookback_hours: u32,
    /// Ignore the watermark and list everything (the ledger still skips
    /// unchanged objects).
    pub full: bool,
    /// Objects downloaded at once.
    pub concurrency: usize,
    /// A pause after each ingested object, to leave bandwidth and disk to the
    /// app during a live tail. Tests use it to widen the window for a crash.
    pub pace: Option<Duration>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            prefix: EVENTS_PREFIX.to_string(),
            lookback_hours: 2,
            full: false,
            concurrency: 4,
            pace: None,
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Objects the listing returned (from the lookback start on).
    pub listed: u64,
    /// Listed objects already ingested with the same ETag.
    pub skipped: u64,
    /// Objects ingested (including re-ingests of changed ETags).
    pub ingested: u64,
    pub events_inserted: u64,
    /// Events already in the cache (retries, overlapping or re-ingested objects).
    pub duplicates: u64,
    pub bad_lines: u64,
    /// Compressed bytes downloaded.
    pub bytes: u64,
    /// Stopped by the cancellation token; what was ingested stays.
    pub cancelled: bool,
    pub watermark: Option<String>,
}

/// Syncs the batch objects of `store` into `db`. Progress counts objects
/// (`done`/`total`) and says events and bytes in the message. Stops before
/// the next object when `cancel` trips (returning a report with
/// `cancelled`). A failed download stops the sync with an error; what was
/// ingested before stays, and the next sync resumes there.
pub async fn sync(
    db: &Db,
    store: Arc<dyn ObjectStore>,
    options: &SyncOptions,
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<SyncReport> {
    let result = run(db, store, options, &progress, cancel).await;
    let source = options.prefix.clone();
    let error = result.as_ref().err().map(ToString::to_string);
    db.call(move |c| Ok(ledger::record_run(c, &source, error.as_deref())?))
        .await?;
    result
}

/// What a run will do: the listing and the objects not yet ingested as listed.
struct Plan {
    listed: u64,
    todo: Vec<ObjectMeta>,
    watermark: Option<String>,
}

async fn plan(
    db: &Db,
    store: &dyn ObjectStore,
    options: &SyncOptions,
    cancel: &CancellationToken,
) -> Result<Plan> {
    let source = options.prefix.clone();
    let watermark = db.call(move |c| Ok(ledger::watermark(c, &source)?)).await?;
    let start_after = if options.full {
        None
    } else {
        lookback_start_after(watermark.as_deref(), options.lookback_hours)
    };
    let listed = list_all(store, &options.prefix, start_after.clone(), cancel).await?;
    let known: HashMap<String, String> = db
        .call(move |c| Ok(ledger::ledger_etags(c, start_after.as_deref())?))
        .await?;
    let count = listed.len() as u64;
    let todo = listed
        .into_iter()
        .filter(|o| known.get(&o.key) != Some(&etag_of(o)))
        .collect();
    Ok(Plan {
        listed: count,
        todo,
        watermark,
    })
}

/// Objects a sync would ingest now (new or changed), for the status panel's
/// "objects behind". Costs a listing, no downloads.
pub async fn objects_behind(
    db: &Db,
    store: &dyn ObjectStore,
    options: &SyncOptions,
) -> Result<u64> {
    let plan = plan(db, store, options, &CancellationToken::new()).await?;
    Ok(plan.todo.len() as u64)
}

async fn run(
    db: &Db,
    store: Arc<dyn ObjectStore>,
    options: &SyncOptions,
    progress: &impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<SyncReport> {
    progress(Progress::new(0, None, "listing batch objects"));
    let Plan {
        listed,
        todo,
        watermark,
    } = plan(db, store.as_ref(), options, cancel).await?;
    let mut report = SyncReport {
        listed,
        skipped: listed - todo.len() as u64,
        watermark,
        ..SyncReport::default()
    };
    let total = todo.len() as u64;
    progress(Progress::new(
        0,
        Some(total),
        format!("{total} objects to sync"),
    ));

    // `buffered` keeps key order while fetching ahead; dropping the stream
    // (cancel, error) abandons the downloads in flight.
    let mut downloads = stream::iter(todo)
        .map(|meta| fetch(Arc::clone(&store), meta))
        .buffered(options.concurrency.max(1));
    while let Some(fetched) = downloads.next().await {
        if cancel.is_cancelled() {
            report.cancelled = true;
            break;
        }
        let (meta, batch) = fetched?;
        report.bytes += meta.size;
        let source = options.prefix.clone();
        let etag = etag_of(&meta);
        let key = meta.key.clone();
        let size = meta.size;
        let done = db
            .call(move |c| {
                Ok(ledger::ingest_object(
                    c, &source, &key, &etag, size, &batch,
                )?)
            })
            .await?;
        report.ingested += 1;
        report.events_inserted += done.inserted;
        report.duplicates += done.duplicates;
        report.bad_lines += done.bad_lines;
        // A re-ingest behind the watermark does not move it back (as in the ledger).
        if report.watermark.as_deref() < Some(meta.key.as_str()) {
            report.watermark = Some(meta.key);
        }
        progress(Progress::new(
            report.ingested,
            Some(total),
            format!(
                "{} events, {} KiB",
                report.events_inserted,
                report.bytes / 1024
            ),
        ));
        if let Some(pause) = options.pace {
            tokio::time::sleep(pause).await;
        }
    }
    if cancel.is_cancelled() {
        report.cancelled = true;
    }
    Ok(report)
}

/// An object's ETag as the ledger keeps it; a store without ETags falls back
/// to size and time, which also change with the content.
fn etag_of(meta: &ObjectMeta) -> String {
    meta.etag
        .clone()
        .unwrap_or_else(|| format!("{}-{}", meta.size, meta.last_modified.unwrap_or(0)))
}

async fn list_all(
    store: &dyn ObjectStore,
    prefix: &str,
    start_after: Option<String>,
    cancel: &CancellationToken,
) -> Result<Vec<ObjectMeta>> {
    let mut request = ListRequest::prefix(prefix).after(start_after);
    let mut objects = Vec::new();
    loop {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let page = store.list(request.clone()).await?;
        objects.extend(
            page.objects
                .into_iter()
                .filter(|o| o.key.ends_with(".ndjson.gz")),
        );
        match page.next_continuation {
            Some(token) => request = request.continue_from(Some(token)),
            None => break,
        }
    }
    Ok(objects)
}

async fn fetch(store: Arc<dyn ObjectStore>, meta: ObjectMeta) -> Result<(ObjectMeta, ParsedBatch)> {
    let got = store.get(&meta.key, None).await?;
    // The ETag of what was actually read, should the object change after listing.
    let meta = ObjectMeta {
        etag: got.meta.etag.clone().or(meta.etag),
        size: got.meta.size,
        ..meta
    };
    let body = got.bytes().await?;
    let batch = tokio::task::spawn_blocking(move || read_batch(&body))
        .await
        .map_err(|e| Error::Internal(format!("batch reader failed: {e}")))?;
    Ok((meta, batch))
}
