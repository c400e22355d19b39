//! Sync: S3 batch objects → the local SQLite cache.
//!
//! List from the watermark minus a lookback window, skip objects whose ledger
//! row has the same ETag, download and parse up to `concurrency` objects at a
//! time, and hand them IN KEY ORDER to one writer that ingests each object in
//! one transaction. Key order keeps the watermark a true low watermark: every
//! key at or below it that was listed has been ingested.
//!
//! The sync's room:
//! - [`batch_reader`]: one batch object → rows; [`memory_budget`]: lines held ahead of the writer;
//! - [`ledger`]: the objects ingested, the watermark, the cache's status;
//! - [`identity`]: the identity graph (which ids are one person), built as objects are ingested;
//! - [`status`]: the sync status panel; [`autosync`]: the timed sync and its gate;
//! - [`retention`]: what the cache keeps (a profile setting) and the pruning.

pub mod autosync;
pub mod batch_reader;
pub mod identity;
pub mod ledger;
pub mod memory_budget;
pub mod retention;
pub mod status;

use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use stratus_core::db::Db;
use stratus_core::jobs::{CancellationToken, Progress};
use stratus_core::store::{ListRequest, ObjectMeta, ObjectStore, StoreError};

use crate::collector::batch_key::{
    key_place, layout_start, lookback_start_after, KeyPlace, EVENTS_PREFIX,
};
use crate::error::{Error, Result};
use batch_reader::read_batch_from;
use ledger::FetchedObject;
use memory_budget::{Charge, MemoryBudget, DEFAULT_BUDGET};

/// How far ahead of this computer's clock a batch key may be and still be
/// the watermark (collector hosts a little fast). Keys further ahead are
/// ingested but never move it.
pub const ALLOWED_SKEW: chrono::Duration = chrono::Duration::minutes(15);

/// The default of [`SyncOptions::sweep_every`]: a complete listing costs
/// one request per thousand objects, a few a day stay cheap.
pub const SWEEP_EVERY: Duration = Duration::from_secs(6 * 3600);

/// The default of [`SyncOptions::group_events`]. Larger groups write each
/// index page and FTS segment fewer times; this bound keeps the shared
/// connection free again within about a second.
pub const GROUP_EVENTS: usize = 25_000;

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The prefix of batch objects; also the key of the watermark.
    pub prefix: String,
    /// Hours listed again behind the watermark's partition, for objects that
    /// land late (a slow writer, clocks apart). Later landings are found by
    /// the next sweep.
    pub lookback_hours: u32,
    /// Ignore the watermark and list everything (the ledger still skips
    /// unchanged objects).
    pub full: bool,
    /// How often a sync lists everything by itself (a sweep), finding
    /// objects written behind the lookback (backfills, very late writers,
    /// odd keys inside the layout's range). `None`: only `full` does.
    pub sweep_every: Option<Duration>,
    /// Objects downloaded at once.
    pub concurrency: usize,
    /// A pause after each ingested object, to leave bandwidth and disk to the
    /// app during a live tail. Tests use it to widen the window for a crash.
    pub pace: Option<Duration>,
    /// Most events one transaction takes when several fetched objects are
    /// ready at once (whole objects; 0: one object per transaction, as with
    /// a `pace`). Cancel is seen between transactions.
    pub group_events: usize,
    /// Bytes of fetched lines held in memory before the writer ingests
    /// them, for the whole sync whatever the concurrency (plus at most one
    /// object's cap, [`crate::sync::batch_reader::MAX_OBJECT_BYTES`]).
    pub memory_budget: u64,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            prefix: EVENTS_PREFIX.to_string(),
            lookback_hours: 2,
            full: false,
            sweep_every: Some(SWEEP_EVERY),
            concurrency: 4,
            pace: None,
            group_events: GROUP_EVENTS,
            memory_budget: DEFAULT_BUDGET,
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Objects the listing returned (from the lookback start on).
    pub listed: u64,
    /// The listing was complete (`full`, a due sweep, or no watermark yet).
    pub listed_everything: bool,
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
    /// Ingested objects keyed after now + [`ALLOWED_SKEW`], and with keys
    /// out of the `dt=/hh=` layout: both kept out of the watermark.
    pub future_keys: u64,
    pub out_of_layout_keys: u64,
    /// Most bytes of fetched lines held at once (see [`SyncOptions::memory_budget`]).
    pub peak_held_bytes: u64,
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
    db.call(|c| -> Result<_> { Ok(writer_tuning(c, true)?) })
        .await?;
    // A cache upgraded to the identity graph builds it from its cached
    // links before new ones are merged in.
    db.call(|c| -> Result<_> { Ok(identity::graph::ensure_built(c)?) })
        .await?;
    let result = run(db, store, options, &progress, cancel).await;
    // The app keeps this connection: give back the memory and the usual
    // checkpoint cadence whatever the outcome.
    let restored = db
        .call(|c| -> Result<_> { Ok(writer_tuning(c, false)?) })
        .await;
    let source = options.prefix.clone();
    let error = result.as_ref().err().map(ToString::to_string);
    db.call(move |c| -> Result<_> { Ok(ledger::record_run(c, &source, error.as_deref())?) })
        .await?;
    restored?;
    result
}

/// Sync-time settings of the writer connection. Profiling the 200k-event
/// benchmark showed the writer spending its time in `pwrite`: with SQLite's
/// default 2 MiB page cache, each object's transaction (5,000 rows across
/// four B-trees and the FTS index) evicts and rewrites the same interior and
/// leaf pages, and the 4 MiB auto-checkpoint copies them into the database
/// after nearly every object. A 128 MiB cache keeps the hot pages, and a
/// 64 MiB checkpoint threshold writes each of them once per many objects.
/// Durability is unchanged: every object is still its own transaction.
fn writer_tuning(conn: &rusqlite::Connection, syncing: bool) -> rusqlite::Result<()> {
    let (cache_kib, checkpoint_pages) = if syncing {
        (128 * 1024, 16_384)
    } else {
        (2_000, 1_000) // SQLite's defaults
    };
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.pragma_update(
        None,
        "temp_store",
        if syncing { "MEMORY" } else { "DEFAULT" },
    )?;
    conn.pragma_update(None, "wal_autocheckpoint", checkpoint_pages)?;
    if !syncing {
        // The sync's WAL (up to 64 MiB) goes into the database now rather
        // than at the next commit of whoever writes next.
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    }
    Ok(())
}

/// What a run will do: the listing and the objects not yet ingested as listed.
struct Plan {
    listed: u64,
    todo: Vec<ObjectMeta>,
    watermark: Option<String>,
    /// The newest listed key that may be the watermark: once every listed
    /// object is ingested, it is a true low watermark.
    newest_in_layout: Option<String>,
    /// When a complete listing started (Unix ms); `None` for a partial one.
    complete_at: Option<i64>,
}

async fn plan(
    db: &Db,
    store: &dyn ObjectStore,
    options: &SyncOptions,
    cancel: &CancellationToken,
) -> Result<Plan> {
    let source = options.prefix.clone();
    let now = chrono::Utc::now();
    let (stored, last_full) = db
        .call(move |c| -> Result<_> {
            Ok((
                ledger::watermark(c, &source)?,
                ledger::last_full_listing(c, &source)?,
            ))
        })
        .await?;
    // A watermark from the future or out of the layout (kept before they
    // were refused) hides objects or forces full listings: forget it, list
    // everything once, and the run sets a true one.
    let watermark = match stored {
        Some(w) if key_place(&w, &options.prefix, now, ALLOWED_SKEW) != KeyPlace::InLayout => {
            let source = options.prefix.clone();
            db.call(move |c| -> Result<_> { Ok(ledger::clear_watermark(c, &source)?) })
                .await?;
            None
        }
        w => w,
    };
    let sweep_due = options.sweep_every.is_some_and(|every| {
        last_full.is_none_or(|at| now.timestamp_millis() - at >= every.as_millis() as i64)
    });
    let start_after = if options.full || sweep_due {
        None
    } else {
        lookback_start_after(watermark.as_deref(), options.lookback_hours, now)
    };
    let mut listed = Vec::new();
    if start_after.is_some() {
        // Odd keys that sort before the layout are listed on every sync.
        let layout = layout_start(&options.prefix);
        listed = list_all(store, &options.prefix, None, Some(&layout), cancel).await?;
    }
    listed.extend(list_all(store, &options.prefix, start_after.clone(), None, cancel).await?);
    let keys: Vec<(String, String)> = listed.iter().map(|o| (o.key.clone(), etag_of(o))).collect();
    let unknown = db
        .call(move |c| -> Result<_> {
            Ok(ledger::not_ingested(
                c,
                keys.iter().map(|(k, e)| (k.as_str(), e.as_str())),
            )?)
        })
        .await?;
    let count = listed.len() as u64;
    let newest_in_layout = listed
        .iter()
        .map(|o| o.key.as_str())
        .filter(|k| key_place(k, &options.prefix, now, ALLOWED_SKEW) == KeyPlace::InLayout)
        .max()
        .map(str::to_string);
    let todo = listed
        .into_iter()
        .filter(|o| unknown.contains(&o.key))
        .collect();
    Ok(Plan {
        listed: count,
        todo,
        watermark,
        newest_in_layout,
        complete_at: start_after.is_none().then(|| now.timestamp_millis()),
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
        newest_in_layout,
        complete_at,
    } = plan(db, store.as_ref(), options, cancel).await?;
    let now = chrono::Utc::now();
    let places: Vec<KeyPlace> = todo
        .iter()
        .map(|o| key_place(&o.key, &options.prefix, now, ALLOWED_SKEW))
        .collect();
    let budget = MemoryBudget::new(options.memory_budget);
    // Readers waiting for the budget stop when this run ends, however it ends.
    let _close = CloseOnDrop(Arc::clone(&budget));
    let mut report = SyncReport {
        listed,
        listed_everything: complete_at.is_some(),
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

    // `buffered` keeps key order while fetching ahead; each fetch is its own
    // task. The stream is driven by a task of its own, so new fetches start
    // while the writer ingests: polled from this loop, `buffered` would only
    // start the next fetches between two transactions, and the parsers sat
    // idle while the writer worked. The channel holds what is fetched ahead.
    // Dropping the feeder (cancel, error) drops the stream, which aborts the
    // fetches in flight.
    let ahead = options.concurrency.max(1);
    let (fetched_tx, mut fetched) = tokio::sync::mpsc::channel(ahead);
    let feeder_budget = Arc::clone(&budget);
    let _feeder = Spawned(tokio::spawn(async move {
        let mut downloads = stream::iter(todo.into_iter().zip(places).enumerate())
            .map(|(seq, (meta, place))| {
                let charge = feeder_budget.charge(seq as u64);
                Spawned(tokio::spawn(fetch(Arc::clone(&store), meta, place, charge)))
            })
            .buffered(ahead);
        while let Some(object) = downloads.next().await {
            if fetched_tx.send(object).await.is_err() {
                break;
            }
        }
        Ok(())
    }));
    // With a pace (live tail) every object is its own short transaction.
    let group_events = if options.pace.is_some() {
        0
    } else {
        options.group_events
    };
    // Where the time goes, for `STRATUS_LOG=stratus_events=debug`: a writer
    // that waits is starved by the downloads, one that never waits is the
    // bottleneck.
    let (mut waited, mut writing) = (Duration::ZERO, Duration::ZERO);
    let mut since = std::time::Instant::now();
    while let Some(first) = fetched.recv().await {
        waited += since.elapsed();
        if cancel.is_cancelled() {
            report.cancelled = true;
            break;
        }
        let mut group = vec![first?];
        let mut events = group[0].fetched.batch.rows.len();
        // A failed fetch ends the sync, after the objects already in hand.
        let mut failed = None;
        while events < group_events {
            match fetched.try_recv() {
                Ok(Ok(next)) => {
                    events += next.fetched.batch.rows.len();
                    group.push(next);
                }
                Ok(Err(e)) => {
                    failed = Some(e);
                    break;
                }
                Err(_) => break,
            }
        }
        let source = options.prefix.clone();
        let started = std::time::Instant::now();
        let (group, done) = db
            .call(move |c| -> Result<_> {
                let fetched: Vec<&FetchedObject> = group.iter().map(|o| &o.fetched).collect();
                let done = ledger::ingest_object_refs(c, &source, &fetched)?;
                Ok((group, done))
            })
            .await?;
        writing += started.elapsed();
        for (object, done) in group.into_iter().zip(done) {
            report.bytes += object.fetched.size;
            report.ingested += 1;
            report.events_inserted += done.inserted;
            report.duplicates += done.duplicates;
            report.bad_lines += done.bad_lines;
            report.future_keys += u64::from(object.place == KeyPlace::Future);
            report.out_of_layout_keys += u64::from(object.place == KeyPlace::OutOfLayout);
            // A re-ingest behind the watermark does not move it back (as in the ledger).
            if object.fetched.moves_watermark
                && report.watermark.as_deref() < Some(object.fetched.key.as_str())
            {
                report.watermark = Some(object.fetched.key);
            }
        }
        // Their lines are given back with them: the next objects may read on.
        budget.ingested(report.ingested);
        progress(Progress::new(
            report.ingested,
            Some(total),
            format!(
                "{} events, {} KiB",
                report.events_inserted,
                report.bytes / 1024
            ),
        ));
        if let Some(e) = failed {
            return Err(e);
        }
        if let Some(pause) = options.pace {
            tokio::time::sleep(pause).await;
        }
        since = std::time::Instant::now();
    }
    tracing::debug!(
        waited_ms = waited.as_millis() as u64,
        writing_ms = writing.as_millis() as u64,
        objects = report.ingested,
        "sync writer"
    );
    if cancel.is_cancelled() {
        report.cancelled = true;
    }
    report.peak_held_bytes = budget.peak();
    if !report.cancelled {
        // Every listed object is in the ledger now (ingested before, or by
        // this run): the newest in-layout key is a true low watermark even
        // when nothing moved it (after a full listing, say).
        if let Some(newest) = newest_in_layout {
            let (source, key) = (options.prefix.clone(), newest.clone());
            db.call(move |c| -> Result<_> { Ok(ledger::raise_watermark(c, &source, &key)?) })
                .await?;
            if report.watermark.as_deref() < Some(newest.as_str()) {
                report.watermark = Some(newest);
            }
        }
        if let Some(at) = complete_at {
            let source = options.prefix.clone();
            db.call(move |c| -> Result<_> { Ok(ledger::record_full_listing(c, &source, at)?) })
                .await?;
        }
    }
    Ok(report)
}

/// Closes the budget when a run ends, so readers waiting on it stop.
struct CloseOnDrop(Arc<MemoryBudget>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// An object's ETag as the ledger keeps it; a store without ETags falls back
/// to size and time, which also change with the content.
fn etag_of(meta: &ObjectMeta) -> String {
    meta.etag
        .clone()
        .unwrap_or_else(|| format!("{}-{}", meta.size, meta.last_modified.unwrap_or(0)))
}

/// Batch objects under `prefix` after `start_after`, and (with `stop_at`)
/// before that key.
async fn list_all(
    store: &dyn ObjectStore,
    prefix: &str,
    start_after: Option<String>,
    stop_at: Option<&str>,
    cancel: &CancellationToken,
) -> Result<Vec<ObjectMeta>> {
    let mut request = ListRequest::prefix(prefix).after(start_after);
    let mut objects = Vec::new();
    loop {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let page = store.list(request.clone()).await?;
        let past_stop = |key: &str| stop_at.is_some_and(|stop| key >= stop);
        let done = page.objects.iter().any(|o| past_stop(&o.key));
        objects.extend(
            page.objects
                .into_iter()
                .filter(|o| o.key.ends_with(".ndjson.gz") && !past_stop(&o.key)),
        );
        match page.next_continuation {
            Some(token) if !done => request = request.continue_from(Some(token)),
            _ => break,
        }
    }
    Ok(objects)
}

/// A spawned fetch that is aborted when dropped, so an abandoned sync does
/// not leave downloads running.
struct Spawned<T>(tokio::task::JoinHandle<Result<T>>);

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for Spawned<T> {
    type Output = Result<T>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<T>> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.map_err(|e| Error::Internal(format!("batch fetch failed: {e}")))?
        })
    }
}

/// A fetched object and where its key stands.
struct Fetched {
    fetched: FetchedObject,
    place: KeyPlace,
}

async fn fetch(
    store: Arc<dyn ObjectStore>,
    meta: ObjectMeta,
    place: KeyPlace,
    charge: Charge,
) -> Result<Fetched> {
    let got = store.get(&meta.key, None).await?;
    // The ETag of what was actually read, should the object change after listing.
    let meta = ObjectMeta {
        etag: got.meta.etag.clone().or(meta.etag),
        size: got.meta.size,
        ..meta
    };
    // The body is read as it arrives, never whole. A transport failure is
    // not a cut in the object: it fails the fetch, and the next sync
    // retries the object.
    let failed = Arc::new(std::sync::Mutex::new(None));
    let body = Transport {
        inner: tokio_util::io::SyncIoBridge::new(got.body),
        failed: Arc::clone(&failed),
    };
    let batch = tokio::task::spawn_blocking(move || read_batch_from(body, Some(charge)))
        .await
        .map_err(|e| Error::Internal(format!("batch reader failed: {e}")))?;
    let transport_error = failed
        .lock()
        .map_err(|_| Error::Internal("batch reader failed".into()))?
        .take();
    if let Some(message) = transport_error {
        return Err(StoreError::Io {
            key: meta.key,
            message,
        }
        .into());
    }
    Ok(Fetched {
        fetched: FetchedObject {
            etag: etag_of(&meta),
            key: meta.key,
            size: meta.size,
            batch,
            moves_watermark: place == KeyPlace::InLayout,
        },
        place,
    })
}

/// The object's byte stream, remembering a failure to read it.
struct Transport<R> {
    inner: R,
    failed: Arc<std::sync::Mutex<Option<String>>>,
}

impl<R: std::io::Read> std::io::Read for Transport<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if let Ok(mut failed) = self.failed.lock() {
                *failed = Some(e.to_string());
            }
        })
    }
}
