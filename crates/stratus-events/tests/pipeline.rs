//! End to end without HTTP: the collector writes batches, sync ingests them,
//! the timeline shows them; retried events appear once. Against `LocalStore`
//! and the S3-compatible server.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::{Arc, Mutex};

use serde_json::json;
use stratus_core::db::Db;
use stratus_core::jobs::{CancellationToken, Progress};
use stratus_core::store::ObjectStore;
use stratus_events::browse::filter::EventFilter;
use stratus_events::browse::page::events_page;
use stratus_events::collector::{Collector, CollectorConfig};
use stratus_events::envelope::validate::RequestMeta;
use stratus_events::sync::{sync, SyncOptions};
use support::*;

async fn collect_sync_browse(store: Arc<dyn ObjectStore>) {
    let collector = Collector::new(Arc::clone(&store), CollectorConfig::default());
    let request = |n: i64| RequestMeta {
        received_at: T0 + n * 1000,
        request_id: Some(format!("req-{n}")),
        ip: Some("192.0.2.200".into()),
        sent_at: None,
    };
    let native = |n: u128, name: &str| {
        json!({"event_id": event_id(n), "type": "track", "event": name, "distinct_id": "cust-00420",
               "client_ts": "2026-11-26T15:00:00Z", "sent_at": "2026-11-26T15:00:01Z"})
    };
    // The first request, then a retry of it (same event ids) in a later batch.
    let first = json!([native(1, "Page Viewed"), native(2, "Button Clicked"), {"bad": true}]);
    let report = collector.collect(first.clone(), request(1)).await.unwrap();
    assert_eq!((report.accepted, report.rejected), (2, 1));
    collector.flush().await.unwrap();
    collector.collect(first, request(2)).await.unwrap();
    let segment = json!({"batch": [{"type": "track", "messageId": "m-1", "userId": "cust-00420",
                                    "event": "Order Completed", "properties": {"revenue": 10}}]});
    collector.collect(segment, request(3)).await.unwrap();
    collector.flush().await.unwrap();

    let db = Db::open_in_memory().unwrap();
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let log = Arc::clone(&seen);
    let report = sync(
        &db,
        Arc::clone(&store),
        &SyncOptions::default(),
        move |p| log.lock().unwrap().push(p),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.ingested, 2, "bad/ objects are not synced as events");
    assert_eq!((report.events_inserted, report.duplicates), (3, 2));
    let last = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!((last.done, last.total), (2, Some(2)));
    assert!(last.message.contains("3 events"), "{}", last.message);

    let page = db
        .call(|c| -> stratus_core::Result<_> {
            let filter = EventFilter {
                distinct_id: Some("cust-00420".into()),
                ..EventFilter::default()
            };
            Ok(events_page(c, &filter, None, 10))
        })
        .await
        .unwrap()
        .unwrap();
    let names: Vec<_> = page.events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.len(), 3);
    assert_eq!(names[0], "Order Completed", "newest first: {names:?}");
    // Skew-corrected: received 1 s after the 15:00:01 send → ts 1 s before receipt.
    let clicked = page
        .events
        .iter()
        .find(|e| e.event == "Button Clicked")
        .unwrap();
    assert_eq!(clicked.ts, T0 + 1000 - 1000);
}

#[tokio::test]
async fn local() {
    let dir = tempfile::tempdir().unwrap();
    collect_sync_browse(local_store(&dir)).await;
}

#[tokio::test]
async fn s3() {
    if let Some(store) = s3_store("ev-pipe").await {
        collect_sync_browse(store).await;
    }
}
