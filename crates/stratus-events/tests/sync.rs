//! Sync from a store into SQLite, every case against `LocalStore` and the
//! S3-compatible server.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use bytes::Bytes;
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use stratus_core::store::{ObjectStore, PutOptions};
use stratus_events::sync::{objects_behind, sync, SyncOptions, SyncReport};
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

fn lines(range: std::ops::Range<u128>, ts: i64) -> Vec<String> {
    range
        .map(|n| line(n, &format!("cust-{:05}", n % 3), "Clicked", ts + n as i64))
        .collect()
}

mod cases {
    use super::*;

    pub async fn duplicates_collapse_and_bad_lines_are_kept_aside(store: Arc<dyn ObjectStore>) {
        let db = Db::open_in_memory().unwrap();
        put_batch(store.as_ref(), &key_at(T0, 1), &lines(1..11, T0)).await;
        let mut second = lines(6..16, T0);
        second.insert(3, "{not json".into());
        second.push(r#"{"event_id":"0192","type":"track"}"#.into());
        put_batch(store.as_ref(), &key_at(T0 + 1000, 1), &second).await;
        let corrupt = key_at(T0 + 2000, 1);
        store
            .put(
                &corrupt,
                Bytes::from_static(b"not gzip at all"),
                PutOptions::default(),
            )
            .await
            .unwrap();

        let report = run(&db, &store, &SyncOptions::default()).await;
        assert_eq!((report.listed, report.ingested, report.skipped), (3, 3, 0));
        assert_eq!(report.events_inserted, 15);
        assert_eq!(report.duplicates, 5);
        assert_eq!(report.bad_lines, 3);
        assert_eq!(report.watermark.as_deref(), Some(corrupt.as_str()));
        assert_eq!(count(&db, "SELECT count(*) FROM events").await, 15);
        assert_eq!(
            count(&db, "SELECT count(DISTINCT event_id) FROM events").await,
            15
        );
        assert_eq!(count(&db, "SELECT count(*) FROM bad_lines").await, 3);
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM bad_lines WHERE line_number = 4 AND raw = '{not json'"
            )
            .await,
            1,
            "the malformed line is kept with its position"
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM sync_ledger WHERE status = 'corrupt'"
            )
            .await,
            1
        );
        // FTS rows were written with the events: half the events are on the pro plan.
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM events_fts WHERE events_fts MATCH 'pro'"
            )
            .await,
            count(
                &db,
                "SELECT count(*) FROM events WHERE properties LIKE '%\"pro\"%'"
            )
            .await
        );
    }

    pub async fn a_second_sync_picks_up_only_new_objects(store: Arc<dyn ObjectStore>) {
        let db = Db::open_in_memory().unwrap();
        put_batch(store.as_ref(), &key_at(T0, 1), &lines(1..6, T0)).await;
        put_batch(store.as_ref(), &key_at(T0 + 10, 1), &lines(6..11, T0)).await;
        assert_eq!(run(&db, &store, &SyncOptions::default()).await.ingested, 2);
        let again = run(&db, &store, &SyncOptions::default()).await;
        assert_eq!((again.listed, again.skipped, again.ingested), (2, 2, 0));
        put_batch(store.as_ref(), &key_at(T0 + 20, 1), &lines(11..14, T0)).await;
        assert_eq!(
            objects_behind(&db, store.as_ref(), &SyncOptions::default())
                .await
                .unwrap(),
            1
        );
        let third = run(&db, &store, &SyncOptions::default()).await;
        assert_eq!((third.ingested, third.events_inserted), (1, 3));
        assert_eq!(count(&db, "SELECT count(*) FROM events").await, 13);
        let status = db
            .call(|c| -> stratus_core::Result<_> {
                Ok(stratus_events::sync::ledger::sync_status(c, "events/v1/")?)
            })
            .await
            .unwrap();
        assert_eq!(
            (status.objects, status.events, status.bad_lines),
            (3, 13, 0)
        );
        assert!(status.last_sync_at.is_some() && status.last_error.is_none());
        assert_eq!(status.watermark, third.watermark);
    }

    pub async fn an_object_landing_behind_the_watermark_is_still_ingested(
        store: Arc<dyn ObjectStore>,
    ) {
        let db = Db::open_in_memory().unwrap();
        put_batch(store.as_ref(), &key_at(T0 + 2 * HOUR, 5), &lines(1..4, T0)).await;
        run(&db, &store, &SyncOptions::default()).await;
        // Lands later but sorts before the watermark: same hour, and one hour back.
        put_batch(store.as_ref(), &key_at(T0 + 2 * HOUR, 1), &lines(4..6, T0)).await;
        put_batch(store.as_ref(), &key_at(T0 + HOUR, 1), &lines(6..8, T0)).await;
        // Beyond the 2-hour lookback: only a full sync finds it.
        put_batch(store.as_ref(), &key_at(T0 - 5 * HOUR, 1), &lines(8..9, T0)).await;
        let report = run(&db, &store, &SyncOptions::default()).await;
        assert_eq!(report.ingested, 2, "{report:?}");
        assert_eq!(
            report.watermark,
            Some(key_at(T0 + 2 * HOUR, 5)),
            "late objects do not move the watermark back"
        );
        assert_eq!(count(&db, "SELECT count(*) FROM events").await, 7);
        let full = run(
            &db,
            &store,
            &SyncOptions {
                full: true,
                ..SyncOptions::default()
            },
        )
        .await;
        assert_eq!((full.listed, full.ingested, full.skipped), (4, 1, 3));
        assert_eq!(count(&db, "SELECT count(*) FROM events").await, 8);
    }

    pub async fn a_changed_etag_is_reingested(store: Arc<dyn ObjectStore>) {
        let db = Db::open_in_memory().unwrap();
        let key = key_at(T0, 1);
        let mut first = lines(1..6, T0);
        first.push("garbage".into());
        put_batch(store.as_ref(), &key, &first).await;
        run(&db, &store, &SyncOptions::default()).await;
        assert_eq!(count(&db, "SELECT count(*) FROM bad_lines").await, 1);

        put_batch(store.as_ref(), &key, &lines(1..9, T0)).await;
        let report = run(&db, &store, &SyncOptions::default()).await;
        assert_eq!(
            (report.ingested, report.events_inserted, report.duplicates),
            (1, 3, 5)
        );
        assert_eq!(count(&db, "SELECT count(*) FROM events").await, 8);
        assert_eq!(
            count(&db, "SELECT count(*) FROM bad_lines").await,
            0,
            "the new version has no bad lines"
        );
        assert_eq!(count(&db, "SELECT lines FROM sync_ledger").await, 8);
    }

    pub async fn cancel_stops_before_the_next_object_and_a_rerun_finishes(
        store: Arc<dyn ObjectStore>,
    ) {
        let db = Db::open_in_memory().unwrap();
        for i in 0..4u8 {
            let from = u128::from(i) * 10;
            put_batch(
                store.as_ref(),
                &key_at(T0 + i64::from(i), 1),
                &lines(from..from + 10, T0),
            )
            .await;
        }
        let cancel = CancellationToken::new();
        let token = cancel.clone();
        // One object per transaction, so the cancel lands between objects.
        let one_by_one = SyncOptions {
            group_events: 0,
            ..SyncOptions::default()
        };
        let report = sync(
            &db,
            Arc::clone(&store),
            &one_by_one,
            move |p| {
                if p.done >= 1 {
                    token.cancel();
                }
            },
            &cancel,
        )
        .await
        .unwrap();
        assert!(report.cancelled);
        assert_eq!(report.ingested, 1);
        assert_eq!(count(&db, "SELECT count(*) FROM events").await, 10);
        let rest = run(&db, &store, &SyncOptions::default()).await;
        assert_eq!((rest.ingested, rest.skipped), (3, 1));
        assert_eq!(count(&db, "SELECT count(*) FROM events").await, 40);
    }
}

macro_rules! against_both_stores {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::*;

            #[tokio::test]
            async fn local() {
                let dir = tempfile::tempdir().unwrap();
                cases::$case(local_store(&dir)).await;
            }

            #[tokio::test]
            async fn s3() {
                if let Some(store) = s3_store("ev-sync").await {
                    cases::$case(store).await;
                }
            }
        }
    )*};
}

against_both_stores!(
    duplicates_collapse_and_bad_lines_are_kept_aside,
    a_second_sync_picks_up_only_new_objects,
    an_object_landing_behind_the_watermark_is_still_ingested,
    a_changed_etag_is_reingested,
    cancel_stops_before_the_next_object_and_a_rerun_finishes,
);
