//! The collector over HTTP: per-event answers, the objects it writes, size
//! bounds, gzip bodies, SDK endpoints, CORS and the flush timer.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use stratus_core::store::{ListRequest, LocalStore, ObjectStore};
use stratus_events::collector::CollectorConfig;
use stratus_gateway::{functions_router, AllowedOrigins, CollectorFunction, FlushPolicy};
use tower::ServiceExt;

struct Gateway {
    app: axum::Router,
    function: Arc<CollectorFunction>,
    store: Arc<dyn ObjectStore>,
    _dir: tempfile::TempDir,
}

fn gateway(flush: FlushPolicy, origins: AllowedOrigins, config: CollectorConfig) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalStore::open(dir.path().join("events")).unwrap());
    let function = Arc::new(CollectorFunction::new(
        Arc::clone(&store),
        config,
        flush,
        origins,
    ));
    Gateway {
        app: functions_router(None, Some(Arc::clone(&function))),
        function,
        store,
        _dir: dir,
    }
}

fn event_id(n: u128) -> String {
    uuid::Uuid::from_u128(0x0192_f3a0_0000_7000_8000_0000_0000_0000 + n).to_string()
}

fn native(n: u128, name: &str) -> Value {
    json!({"event_id": event_id(n), "type": "track", "event": name, "distinct_id": "cust-00007",
           "client_ts": "2026-11-26T15:00:00Z", "properties": {"plan": "pro"}})
}

async fn send(
    app: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, headers, json)
}

fn post_json(path: &str, body: &Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .header("x-forwarded-for", "203.0.113.77")
        .body(Body::from(body.to_string()))
        .unwrap()
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

async fn lines(store: &dyn ObjectStore, key: &str) -> Vec<Value> {
    let body = store.get_bytes(key).await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// `events/v1/dt=YYYY-MM-DD/hh=HH/<32 hex>.ndjson.gz` (or `bad/v1/…`).
fn has_batch_layout(key: &str, prefix: &str) -> bool {
    let Some(rest) = key.strip_prefix(prefix) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    parts.len() == 3
        && parts[0].len() == "dt=2026-11-26".len()
        && parts[0].starts_with("dt=")
        && parts[1].len() == "hh=15".len()
        && parts[1].starts_with("hh=")
        && parts[2]
            .strip_suffix(".ndjson.gz")
            .is_some_and(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
}

#[tokio::test]
async fn mixed_good_and_bad_events_get_per_event_results_and_land_in_their_objects() {
    let g = gateway(
        FlushPolicy::Timer,
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let bad_id =
        json!({"event_id": "not-a-uuid", "type": "track", "event": "Clicked", "distinct_id": "c"});
    let no_name = json!({"event_id": event_id(9), "type": "track", "distinct_id": "c"});
    let body = json!({"batch": [native(1, "Button Clicked"), bad_id, native(2, "Form Submitted"), no_name],
                      "sent_at": "2026-11-26T15:00:01Z"});
    let (status, headers, answer) = send(&g.app, post_json("/v1/batch", &body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(2), Some(2))
    );
    let results = answer["events"].as_array().unwrap();
    let accepted: Vec<bool> = results
        .iter()
        .map(|e| e["accepted"].as_bool().unwrap())
        .collect();
    assert_eq!(accepted, [true, false, true, false]);
    assert_eq!(results[1]["rejections"][0]["code"], "invalid_event_id");
    assert_eq!(results[3]["rejections"][0]["code"], "missing_field");
    assert_eq!(results[2]["event_id"], event_id(2));

    // Buffered until the timer (or a flush) writes them.
    assert!(keys(g.store.as_ref(), "events/").await.is_empty());
    g.function.collector.flush().await.unwrap();

    let good = keys(g.store.as_ref(), "events/v1/").await;
    assert_eq!(good.len(), 1, "{good:?}");
    assert!(has_batch_layout(&good[0], "events/v1/"), "{}", good[0]);
    let written = lines(g.store.as_ref(), &good[0]).await;
    let names: Vec<&str> = written
        .iter()
        .map(|l| l["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Button Clicked", "Form Submitted"]);
    // Enriched by the collector: skew-corrected ts, received_at, truncated IP.
    assert_eq!(written[0]["collector"]["ip"], "203.0.113.0");
    assert_eq!(written[0]["collector"]["request_id"], answer["request_id"]);
    assert!(written[0]["received_at"].as_str().is_some());

    let bad = keys(g.store.as_ref(), "bad/v1/").await;
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(has_batch_layout(&bad[0], "bad/v1/"), "{}", bad[0]);
    let kept = lines(g.store.as_ref(), &bad[0]).await;
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0]["raw"]["event_id"], "not-a-uuid");
    assert_eq!(kept[0]["failure"]["type"], "validation");
    assert!(kept[0]["failure"]["messages"][0]
        .as_str()
        .unwrap()
        .contains("not a UUID"));
    assert!(kept[1]["failure"]["at"].as_str().is_some());
}

#[tokio::test]
async fn an_oversized_request_is_refused_with_413_and_nothing_is_written() {
    let config = CollectorConfig {
        max_request_bytes: 4096,
        ..CollectorConfig::default()
    };
    let g = gateway(FlushPolicy::BeforeResponse, AllowedOrigins::Any, config);
    let big: Vec<Value> = (0..100).map(|n| native(n, "Scrolled")).collect();
    let (status, headers, answer) =
        send(&g.app, post_json("/v1/batch", &json!({"batch": big}))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer["code"], "request_too_large");
    assert!(answer["message"].as_str().unwrap().contains("4096"));
    assert_eq!(headers["cache-control"], "no-store");

    // Small when compressed, too big once inflated: refused the same way.
    let bomb = gzip(&vec![b' '; 1 << 20]);
    assert!(bomb.len() < 4096);
    let request = Request::post("/batch/")
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(Body::from(bomb))
        .unwrap();
    let (status, _, answer) = send(&g.app, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");

    g.function.collector.flush().await.unwrap();
    assert!(
        keys(g.store.as_ref(), "").await.is_empty(),
        "nothing written"
    );
}

#[tokio::test]
async fn gzipped_posthog_batches_and_segment_single_events_are_accepted() {
    let g = gateway(
        FlushPolicy::BeforeResponse,
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let posthog = json!({"api_key": "phc_test", "sent_at": "2026-11-26T15:00:02+00:00", "batch": [
        {"event": "Checkout Started", "uuid": event_id(21), "distinct_id": "cust-00042",
         "timestamp": "2026-11-26T15:00:00+00:00", "properties": {"$lib": "posthog-python", "cart": 3}},
    ]});
    let request = Request::post("/batch/")
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(Body::from(gzip(posthog.to_string().as_bytes())))
        .unwrap();
    let (status, _, answer) = send(&g.app, request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 1);

    // Segment's HTTP API: the path names the type.
    let segment = json!({"messageId": "ajs-next-1", "userId": "cust-00042", "event": "Order Completed",
                         "properties": {"total": 42.5}});
    let (status, _, answer) = send(&g.app, post_json("/v1/track", &segment)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 1, "{answer}");

    // Written before the answer (the Lambda policy): both are in the bucket.
    let mut names = Vec::new();
    for key in keys(g.store.as_ref(), "events/v1/").await {
        for line in lines(g.store.as_ref(), &key).await {
            assert_eq!(line["distinct_id"], "cust-00042");
            names.push(line["event"].as_str().unwrap().to_string());
        }
    }
    names.sort();
    assert_eq!(names, ["Checkout Started", "Order Completed"]);
}

#[tokio::test]
async fn a_body_that_is_not_json_or_not_a_batch_is_a_400_with_a_code() {
    let g = gateway(
        FlushPolicy::BeforeResponse,
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let request = Request::post("/v1/batch")
        .body(Body::from("event=clicked"))
        .unwrap();
    let (status, _, answer) = send(&g.app, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["code"], "invalid_batch");
    let (status, _, answer) = send(&g.app, post_json("/v1/batch", &json!("hello"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["code"], "invalid_batch");
    let request = Request::post("/v1/batch")
        .header("content-encoding", "br")
        .body(Body::from("{}"))
        .unwrap();
    let (status, _, answer) = send(&g.app, request).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(answer["code"], "unsupported_encoding");
}

fn preflight(origin: &str) -> Request<Body> {
    Request::options("/v1/batch")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn cors_preflight_answers_allowed_origins_only() {
    let any = gateway(
        FlushPolicy::Timer,
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let (status, headers, _) = send(&any.app, preflight("https://shop.example.com")).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers["access-control-allow-origin"], "*");
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let allowed_headers = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(
        allowed_headers.contains("content-type"),
        "{allowed_headers}"
    );

    let listed = gateway(
        FlushPolicy::Timer,
        AllowedOrigins::parse("https://shop.example.com, https://www.example.com"),
        CollectorConfig::default(),
    );
    let (_, headers, _) = send(&listed.app, preflight("https://www.example.com")).await;
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://www.example.com"
    );
    let (_, headers, _) = send(&listed.app, preflight("https://evil.example.net")).await;
    assert!(
        headers.get("access-control-allow-origin").is_none(),
        "a browser must not let other origins send: {headers:?}"
    );

    // The actual POST from an allowed page carries the header too.
    let request = Request::post("/v1/batch")
        .header("origin", "https://shop.example.com")
        .header("content-type", "application/json")
        .body(Body::from(native(1, "Clicked").to_string()))
        .unwrap();
    let (status, headers, _) = send(&listed.app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://shop.example.com"
    );
}

#[tokio::test]
async fn the_flush_timer_writes_buffered_events_once_they_are_old_enough() {
    let config = CollectorConfig {
        max_age: Duration::from_millis(50),
        ..CollectorConfig::default()
    };
    let g = gateway(FlushPolicy::Timer, AllowedOrigins::Any, config);
    let (status, _, _) = send(&g.app, post_json("/v1/batch", &native(5, "Page Scrolled"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(g.function.collector.buffered().await, 1);
    let timer = stratus_gateway::collector::spawn_flush_timer(
        Arc::clone(&g.function),
        Duration::from_millis(20),
    );
    // Wait for the timer's write (bounded, so a broken timer fails the test).
    // The object can be listed a moment before `put` returns and the buffer
    // is cleared; `buffered()` waits for the flush to let go of the buffer,
    // so the timer is only stopped once its write is wholly done (stopped
    // mid-write, it keeps the lines for the next flush, by design).
    let mut written = Vec::new();
    let mut left = usize::MAX;
    for _ in 0..500 {
        written = keys(g.store.as_ref(), "events/v1/").await;
        if !written.is_empty() {
            left = g.function.collector.buffered().await;
            if left == 0 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    timer.abort();
    assert_eq!(written.len(), 1, "the timer wrote the batch");
    assert_eq!(left, 0, "and cleared its buffer");
}

#[tokio::test]
async fn the_tracker_script_is_served_as_javascript() {
    let g = gateway(
        FlushPolicy::Timer,
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let response = g
        .app
        .clone()
        .oneshot(Request::get("/t.js").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let body: Bytes = response.into_body().collect().await.unwrap().to_bytes();
    let script = String::from_utf8(body.to_vec()).unwrap();
    assert!(script.contains("/v1/batch") && script.contains("event_id"));
}
