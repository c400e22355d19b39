//! Sync never misses an object among odd ones: keys from the future, keys
//! out of the `dt=/hh=` layout, truncated objects and gzip bombs, synced
//! incrementally again and again.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;

use bytes::Bytes;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use stratus_core::store::{ObjectStore, PutOptions};
use stratus_events::collector::gzip;
use stratus_events::sync::ledger::sync_status;
use stratus_events::sync::status::sync_overview;
use stratus_events::sync::{sync, SyncOptions, SyncReport};
use support::*;

async fn run(db: &Db, store: &Arc<dyn ObjectStore>, options: &SyncOptions) -> SyncReport {
    sync(
        db,
        Arc::clone(store),
        options,
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap()
}

/// What was written, to check the cache against.
#[derive(Default)]
struct Written {
    /// Event ids of every complete line of every object.
    complete: BTreeSet<String>,
    next: u128,
}

impl Written {
    fn lines(&mut self, n: u128) -> Vec<String> {
        let first = self.next;
        self.next += n;
        (first..self.next)
            .map(|i| {
                line(
                    i,
                    &format!("cust-{:05}", i % 7),
                    "Clicked",
                    now_millis() - 60_000,
                )
            })
            .collect()
    }

    async fn put(&mut self, store: &dyn ObjectStore, key: &str, n: u128) {
        let lines = self.lines(n);
        put_batch(store, key, &lines).await;
        self.complete.extend(ids(&lines));
    }

    /// An object cut off part way through its gzip stream: its complete
    /// lines are the ones a lenient gunzip reads before the cut.
    async fn put_truncated(&mut self, store: &dyn ObjectStore, key: &str, n: u128) {
        let lines = self.lines(n);
        let mut text = lines.join("\n");
        text.push('\n');
        let whole = gzip(text.as_bytes()).unwrap();
        let cut = whole[..whole.len() * 2 / 3].to_vec();
        let mut readable = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(&cut[..]).read_to_end(&mut readable);
        let readable = String::from_utf8_lossy(&readable).into_owned();
        let complete = readable.rsplit_once('\n').map_or("", |(before, _)| before);
        let complete: Vec<String> = complete.lines().map(str::to_string).collect();
        assert!(complete.len() > 10 && complete.len() < lines.len());
        self.complete.extend(ids(&complete));
        store
            .put(key, Bytes::from(cut), PutOptions::default())
            .await
            .unwrap();
    }
}

fn ids(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["event_id"].as_str().unwrap().to_string()
        })
        .collect()
}

async fn cached_ids(db: &Db) -> Vec<String> {
    db.call(|c| -> stratus_core::Result<_> {
        let mut stmt = c.prepare("SELECT event_id FROM events ORDER BY event_id")?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(ids)
    })
    .await
    .unwrap()
}

/// Every complete line of every object is in the cache exactly once, and
/// nothing is behind.
async fn assert_nothing_missed(db: &Db, store: &Arc<dyn ObjectStore>, written: &Written) {
    let cached = cached_ids(db).await;
    let unique: BTreeSet<String> = cached.iter().cloned().collect();
    assert_eq!(unique.len(), cached.len(), "an event is in the cache twice");
    let missed: Vec<_> = written.complete.difference(&unique).collect();
    assert!(missed.is_empty(), "{} events missed", missed.len());
    assert_eq!(unique, written.complete);
    let overview = sync_overview(db, store.as_ref(), &SyncOptions::default())
        .await
        .unwrap();
    assert_eq!(overview.objects_behind, Some(0), "objects behind is honest");
}

#[tokio::test]
async fn incremental_syncs_miss_nothing_among_future_odd_and_truncated_keys() {
    let dir = tempfile::tempdir().unwrap();
    incremental_case(local_store(&dir)).await;
}

/// The same against the S3-compatible server (its listing's `StartAfter`).
#[tokio::test]
async fn incremental_syncs_miss_nothing_among_odd_keys_on_s3() {
    if let Some(store) = s3_store("odd-keys").await {
        incremental_case(store).await;
    }
}

async fn incremental_case(store: Arc<dyn ObjectStore>) {
    let db = Db::open_in_memory().unwrap();
    let options = SyncOptions::default();
    let mut w = Written::default();
    let now = now_millis();

    // Round 1: a normal object and one keyed three hours ahead.
    w.put(store.as_ref(), &key_at(now - HOUR, 1), 20).await;
    let future = key_at(now + 3 * HOUR, 1);
    w.put(store.as_ref(), &future, 20).await;
    let r1 = run(&db, &store, &options).await;
    assert_eq!(r1.future_keys, 1);
    assert_eq!(
        r1.watermark,
        Some(key_at(now - HOUR, 1)),
        "a future key is never the watermark"
    );
    assert_nothing_missed(&db, &store, &w).await;

    // Round 2: objects land between the watermark and the future key, an
    // odd key that sorts before the layout, and a truncated object.
    w.put(store.as_ref(), &key_at(now, 2), 30).await;
    w.put(store.as_ref(), "events/v1/2026/backfill-a.ndjson.gz", 10)
        .await;
    w.put_truncated(store.as_ref(), &key_at(now, 3), 400).await;
    let r2 = run(&db, &store, &options).await;
    assert_eq!((r2.ingested, r2.out_of_layout_keys), (3, 1));
    assert_eq!(r2.bad_lines, 1, "the cut is one bad line");
    assert_nothing_missed(&db, &store, &w).await;

    // Round 3: an odd key that sorts after the layout, another future key,
    // and one more normal object; then a sync with nothing new.
    w.put(store.as_ref(), "events/v1/zz-manual.ndjson.gz", 5)
        .await;
    w.put(store.as_ref(), &key_at(now + 30 * HOUR, 1), 5).await;
    w.put(store.as_ref(), &key_at(now + 1000, 4), 7).await;
    let r3 = run(&db, &store, &options).await;
    assert_eq!(r3.ingested, 3);
    assert_nothing_missed(&db, &store, &w).await;
    let r4 = run(&db, &store, &options).await;
    assert_eq!(r4.ingested, 0);
    assert_eq!(r4.watermark, Some(key_at(now + 1000, 4)));
    assert_nothing_missed(&db, &store, &w).await;

    let status = db
        .call(|c| -> stratus_core::Result<_> { Ok(sync_status(c, "events/v1/")?) })
        .await
        .unwrap();
    assert_eq!(status.future_keys.count, 2);
    assert_eq!(
        status.future_keys.examples,
        vec![key_at(now + 30 * HOUR, 1), future]
    );
    assert_eq!(status.out_of_layout_keys.count, 2);
    assert_eq!(
        status.out_of_layout_keys.examples,
        vec![
            "events/v1/zz-manual.ndjson.gz".to_string(),
            "events/v1/2026/backfill-a.ndjson.gz".to_string()
        ]
    );
}

#[tokio::test]
async fn a_watermark_from_the_future_kept_by_an_older_version_is_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let db = Db::open_in_memory().unwrap();
    let now = now_millis();
    let mut w = Written::default();
    w.put(store.as_ref(), &key_at(now - 10 * HOUR, 1), 5).await;
    run(&db, &store, &SyncOptions::default()).await;
    let poisoned = key_at(now + 5 * HOUR, 9);
    db.call(move |c| -> stratus_core::Result<_> {
        c.execute("UPDATE sync_state SET watermark = ?1", [poisoned])?;
        Ok(())
    })
    .await
    .unwrap();
    w.put(store.as_ref(), &key_at(now - 5 * HOUR, 2), 5).await;
    let report = run(&db, &store, &SyncOptions::default()).await;
    assert_eq!(report.ingested, 1);
    assert_eq!(report.watermark, Some(key_at(now - 5 * HOUR, 2)));
    assert_nothing_missed(&db, &store, &w).await;
}

#[tokio::test]
async fn gzip_bombs_are_cut_at_the_cap_and_memory_stays_within_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let db = Db::open_in_memory().unwrap();
    let now = now_millis();
    let mut w = Written::default();
    // Four bombs: a good line, then 100 MiB of one endless line.
    let zeros = vec![b'x'; 1024 * 1024];
    for n in 0..4 {
        let good = w.lines(1);
        w.complete.extend(ids(&good));
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, format!("{}\n", good[0]).as_bytes()).unwrap();
        for _ in 0..100 {
            std::io::Write::write_all(&mut enc, &zeros).unwrap();
        }
        let bomb = enc.finish().unwrap();
        store
            .put(
                &key_at(now - HOUR, 10 + n),
                Bytes::from(bomb),
                PutOptions::default(),
            )
            .await
            .unwrap();
    }
    // And 40 ordinary objects, fetched 32 at a time under a 256 KiB budget.
    for n in 0..40 {
        w.put(
            store.as_ref(),
            &key_at(now - HOUR + 1 + i64::from(n), n),
            50,
        )
        .await;
    }
    let options = SyncOptions {
        concurrency: 32,
        memory_budget: 256 * 1024,
        ..SyncOptions::default()
    };
    let report = run(&db, &store, &options).await;
    assert_eq!(report.ingested, 44);
    assert_eq!(report.bad_lines, 4, "one cut per bomb");
    let bound = options.memory_budget + stratus_events::sync::batch_reader::MAX_OBJECT_BYTES;
    assert!(
        report.peak_held_bytes <= bound,
        "held {} bytes at once, above {bound}",
        report.peak_held_bytes
    );
    assert!(
        report.peak_held_bytes < 2 * 1024 * 1024,
        "bombs hold no memory: {}",
        report.peak_held_bytes
    );
    let longest: i64 = db
        .call(|c| -> stratus_core::Result<_> {
            Ok(c.query_row("SELECT max(length(raw)) FROM bad_lines", [], |r| r.get(0))?)
        })
        .await
        .unwrap();
    assert!(longest <= 4096, "a bad line keeps at most 4 KiB: {longest}");
    assert_nothing_missed(&db, &store, &w).await;
}

/// An object written behind the watermark's lookback (a backfill of last
/// week, a writer days late, an odd key inside the layout's range) is not
/// in an incremental listing; the sweep, a complete listing a sync makes by
/// itself every few hours, finds it. A fresh cache starts with one.
#[tokio::test]
async fn a_backfill_behind_the_lookback_is_found_by_the_next_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let db = Db::open_in_memory().unwrap();
    let options = SyncOptions::default();
    let mut w = Written::default();
    let now = now_millis();

    w.put(store.as_ref(), &key_at(now - HOUR, 1), 20).await;
    let first = run(&db, &store, &options).await;
    assert!(first.listed_everything, "a new cache lists everything once");
    assert_nothing_missed(&db, &store, &w).await;

    w.put(store.as_ref(), &key_at(now - 3 * 24 * HOUR, 1), 15)
        .await;
    w.put(
        store.as_ref(),
        &format!("{}stray.ndjson.gz", &key_at(now - 2 * 24 * HOUR, 1)[..30]),
        5,
    )
    .await;
    let soon = run(&db, &store, &options).await;
    assert!(!soon.listed_everything);
    assert_eq!(soon.ingested, 0, "behind the lookback until the sweep");

    // Six hours later (the last complete listing moved back in time).
    db.call(|c| -> stratus_core::Result<_> {
        Ok(c.execute(
            "UPDATE sync_state SET last_full_at = last_full_at - 6 * 3600 * 1000",
            [],
        )?)
    })
    .await
    .unwrap();
    let swept = run(&db, &store, &options).await;
    assert!(swept.listed_everything);
    assert_eq!(swept.ingested, 2, "the backfill and the stray key");
    assert_nothing_missed(&db, &store, &w).await;
    let after = run(&db, &store, &options).await;
    assert!(!after.listed_everything, "the next sweep is six hours away");
}
