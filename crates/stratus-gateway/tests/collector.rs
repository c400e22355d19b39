//! The collector over HTTP: per-event answers, the objects it writes, size
//! bounds, gzip bodies, SDK endpoints, CORS, the durable spool and its
//! bounded queue, collapsed rejections and the client address.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use stratus_core::store::{ListRequest, LocalStore, ObjectStore};
use stratus_events::collector::spool::{Spool, SpoolConfig};
use stratus_events::collector::CollectorConfig;
use stratus_gateway::event_stream::{EventStream, StreamError};
use stratus_gateway::{
    functions_router, AllowedOrigins, CollectorFunction, FlushPolicy, TrustedProxies,
};
use tower::ServiceExt;

struct Gateway {
    app: axum::Router,
    function: Arc<CollectorFunction>,
    store: Arc<dyn ObjectStore>,
    dir: tempfile::TempDir,
}

/// How the test gateway keeps events.
enum Keep {
    /// Written to the bucket before the answer (Lambda).
    BeforeResponse,
    /// Spooled on disk, at most this many bytes waiting (`stratus serve`).
    Spool(u64),
    /// Sent to a delivery stream before the answer (Lambda with Firehose).
    Stream(Arc<FakeStream>),
}

/// A delivery stream that keeps what it takes, or refuses everything.
#[derive(Default)]
struct FakeStream {
    taken: std::sync::Mutex<Vec<Bytes>>,
    refuse: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl EventStream for FakeStream {
    async fn send(&self, records: Vec<Bytes>) -> Result<(), StreamError> {
        if self.refuse.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StreamError("throttled: slow down".into()));
        }
        self.taken.lock().unwrap().extend(records);
        Ok(())
    }

    fn name(&self) -> &str {
        "fake-events"
    }
}

fn gateway(keep: Keep, origins: AllowedOrigins, config: CollectorConfig) -> Gateway {
    gateway_with(keep, origins, config, TrustedProxies::default())
}

fn gateway_with(
    keep: Keep,
    origins: AllowedOrigins,
    config: CollectorConfig,
    proxies: TrustedProxies,
) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalStore::open(dir.path().join("events")).unwrap());
    let flush = match keep {
        Keep::BeforeResponse => FlushPolicy::BeforeResponse,
        Keep::Stream(stream) => FlushPolicy::Stream(stream),
        Keep::Spool(max_queue_bytes) => FlushPolicy::Spool(Arc::new(
            Spool::open(SpoolConfig {
                max_queue_bytes,
                ..SpoolConfig::new(dir.path().join("spool"))
            })
            .unwrap(),
        )),
    };
    let function = Arc::new(
        CollectorFunction::new(Arc::clone(&store), config, flush, origins)
            .with_trusted_proxies(proxies),
    );
    Gateway {
        app: functions_router(None, Some(Arc::clone(&function))),
        function,
        store,
        dir,
    }
}

impl Gateway {
    fn spool(&self) -> &Spool {
        match &self.function.flush {
            FlushPolicy::Spool(spool) => spool,
            _ => panic!("not a spooling gateway"),
        }
    }

    /// Starts the uploader and waits until everything spooled is in the bucket.
    async fn drain(&self) {
        let uploader = self.spool().start_uploader(Arc::clone(&self.store));
        assert!(
            self.spool()
                .drain(std::time::Duration::from_secs(60))
                .await
                .unwrap(),
            "the spool was written to the bucket"
        );
        uploader.abort();
    }
}

const MANY: u64 = 1 << 30;

fn event_id(n: u128) -> String {
    uuid::Uuid::from_u128(0x0192_f3a0_0000_7000_8000_0000_0000_0000 + n).to_string()
}

/// An event of a minute ago: the collector refuses times more than 7 days
/// late, so a fixed date would fail a week after it was written.
fn native(n: u128, name: &str) -> Value {
    let minute_ago = stratus_core::clock::now_millis() - 60_000;
    json!({"event_id": event_id(n), "type": "track", "event": name, "distinct_id": "cust-00007",
           "client_ts": stratus_events::envelope::format_millis(minute_ago), "properties": {"plan": "pro"}})
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

/// A POST from `203.0.113.77` (as the server's socket would see it).
fn post_json(path: &str, body: &Value) -> Request<Body> {
    post_from("203.0.113.77:40000", None, path, body)
}

fn post_from(peer: &str, forwarded: Option<&str>, path: &str, body: &Value) -> Request<Body> {
    let mut request = Request::post(path).header("content-type", "application/json");
    if let Some(f) = forwarded {
        request = request.header("x-forwarded-for", f);
    }
    let mut request = request.body(Body::from(body.to_string())).unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(
        peer.parse::<SocketAddr>().unwrap(),
    ));
    request
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
        Keep::Spool(MANY),
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let bad_id =
        json!({"event_id": "not-a-uuid", "type": "track", "event": "Clicked", "distinct_id": "c"});
    let no_name = json!({"event_id": event_id(9), "type": "track", "distinct_id": "c"});
    let sent_at = stratus_events::envelope::format_millis(stratus_core::clock::now_millis());
    let body = json!({"batch": [native(1, "Button Clicked"), bad_id, native(2, "Form Submitted"), no_name],
                      "sent_at": sent_at});
    let (status, headers, answer) = send(&g.app, post_json("/v1/batch", &body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(2), Some(2))
    );
    let accepted: Vec<(u64, &str)> = answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["event_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        accepted,
        [(0, event_id(1).as_str()), (2, event_id(2).as_str())]
    );
    let rejections = answer["rejections"].as_array().unwrap();
    assert_eq!(rejections.len(), 2, "{answer}");
    assert_eq!(rejections[0]["code"], "invalid_event_id");
    assert_eq!(rejections[0]["indexes"], json!([1]));
    assert_eq!(rejections[1]["code"], "missing_field");
    assert_eq!(rejections[1]["indexes"], json!([3]));

    // Answered once on local disk; the uploader writes them to the bucket.
    assert!(keys(g.store.as_ref(), "events/").await.is_empty());
    assert!(g.spool().queued_bytes() > 0, "kept in the spool");
    g.drain().await;

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
    let g = gateway(Keep::BeforeResponse, AllowedOrigins::Any, config);
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
        Keep::BeforeResponse,
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
async fn segment_alias_and_group_calls_have_their_own_paths() {
    let g = gateway(
        Keep::BeforeResponse,
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    // Segment's HTTP API sends these without `type`: the path names it.
    let calls = [
        (
            "/v1/identify",
            json!({"messageId": "m-1", "userId": "cust-7", "anonymousId": "anon-7",
                                "traits": {"email": "ann@example.com"}}),
        ),
        (
            "/v1/alias",
            json!({"messageId": "m-2", "userId": "cust-7", "previousId": "anon-8"}),
        ),
        (
            "/v1/group",
            json!({"messageId": "m-3", "userId": "cust-7", "groupId": "acme",
                             "traits": {"plan": "enterprise"}}),
        ),
    ];
    for (path, body) in &calls {
        let (status, _, answer) = send(&g.app, post_json(path, body)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        assert_eq!(answer["accepted"], 1, "{path}: {answer}");
    }
    let (status, _, answer) = send(
        &g.app,
        post_json(
            "/v1/alias",
            &json!({"messageId": "m-4", "userId": "cust-7"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["rejected"], 1,
        "an alias without previousId: {answer}"
    );
    let mut got = Vec::new();
    for key in keys(g.store.as_ref(), "events/v1/").await {
        for line in lines(g.store.as_ref(), &key).await {
            got.push((
                line["type"].as_str().unwrap().to_string(),
                line["anonymous_id"]
                    .as_str()
                    .or(line["previous_id"].as_str())
                    .or(line["group_id"].as_str())
                    .map(String::from),
            ));
        }
    }
    got.sort();
    assert_eq!(
        got,
        [
            ("alias".to_string(), Some("anon-8".to_string())),
            ("group".to_string(), Some("acme".to_string())),
            ("identify".to_string(), Some("anon-7".to_string())),
        ]
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_or_not_a_batch_is_a_400_with_a_code() {
    let g = gateway(
        Keep::BeforeResponse,
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
        Keep::BeforeResponse,
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
        Keep::BeforeResponse,
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
async fn a_full_spool_queue_is_answered_503_with_retry_after_and_keeps_what_it_took() {
    // A one-byte queue and no uploader yet: the bucket is "not taking" batches.
    let g = gateway(
        Keep::Spool(1),
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let (status, _, answer) = send(&g.app, post_json("/v1/batch", &native(1, "Clicked"))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, headers, answer) =
        send(&g.app, post_json("/v1/batch", &native(2, "Clicked"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(answer["code"], "collector_busy");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait >= 1);

    // The bucket takes batches again: what was accepted lands, and new
    // requests are taken.
    g.drain().await;
    let written = keys(g.store.as_ref(), "events/v1/").await;
    assert_eq!(written.len(), 1);
    let lines = lines(g.store.as_ref(), &written[0]).await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["event_id"], event_id(1));
    let (status, _, _) = send(&g.app, post_json("/v1/batch", &native(2, "Clicked"))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn events_spooled_by_a_server_that_stopped_are_written_by_the_next_one() {
    let g = gateway(
        Keep::Spool(MANY),
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let (status, _, _) = send(&g.app, post_json("/v1/batch", &native(3, "Clicked"))).await;
    assert_eq!(status, StatusCode::OK);
    let spool_dir = g.spool().dir().to_path_buf();
    // A second server on the same spool is refused while the first runs.
    let busy = Spool::open(SpoolConfig::new(&spool_dir));
    assert!(busy.is_err(), "one server per spool");
    let Gateway {
        app,
        function,
        store,
        dir,
    } = g;
    drop((app, function));
    let next = Spool::open(SpoolConfig::new(&spool_dir)).unwrap();
    let uploader = next.start_uploader(Arc::clone(&store));
    assert!(next
        .drain(std::time::Duration::from_secs(60))
        .await
        .unwrap());
    uploader.abort();
    let written = keys(store.as_ref(), "events/v1/").await;
    assert_eq!(written.len(), 1);
    assert_eq!(
        lines(store.as_ref(), &written[0]).await[0]["event_id"],
        event_id(3)
    );
    drop(dir);
}

#[tokio::test]
async fn a_thousand_identical_rejections_are_answered_once_not_a_thousand_times() {
    let g = gateway(
        Keep::BeforeResponse,
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let body = json!({ "batch": vec![json!({}); 1000] });
    let request_bytes = body.to_string().len();
    let response = g
        .app
        .clone()
        .oneshot(post_json("/v1/batch", &body))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        bytes.len() < request_bytes,
        "a {request_bytes}-byte request earned a {}-byte answer",
        bytes.len()
    );
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(answer["rejected"], 1000);
    for group in answer["rejections"].as_array().unwrap() {
        assert_eq!(group["count"], 1000, "{group}");
        assert_eq!(group["indexes"], json!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    }
}

/// The (truncated) client address stored with the gateway's only event.
async fn stored_ip(g: &Gateway) -> Value {
    let written = keys(g.store.as_ref(), "events/v1/").await;
    assert_eq!(written.len(), 1, "{written:?}");
    lines(g.store.as_ref(), &written[0]).await[0]["collector"]["ip"].clone()
}

#[tokio::test]
async fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    // Straight from a client on this machine: the header is the client's own word.
    let direct = gateway(
        Keep::BeforeResponse,
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let spoofed = post_from(
        "127.0.0.1:40000",
        Some("203.0.113.77"),
        "/v1/batch",
        &native(4, "Clicked"),
    );
    let (status, _, answer) = send(&direct.app, spoofed).await;
    assert_eq!(
        (status, answer["accepted"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{answer}"
    );
    assert_eq!(stored_ip(&direct).await, "127.0.0.0");

    let behind = gateway_with(
        Keep::BeforeResponse,
        AllowedOrigins::Any,
        CollectorConfig::default(),
        TrustedProxies::parse(["127.0.0.1"]).unwrap(),
    );
    let proxied = post_from(
        "127.0.0.1:40000",
        Some("198.51.100.1, 203.0.113.77"),
        "/v1/batch",
        &native(5, "Clicked"),
    );
    let (status, _, answer) = send(&behind.app, proxied).await;
    assert_eq!(
        (status, answer["accepted"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{answer}"
    );
    assert_eq!(stored_ip(&behind).await, "203.0.113.0");
}

#[tokio::test]
async fn the_tracker_script_is_served_as_javascript() {
    let g = gateway(
        Keep::BeforeResponse,
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

#[tokio::test]
async fn a_bucket_failure_is_a_503_with_a_request_id_and_no_internal_detail() {
    let g = gateway(
        Keep::BeforeResponse,
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    // The bucket's folder becomes a file: every write fails with an error
    // that names the local path.
    let root = g.dir.path().join("events");
    std::fs::remove_dir_all(&root).unwrap();
    std::fs::write(&root, b"not a folder").unwrap();

    let (status, _, answer) = send(&g.app, post_json("/v1/batch", &native(1, "Signed Up"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains("request id"), "{answer}");
    let leaked = root.to_string_lossy().into_owned();
    assert!(
        !answer.to_string().contains(&leaked) && !answer.to_string().contains("os error"),
        "internal detail reached the client: {answer}"
    );
}

#[tokio::test]
async fn with_a_delivery_stream_events_go_to_it_and_a_refusal_is_a_503_that_keeps_nothing() {
    let stream = Arc::new(FakeStream::default());
    let g = gateway(
        Keep::Stream(Arc::clone(&stream)),
        AllowedOrigins::Any,
        CollectorConfig::default(),
    );
    let bad =
        json!({"event_id": "not-a-uuid", "type": "track", "event": "Clicked", "distinct_id": "c"});
    let body = json!({"batch": [native(1, "Signed Up"), bad, native(2, "Logged In")]});
    let (status, _, answer) = send(&g.app, post_json("/v1/batch", &body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    // The accepted events are in the stream, as gzip members of whole lines.
    let taken = stream.taken.lock().unwrap().clone();
    assert_eq!(taken.len(), 1);
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(&taken[0][..])
        .read_to_string(&mut text)
        .unwrap();
    let names: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["Signed Up", "Logged In"]);
    // The bucket gets the rejected line only.
    assert!(keys(g.store.as_ref(), "events/").await.is_empty());
    assert_eq!(keys(g.store.as_ref(), "bad/v1/").await.len(), 1);

    // A stream that refuses: the sender is told to retry, and nothing of
    // the request is kept anywhere (its retry must not find half of it).
    stream
        .refuse
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let body = json!({"batch": [native(3, "Signed Up"), json!({"type": "track"})]});
    let (status, _, answer) = send(&g.app, post_json("/v1/batch", &body)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(answer["code"], "events_not_kept");
    assert!(
        !answer.to_string().contains("throttled"),
        "the stream's detail stays in the log: {answer}"
    );
    assert_eq!(stream.taken.lock().unwrap().len(), 1);
    assert_eq!(keys(g.store.as_ref(), "bad/v1/").await.len(), 1);
}
