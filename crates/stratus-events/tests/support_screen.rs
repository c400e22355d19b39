//! The support screen's backend: customer search, the sync status panel,
//! export to a file, and the gate shared by manual and timed syncs.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use serde_json::json;
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use stratus_core::store::ObjectStore;
use stratus_events::browse::customers::{customer_summary, search_customers, MatchedBy};
use stratus_events::browse::export::export_to_file;
use stratus_events::browse::export::ExportFormat;
use stratus_events::browse::filter::EventFilter;
use stratus_events::envelope::format_millis;
use stratus_events::sync::autosync::{sync_exclusive, tick, SyncGate, Tick};
use stratus_events::sync::status::sync_overview;
use stratus_events::sync::SyncOptions;
use support::*;

fn ev(n: u128, cust: &str, name: &str, ts: i64, tz: &str, props: serde_json::Value) -> String {
    json!({
        "event_id": event_id(n), "type": "track", "event": name, "distinct_id": cust,
        "received_at": format_millis(ts), "ts": format_millis(ts),
        "properties": props, "context": {"url": "https://shop.example.com/", "tz": tz},
    })
    .to_string()
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Arc<dyn ObjectStore>,
    db: Db,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let db = Db::open(&dir.path().join("stratus.sqlite")).unwrap();
    let lines = vec![
        ev(
            1,
            "cust-00001",
            "Order Completed",
            T0,
            "Europe/Paris",
            json!({"order_id": "ord-777123"}),
        ),
        ev(
            2,
            "cust-00001",
            "Button Clicked",
            T0 - HOUR,
            "America/New_York",
            json!({"button": "=cmd"}),
        ),
        ev(
            3,
            "cust-00034",
            "Button Clicked",
            T0 - 2 * HOUR,
            "Europe/Berlin",
            json!({"button": "pricing"}),
        ),
        ev(
            4,
            "cust-00100",
            "Page Viewed",
            T0 - 3 * HOUR,
            "Europe/London",
            json!({}),
        ),
    ];
    put_batch(store.as_ref(), &key_at(T0, 1), &lines).await;
    db.call(|c| -> stratus_core::Result<_> {
        c.execute(
            "INSERT INTO customers (id, name, email, time_zone, created_at, updated_at)
             VALUES ('cust-00034', 'Ann Lee', 'ann.lee@example.com', 'Asia/Tokyo', 0, 0),
                    ('cust-00500', 'Bo Quiet', 'bo@example.com', 'UTC', 0, 0)",
            [],
        )?;
        Ok(())
    })
    .await
    .unwrap();
    Setup {
        _dir: dir,
        store,
        db,
    }
}

async fn search(s: &Setup, q: &str) -> Vec<(String, MatchedBy)> {
    let q = q.to_string();
    s.db.call(move |c| -> stratus_core::Result<_> { Ok(search_customers(c, &q, 10)) })
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|m| (m.distinct_id, m.matched_by))
        .collect()
}

#[tokio::test]
async fn customers_are_found_by_id_prefix_email_name_and_event_text() {
    let s = setup().await;
    let gate = SyncGate::new();
    sync_exclusive(
        &gate,
        &s.db,
        Arc::clone(&s.store),
        &SyncOptions::default(),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();

    assert_eq!(
        search(&s, "cust-000").await,
        vec![
            ("cust-00001".into(), MatchedBy::Id),
            ("cust-00034".into(), MatchedBy::Id)
        ]
    );
    assert_eq!(
        search(&s, "ann.lee@").await,
        vec![("cust-00034".into(), MatchedBy::Email)]
    );
    assert_eq!(
        search(&s, "bo quiet").await,
        vec![("cust-00500".into(), MatchedBy::Name)]
    );
    assert_eq!(
        search(&s, "ord-777123").await,
        vec![("cust-00001".into(), MatchedBy::Text)]
    );
    // A user's `%` is a character, not "everything".
    assert!(search(&s, "%").await.is_empty());
    assert!(search(&s, "   ").await.is_empty());
}

#[tokio::test]
async fn a_customers_time_zone_comes_from_the_directory_else_their_latest_event() {
    let s = setup().await;
    let gate = SyncGate::new();
    sync_exclusive(
        &gate,
        &s.db,
        Arc::clone(&s.store),
        &SyncOptions::default(),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let get = |id: &'static str| {
        let db = s.db.clone();
        async move {
            db.call(move |c| -> stratus_core::Result<_> { Ok(customer_summary(c, id)) })
                .await
                .unwrap()
                .unwrap()
        }
    };
    let known = get("cust-00034").await.unwrap();
    assert_eq!(known.time_zone.as_deref(), Some("Asia/Tokyo"));
    assert_eq!(known.time_zone_source, Some("directory"));
    assert_eq!(known.email.as_deref(), Some("ann.lee@example.com"));
    let from_events = get("cust-00001").await.unwrap();
    assert_eq!(
        from_events.time_zone.as_deref(),
        Some("Europe/Paris"),
        "the newest event's zone"
    );
    assert_eq!(from_events.time_zone_source, Some("events"));
    assert_eq!((from_events.events, from_events.last_ts), (2, Some(T0)));
    let no_events = get("cust-00500").await.unwrap();
    assert_eq!((no_events.events, no_events.first_ts), (0, None));
    assert!(get("cust-99999").await.is_none());
}

#[tokio::test]
async fn the_status_counts_the_backlog_until_a_sync_takes_it() {
    let s = setup().await;
    let options = SyncOptions::default();
    let before = sync_overview(&s.db, s.store.as_ref(), &options)
        .await
        .unwrap();
    assert_eq!(before.objects_behind, Some(1));
    assert_eq!(
        (before.status.events, before.status.last_sync_at),
        (0, None)
    );

    let gate = SyncGate::new();
    // The timer leaves a never-synced cache to the user's first "Sync now".
    assert!(matches!(
        tick(
            &gate,
            &s.db,
            Arc::clone(&s.store),
            &options,
            &CancellationToken::new()
        )
        .await,
        Tick::NeverSynced
    ));
    sync_exclusive(
        &gate,
        &s.db,
        Arc::clone(&s.store),
        &options,
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let after = sync_overview(&s.db, s.store.as_ref(), &options)
        .await
        .unwrap();
    assert_eq!(after.objects_behind, Some(0));
    assert_eq!(after.status.events, 4);
    assert!(after.status.last_sync_at.is_some());

    // A new batch lands: the next tick takes it.
    put_batch(
        s.store.as_ref(),
        &key_at(T0 + HOUR, 2),
        &[ev(
            9,
            "cust-00001",
            "Signed Up",
            T0 + HOUR,
            "Europe/Paris",
            json!({}),
        )],
    )
    .await;
    let Tick::Synced(Ok(report)) = tick(
        &gate,
        &s.db,
        Arc::clone(&s.store),
        &options,
        &CancellationToken::new(),
    )
    .await
    else {
        panic!("the tick should sync")
    };
    assert_eq!(report.events_inserted, 1);
}

#[tokio::test]
async fn a_tick_skips_while_a_sync_holds_the_gate() {
    let s = setup().await;
    let gate = SyncGate::new();
    let held = gate.try_enter().unwrap();
    assert!(gate.is_busy());
    let outcome = tick(
        &gate,
        &s.db,
        Arc::clone(&s.store),
        &SyncOptions::default(),
        &CancellationToken::new(),
    )
    .await;
    assert!(matches!(outcome, Tick::Busy));
    // A manual sync waiting for its turn can still be cancelled.
    let cancel = CancellationToken::new();
    cancel.cancel();
    let report = sync_exclusive(
        &gate,
        &s.db,
        Arc::clone(&s.store),
        &SyncOptions::default(),
        |_| {},
        &cancel,
    )
    .await
    .unwrap();
    assert!(report.cancelled && report.events_inserted == 0);
    drop(held);
    assert!(!gate.is_busy());
}

#[tokio::test]
async fn an_export_is_a_whole_file_with_every_matching_row() {
    let s = setup().await;
    let gate = SyncGate::new();
    sync_exclusive(
        &gate,
        &s.db,
        Arc::clone(&s.store),
        &SyncOptions::default(),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let filter = EventFilter {
        events: vec!["Button Clicked".into()],
        ..EventFilter::default()
    };
    let csv = export_to_file(
        &s.db,
        filter.clone(),
        ExportFormat::Csv,
        dir.path(),
        "clicks",
    )
    .await
    .unwrap();
    assert_eq!(csv.rows, 2);
    assert_eq!(csv.path, dir.path().join("clicks.csv"));
    let text = std::fs::read_to_string(&csv.path).unwrap();
    assert_eq!(text.lines().count(), 3, "header and two rows: {text}");
    assert!(text.contains("cust-00034") && !text.contains("Order Completed"));
    assert_eq!(csv.bytes, text.len() as u64);

    // Same name again: a new file, the first one kept.
    let again = export_to_file(&s.db, filter, ExportFormat::Ndjson, dir.path(), "clicks")
        .await
        .unwrap();
    assert_eq!(again.path, dir.path().join("clicks.ndjson"));
    let third = export_to_file(
        &s.db,
        EventFilter::default(),
        ExportFormat::Csv,
        dir.path(),
        "clicks",
    )
    .await
    .unwrap();
    assert_eq!(
        (third.path.clone(), third.rows),
        (dir.path().join("clicks-2.csv"), 4)
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty());
    assert!(export_to_file(
        &s.db,
        EventFilter::default(),
        ExportFormat::Csv,
        dir.path(),
        "../x"
    )
    .await
    .is_err());
}

#[tokio::test]
async fn the_retention_prunes_the_oldest_events_and_a_resync_does_not_bring_them_back() {
    use stratus_events::sync::retention::apply_retention;
    use stratus_events::sync::retention::Retention;

    let s = setup().await;
    let gate = SyncGate::new();
    let options = SyncOptions::default();
    sync_exclusive(
        &gate,
        &s.db,
        Arc::clone(&s.store),
        &options,
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        apply_retention(&s.db, Retention::default()).await.unwrap(),
        0
    );
    let keep_two = Retention {
        max_age_days: None,
        max_events: Some(2),
    };
    assert_eq!(apply_retention(&s.db, keep_two).await.unwrap(), 2);
    let Tick::Synced(Ok(again)) = tick(
        &gate,
        &s.db,
        Arc::clone(&s.store),
        &options,
        &CancellationToken::new(),
    )
    .await
    else {
        panic!("the cache was synced before: the tick syncs")
    };
    assert_eq!(again.events_inserted, 0);
    let left = sync_overview(&s.db, s.store.as_ref(), &options)
        .await
        .unwrap();
    assert_eq!(left.status.events, 2);
    let newest = search(&s, "cust-00001").await;
    assert_eq!(newest.len(), 1, "the newest events (cust-00001's) are kept");
}
