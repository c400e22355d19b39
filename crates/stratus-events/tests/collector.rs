//! The collector's batch writer: per-event answers, good and bad objects
//! with the specified keys and contents, SDK shapes, flush rules.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use stratus_core::store::{ListRequest, ObjectStore};
use stratus_events::collector::{Collector, CollectorConfig};
use stratus_events::envelope::validate::RequestMeta;
use support::*;

fn request() -> RequestMeta {
    RequestMeta {
        received_at: chrono::Utc::now().timestamp_millis(),
        request_id: Some("req-7".into()),
        ip: Some("2001:db8:abcd:12::1".into()),
        sent_at: None,
    }
}

async fn keys(store: &dyn ObjectStore, prefix: &str) -> Vec<String> {
    store
        .list(ListRequest::prefix(prefix))
        .await
        .unwrap()
        .objects
        .into_iter()
        .map(|o| o.key)
        .collect()
}

fn native(n: u128, name: &str) -> Value {
    json!({"event_id": event_id(n), "type": "track", "event": name, "distinct_id": "cust-00007"})
}

#[tokio::test]
async fn mixed_batch_accepts_the_good_and_keeps_the_bad_aside() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let collector = Collector::new(Arc::clone(&store), CollectorConfig::default());
    let body = json!({"batch": [
        native(1, "Button Clicked"),
        {"event_id": "nope", "type": "track", "event": "x", "distinct_id": "c"},
        native(2, "Form Submitted"),
        42,
    ], "sent_at": "2026-11-26T15:00:00Z"});
    let report = collector.collect(body, request()).await.unwrap();
    assert_eq!((report.accepted, report.rejected), (2, 2));
    assert!(report.events[0].accepted && !report.events[1].accepted);
    assert_eq!(report.events[1].rejections[0].code, "invalid_event_id");
    assert_eq!(report.events[3].rejections[0].code, "not_an_object");
    assert!(
        report.flushed.is_empty(),
        "below the thresholds nothing is written yet"
    );
    assert_eq!(collector.buffered().await, 2);

    let written = collector.flush().await.unwrap();
    assert_eq!(written.len(), 2);
    let good = keys(store.as_ref(), "events/v1/").await;
    let bad = keys(store.as_ref(), "bad/v1/").await;
    assert_eq!((good.len(), bad.len()), (1, 1));
    let today = chrono::Utc::now().format("dt=%Y-%m-%d/hh=").to_string();
    assert!(
        good[0].starts_with(&format!("events/v1/{today}")),
        "{}",
        good[0]
    );
    assert!(good[0].ends_with(".ndjson.gz"));
    assert!(bad[0].starts_with(&format!("bad/v1/{today}")), "{}", bad[0]);

    let lines = read_lines(store.as_ref(), &good[0]).await;
    let names: Vec<_> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Button Clicked", "Form Submitted"]);
    assert_eq!(lines[0]["collector"]["ip"], "2001:db8:abcd::");
    assert_eq!(lines[0]["collector"]["request_id"], "req-7");
    assert!(lines[0]["ts"].is_string() && lines[0]["received_at"].is_string());

    let rejected = read_lines(store.as_ref(), &bad[0]).await;
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["failure"]["type"], "validation");
    assert!(rejected[0]["failure"]["messages"][0]
        .as_str()
        .unwrap()
        .contains("not a UUID"));
    assert!(rejected[0]["failure"]["at"].is_string());
    assert_eq!(
        rejected[0]["raw"]["event_id"], "nope",
        "raw is what the client sent"
    );
    assert_eq!(rejected[1]["raw"], 42);

    assert!(
        collector.flush().await.unwrap().is_empty(),
        "nothing left to flush"
    );
}

#[tokio::test]
async fn a_buffer_past_its_size_is_flushed_by_the_request_that_filled_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let config = CollectorConfig {
        max_buffer_bytes: 2_000,
        ..CollectorConfig::default()
    };
    let collector = Collector::new(Arc::clone(&store), config);
    let mut flushed = Vec::new();
    for n in 0..20 {
        let report = collector
            .collect(native(n, "Clicked"), request())
            .await
            .unwrap();
        flushed.extend(report.flushed);
    }
    flushed.extend(collector.flush().await.unwrap());
    assert!(flushed.len() >= 3, "{flushed:?}");
    let mut sorted = flushed.clone();
    sorted.sort();
    assert_eq!(sorted, flushed, "keys are written in time order");
    let mut total = 0;
    for key in &flushed {
        total += read_lines(store.as_ref(), key).await.len();
    }
    assert_eq!(total, 20, "every accepted event is written exactly once");
}

#[tokio::test]
async fn a_buffer_past_its_age_is_flushed_by_the_timer() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let config = CollectorConfig {
        max_age: Duration::from_millis(50),
        ..CollectorConfig::default()
    };
    let collector = Collector::new(Arc::clone(&store), config);
    collector
        .collect(native(1, "Clicked"), request())
        .await
        .unwrap();
    assert!(collector.flush_if_due().await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(collector.flush_if_due().await.unwrap().len(), 1);
}

#[tokio::test]
async fn segment_batches_are_mapped_to_the_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let collector = Collector::new(Arc::clone(&store), CollectorConfig::default());
    let body = json!({
        "batch": [
            {"type": "track", "messageId": "ajs-next-1f2e3d", "userId": "cust-00012",
             "anonymousId": "dev-9", "event": "Order Completed",
             "timestamp": "2026-11-26T14:59:00.000Z",
             "properties": {"revenue": 42.5, "products": [{"sku": "a"}], "shipping": {"method": "express"}},
             "context": {"page": {"url": "https://shop.example.com/checkout", "title": "Checkout"},
                         "library": {"name": "analytics.js", "version": "2.0"}, "timezone": "Europe/Paris"}},
            {"type": "page", "messageId": "0192f3a0-7c1e-7a00-8000-000000000001", "anonymousId": "dev-9", "name": "Pricing"}
        ],
        "sentAt": "2026-11-26T15:00:00.000Z"
    });
    let report = collector.collect(body.clone(), request()).await.unwrap();
    assert_eq!((report.accepted, report.rejected), (2, 0), "{report:?}");
    // A retry of the same Segment message gets the same event_id.
    let again = collector.collect(body, request()).await.unwrap();
    assert_eq!(report.events[0].event_id, again.events[0].event_id);
    assert_eq!(
        report.events[1].event_id.as_deref(),
        Some("0192f3a0-7c1e-7a00-8000-000000000001")
    );

    let key = collector.flush().await.unwrap().remove(0);
    let lines = read_lines(store.as_ref(), &key).await;
    let order = &lines[0];
    assert_eq!(order["distinct_id"], "cust-00012");
    assert_eq!(order["anonymous_id"], "dev-9");
    assert_eq!(order["client_ts"], "2026-11-26T14:59:00.000Z");
    assert_eq!(order["sent_at"], "2026-11-26T15:00:00.000Z");
    assert_eq!(order["properties"]["revenue"], 42.5);
    assert_eq!(order["properties"]["shipping.method"], "express");
    assert_eq!(order["properties"]["products"], r#"[{"sku":"a"}]"#);
    assert_eq!(order["context"]["url"], "https://shop.example.com/checkout");
    assert_eq!(order["context"]["tz"], "Europe/Paris");
    assert_eq!(lines[1]["type"], "page");
    assert_eq!(lines[1]["properties"]["name"], "Pricing");
}

#[tokio::test]
async fn posthog_batches_are_mapped_to_the_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let collector = Collector::new(Arc::clone(&store), CollectorConfig::default());
    let body = json!({
        "api_key": "phc_test",
        "batch": [
            {"event": "$pageview", "uuid": "0192f3a0-7c1e-7a00-8000-000000000002",
             "timestamp": "2026-11-26T14:58:00Z",
             "properties": {"distinct_id": "cust-00099", "$session_id": "sess-42",
                            "$current_url": "https://shop.example.com/pricing", "$lib": "web", "plan": "pro"}},
            {"event": "clicked", "properties": {"distinct_id": "cust-00099"}}
        ]
    });
    let report = collector.collect(body, request()).await.unwrap();
    assert_eq!((report.accepted, report.rejected), (1, 1));
    assert_eq!(
        report.events[1].rejections[0].code, "missing_field",
        "no uuid → no event_id"
    );
    let key = collector
        .flush()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.starts_with("events/"))
        .unwrap();
    let line = &read_lines(store.as_ref(), &key).await[0];
    assert_eq!(line["type"], "page");
    assert_eq!(line["event"], "$pageview");
    assert_eq!(line["distinct_id"], "cust-00099");
    assert_eq!(line["session_id"], "sess-42");
    assert_eq!(line["context"]["url"], "https://shop.example.com/pricing");
    assert_eq!(line["properties"], json!({"plan": "pro"}));
}

#[tokio::test]
async fn identity_calls_of_segment_and_posthog_become_identify_alias_and_group() {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let collector = Collector::new(Arc::clone(&store), CollectorConfig::default());
    let at = "2026-11-26T14:58:00Z";
    let segment = json!({"batch": [
        {"type": "identify", "messageId": "m-1", "userId": "u-1", "anonymousId": "anon-1",
         "timestamp": at, "traits": {"email": "ann@example.com"}},
        {"type": "alias", "messageId": "m-2", "userId": "u-1", "previousId": "old-1", "timestamp": at},
        {"type": "group", "messageId": "m-3", "userId": "u-1", "groupId": "acme", "timestamp": at,
         "traits": {"plan": "enterprise"}},
        {"type": "alias", "messageId": "m-4", "userId": "u-1", "timestamp": at}
    ]});
    let report = collector.collect(segment, request()).await.unwrap();
    assert_eq!((report.accepted, report.rejected), (3, 1));
    assert_eq!(
        report.events[3].rejections[0].code, "missing_field",
        "an alias needs previousId"
    );
    let posthog = json!({"api_key": "phc_test", "batch": [
        {"event": "$identify", "uuid": "0192f3a0-7c1e-7a00-8000-000000000011", "timestamp": at,
         "distinct_id": "u-2", "properties": {"$anon_distinct_id": "anon-2", "$set": {"plan": "pro"}}},
        {"event": "$create_alias", "uuid": "0192f3a0-7c1e-7a00-8000-000000000012", "timestamp": at,
         "distinct_id": "anon-3", "properties": {"distinct_id": "anon-3", "alias": "u-2"}},
        {"event": "$groupidentify", "uuid": "0192f3a0-7c1e-7a00-8000-000000000013", "timestamp": at,
         "distinct_id": "u-2", "properties": {"$group_type": "company", "$group_key": "acme"}},
        {"event": "$set", "uuid": "0192f3a0-7c1e-7a00-8000-000000000014", "timestamp": at,
         "distinct_id": "u-2", "$set": {"name": "Bo"}}
    ]});
    let report = collector.collect(posthog, request()).await.unwrap();
    assert_eq!((report.accepted, report.rejected), (4, 0));
    let key = collector
        .flush()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.starts_with("events/"))
        .unwrap();
    let lines = read_lines(store.as_ref(), &key).await;
    let by_name = |n: &str, d: &str| {
        lines
            .iter()
            .find(|l| l["event"] == n && l["distinct_id"] == d)
            .unwrap_or_else(|| panic!("no {n} of {d} in {lines:?}"))
            .clone()
    };
    let identify = by_name("$identify", "u-1");
    assert_eq!(
        (identify["type"].as_str(), identify["anonymous_id"].as_str()),
        (Some("identify"), Some("anon-1"))
    );
    assert_eq!(identify["properties"]["email"], "ann@example.com");
    let alias = by_name("$create_alias", "u-1");
    assert_eq!(
        (alias["type"].as_str(), alias["previous_id"].as_str()),
        (Some("alias"), Some("old-1"))
    );
    let group = by_name("$groupidentify", "u-1");
    assert_eq!(
        (group["type"].as_str(), group["group_id"].as_str()),
        (Some("group"), Some("acme"))
    );
    assert_eq!(group["properties"]["plan"], "enterprise");
    let identify = by_name("$identify", "u-2");
    assert_eq!(identify["anonymous_id"], "anon-2");
    assert_eq!(identify["properties"]["$set.plan"], "pro");
    let alias = by_name("$create_alias", "u-2");
    assert_eq!(
        (alias["type"].as_str(), alias["previous_id"].as_str()),
        (Some("alias"), Some("anon-3"))
    );
    let group = by_name("$groupidentify", "u-2");
    assert_eq!(group["group_id"], "company:acme");
    assert_eq!(by_name("$set", "u-2")["properties"]["$set.name"], "Bo");
}

#[tokio::test]
async fn a_body_that_is_not_a_batch_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let collector = Collector::new(local_store(&dir), CollectorConfig::default());
    let err = collector
        .collect(json!("hello"), request())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_batch");
    let err = collector
        .collect(json!({"batch": {"a": 1}}), request())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_batch");
    let too_many: Vec<Value> = (0..1001).map(|n| native(n, "x")).collect();
    let err = collector
        .collect(json!(too_many), request())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "batch_too_large");
}
