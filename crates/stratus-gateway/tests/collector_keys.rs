//! The collector's doors in production: write keys (missing, unknown,
//! revoked, a browser key from another origin), each SDK's way of sending
//! its key, the per-key rate limit, event time bounds, and keys published
//! to the bucket for the deployed function (a revoke reaches it).

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::Engine;
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use stratus_core::db::Db;
use stratus_core::store::{ListRequest, LocalStore, ObjectStore, PutOptions};
use stratus_events::collector::write_keys::{
    create_key, publish_keys, revoke_key, CreatedKey, KeyKind, KeyRing, NewKey, KEYS_OBJECT,
};
use stratus_events::collector::CollectorConfig;
use stratus_events::envelope::format_millis;
use stratus_gateway::{functions_router, AllowedOrigins, CollectorFunction, FlushPolicy};
use tower::ServiceExt;

const SHOP: &str = "https://shop.example.com";

struct Gateway {
    app: axum::Router,
    store: Arc<dyn ObjectStore>,
    _dir: tempfile::TempDir,
}

fn gateway_with_store(
    store: Arc<dyn ObjectStore>,
    keys: KeyRing,
    dir: tempfile::TempDir,
) -> Gateway {
    let function = Arc::new(
        CollectorFunction::new(
            Arc::clone(&store),
            CollectorConfig::default(),
            FlushPolicy::BeforeResponse,
            AllowedOrigins::Any,
        )
        .with_write_keys(keys),
    );
    Gateway {
        app: functions_router(None, Some(function)),
        store,
        _dir: dir,
    }
}

/// A gateway over a local bucket, checking the profile database's keys
/// (re-read at every request: no waiting in tests).
fn gateway(db: &Db) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalStore::open(dir.path().join("events")).unwrap());
    gateway_with_store(store, KeyRing::profile(db.clone(), Duration::ZERO), dir)
}

fn now_ms() -> i64 {
    stratus_core::clock::now_millis()
}

fn event(n: u128, ts_ms: i64) -> Value {
    json!({"event_id": uuid::Uuid::from_u128(0x0192_f3a0_0000_7000_8000_0000_0000_0000 + n).to_string(),
           "type": "track", "event": "Key Test", "distinct_id": "cust-00042",
           "client_ts": format_millis(ts_ms)})
}

fn batch(n: usize) -> Value {
    let now = now_ms();
    json!({"batch": (0..n).map(|i| event(i as u128, now)).collect::<Vec<_>>()})
}

fn post(path: &str, body: &Value, headers: &[(&str, String)]) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    request.body(Body::from(body.to_string())).unwrap()
}

async fn send(
    app: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

async fn object_count(store: &dyn ObjectStore, prefix: &str) -> usize {
    store
        .list(ListRequest::prefix(prefix))
        .await
        .unwrap()
        .objects
        .len()
}

async fn all_lines(store: &dyn ObjectStore, prefix: &str) -> Vec<Value> {
    let page = store.list(ListRequest::prefix(prefix)).await.unwrap();
    let mut out = Vec::new();
    for object in page.objects {
        let gz = store.get_bytes(&object.key).await.unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text)
            .unwrap();
        out.extend(
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    out
}

async fn server_key(db: &Db, rate: f64, burst: u32) -> CreatedKey {
    create_key(
        db,
        &NewKey {
            rate_per_sec: rate,
            burst,
            ..NewKey::new(KeyKind::Server, "backend")
        },
    )
    .await
    .unwrap()
}

async fn browser_key(db: &Db) -> CreatedKey {
    create_key(
        db,
        &NewKey {
            allowed_origins: vec![SHOP.into()],
            ..NewKey::new(KeyKind::Browser, "shop web")
        },
    )
    .await
    .unwrap()
}

fn key_header(token: &str) -> (&'static str, String) {
    ("x-stratus-key", token.to_string())
}

#[tokio::test]
async fn without_keys_anyone_sends_and_once_a_key_exists_each_refusal_has_its_status() {
    let db = Db::open_in_memory().unwrap();
    let g = gateway(&db);
    // No key in the profile: the offline demo's behaviour.
    let (status, _, body) = send(&g.app, post("/v1/batch", &batch(1), &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let server = server_key(&db, 1000.0, 1000).await;
    let (status, _, body) = send(&g.app, post("/v1/batch", &batch(1), &[])).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("write_key_missing"))
    );
    let (status, _, body) = send(
        &g.app,
        post("/v1/batch", &batch(1), &[key_header("stratus_sk_forged")]),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("write_key_unknown"))
    );
    let (status, _, body) = send(
        &g.app,
        post("/v1/batch", &batch(2), &[key_header(&server.token)]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 2);

    revoke_key(&db, &server.key.id).await.unwrap();
    let (status, _, body) = send(
        &g.app,
        post("/v1/batch", &batch(1), &[key_header(&server.token)]),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("write_key_revoked"))
    );
    // Revoking the last key does not open the collector again.
    let (status, _, _) = send(&g.app, post("/v1/batch", &batch(1), &[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Only the two let-in requests wrote anything.
    assert_eq!(object_count(g.store.as_ref(), "events/").await, 2);
    assert_eq!(object_count(g.store.as_ref(), "bad/").await, 0);
}

#[tokio::test]
async fn a_browser_key_works_only_from_its_origins() {
    let db = Db::open_in_memory().unwrap();
    let g = gateway(&db);
    let browser = browser_key(&db).await;
    // The tracker sends its key in the body (no preflight).
    let mut body = batch(1);
    body["writeKey"] = browser.token.clone().into();
    let from = |origin: &str| post("/v1/batch", &body, &[("origin", origin.to_string())]);
    let (status, _, answer) = send(&g.app, from("https://evil.example")).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("origin_not_allowed"))
    );
    let (status, _, answer) = send(&g.app, post("/v1/batch", &body, &[])).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("origin_not_allowed"))
    );
    let (status, _, answer) = send(&g.app, from(SHOP)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // The token never reaches the bucket.
    let stored = all_lines(g.store.as_ref(), "events/").await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].to_string().contains(&browser.token));
}

#[tokio::test]
async fn segment_basic_auth_and_posthog_body_keys_are_taken_and_never_stored() {
    let db = Db::open_in_memory().unwrap();
    let g = gateway(&db);
    let server = server_key(&db, 1000.0, 1000).await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:", server.token));
    let now = format_millis(now_ms());
    let segment = json!({"batch": [{"type": "track", "event": "Seg", "userId": "cust-1",
        "messageId": "ajs-next-1", "timestamp": now}], "sentAt": now});
    let (status, _, body) = send(
        &g.app,
        post(
            "/v1/batch",
            &segment,
            &[("authorization", format!("Basic {basic}"))],
        ),
    )
    .await;
    assert_eq!(
        (status, body["accepted"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{body}"
    );

    // PostHog's capture of one event, gzipped, its key in the body; the
    // event is rejected (no distinct id), so the whole body goes to `bad/`.
    let posthog = json!({"api_key": server.token, "event": "no one", "properties": {}});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(posthog.to_string().as_bytes()).unwrap();
    let request = Request::post("/capture/?compression=gzip-js")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(gz.finish().unwrap()))
        .unwrap();
    let (status, _, body) = send(&g.app, request).await;
    assert_eq!(
        (status, body["rejected"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{body}"
    );
    let bad = all_lines(g.store.as_ref(), "bad/").await;
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["raw"]["api_key"], "[redacted]");
    assert!(!bad[0].to_string().contains(&server.token));

    // A key of the wrong place or shape is no key.
    let (status, _, _) = send(
        &g.app,
        post("/v1/batch", &json!([{"api_key": server.token}]), &[]),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429_with_retry_after_and_nothing_is_kept() {
    let db = Db::open_in_memory().unwrap();
    let g = gateway(&db);
    // 1 event a second, bursts of 5: a batch of 5 passes, the next request waits.
    let slow = server_key(&db, 1.0, 5).await;
    let other = server_key(&db, 1000.0, 1000).await;
    let (status, _, _) = send(
        &g.app,
        post("/v1/batch", &batch(5), &[key_header(&slow.token)]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = send(
        &g.app,
        post("/v1/batch", &batch(1), &[key_header(&slow.token)]),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    let retry: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // Another key has its own bucket.
    let (status, _, _) = send(
        &g.app,
        post("/v1/batch", &batch(1), &[key_header(&other.token)]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all_lines(g.store.as_ref(), "events/").await.len(), 6);
}

#[tokio::test]
async fn events_more_than_7_days_late_or_1_day_ahead_go_to_bad_lines_with_the_reason() {
    let db = Db::open_in_memory().unwrap();
    let g = gateway(&db);
    let now = now_ms();
    let day = 24 * 3600 * 1000;
    let body = json!({"batch": [
        event(1, now - 8 * day),
        event(2, now - 6 * day),
        event(3, now + 2 * day),
        event(4, now + 3_600_000),
    ]});
    let (status, _, answer) = send(&g.app, post("/v1/batch", &body, &[])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(2), Some(2)),
        "{answer}"
    );
    let groups = answer["rejections"].as_array().unwrap();
    assert!(
        groups.iter().all(|g| g["code"] == "time_out_of_range"),
        "{answer}"
    );
    let bad = all_lines(g.store.as_ref(), "bad/").await;
    assert_eq!(bad.len(), 2);
    for line in &bad {
        assert_eq!(line["failure"]["type"], "validation");
        assert_eq!(line["failure"]["codes"][0], "time_out_of_range");
        assert!(line["raw"]["client_ts"].is_string());
    }
    // Skew is corrected before the bound: a client clock 3 days fast whose
    // event was sent a second after it happened is in bounds.
    let fast = now + 3 * day;
    let skewed = json!({"batch": [event(5, fast - 1000)], "sent_at": format_millis(fast)});
    let (_, _, answer) = send(&g.app, post("/v1/batch", &skewed, &[])).await;
    assert_eq!(answer["accepted"], 1, "{answer}");
}

/// The deployed function's view: keys published to the bucket, read with
/// a zero refresh interval so the test needs no waiting.
async fn published_gateway(store: Arc<dyn ObjectStore>, required: bool) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    gateway_with_store(
        Arc::clone(&store),
        KeyRing::published(store, Duration::ZERO, required),
        dir,
    )
}

async fn revoke_reaches_the_published_collector(store: Arc<dyn ObjectStore>) {
    let db = Db::open_in_memory().unwrap();
    let g = published_gateway(Arc::clone(&store), false).await;
    // Nothing published yet: open, as a bucket with no keys.
    let (status, _, _) = send(&g.app, post("/v1/batch", &batch(1), &[])).await;
    assert_eq!(status, StatusCode::OK);

    let server = server_key(&db, 1000.0, 1000).await;
    assert_eq!(publish_keys(&db, store.as_ref()).await.unwrap(), 1);
    let published = store.get_bytes(KEYS_OBJECT).await.unwrap();
    let text = String::from_utf8(published.to_vec()).unwrap();
    assert!(!text.contains(&server.token), "only the hash is published");
    assert!(
        text.contains(&stratus_events::collector::write_keys::token_hash(
            &server.token
        ))
    );

    let (status, _, _) = send(&g.app, post("/v1/batch", &batch(1), &[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(
        &g.app,
        post("/v1/batch", &batch(1), &[key_header(&server.token)]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    revoke_key(&db, &server.key.id).await.unwrap();
    publish_keys(&db, store.as_ref()).await.unwrap();
    let (status, _, body) = send(
        &g.app,
        post("/v1/batch", &batch(1), &[key_header(&server.token)]),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("write_key_revoked"))
    );

    // A broken object keeps the last good set: still refused, not opened.
    store
        .put(
            KEYS_OBJECT,
            Bytes::from_static(b"{\"version\": 1, \"keys\": ["),
            PutOptions::default(),
        )
        .await
        .unwrap();
    let (status, _, _) = send(
        &g.app,
        post("/v1/batch", &batch(1), &[key_header(&server.token)]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(&g.app, post("/v1/batch", &batch(1), &[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A fresh instance that never saw a good set refuses everything (503).
    let fresh = published_gateway(Arc::clone(&store), false).await;
    let (status, _, body) = send(&fresh.app, post("/v1/batch", &batch(1), &[])).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("write_keys_unavailable")
        )
    );
}

#[tokio::test]
async fn a_revoked_key_is_refused_by_the_published_collector_in_a_local_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.path()).unwrap());
    revoke_reaches_the_published_collector(store).await;
}

#[tokio::test]
async fn a_revoked_key_is_refused_by_the_published_collector_in_s3() {
    let Some(endpoint) = stratus_core::testing::endpoint() else {
        return;
    };
    let store = stratus_core::testing::fresh_s3_store(&endpoint, "keys")
        .await
        .unwrap();
    revoke_reaches_the_published_collector(Arc::new(store)).await;
}

#[tokio::test]
async fn a_collector_that_requires_keys_refuses_everything_until_keys_are_published() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.path()).unwrap());
    let g = published_gateway(Arc::clone(&store), true).await;
    let (status, _, body) = send(&g.app, post("/v1/batch", &batch(1), &[])).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("write_key_missing"))
    );
    let (status, _, _) = send(
        &g.app,
        post("/v1/batch", &batch(1), &[key_header("anything")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(object_count(store.as_ref(), "events/").await, 0);
}
