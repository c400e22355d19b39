//! The event collector as HTTP: native, Segment and PostHog batch and
//! single-event endpoints over [`stratus_events::collector::Collector`],
//! with per-event results, bounded (and optionally gzipped) bodies and CORS
//! for browser trackers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Serialize;
use serde_json::Value;
use stratus_core::clock::now_millis;
use stratus_core::store::ObjectStore;
use stratus_events::collector::{Collector, CollectorConfig, EventOutcome};
use stratus_events::validate::RequestMeta;
use tokio::task::JoinHandle;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ApiError;
use crate::request_body::{read_json_body, Encoding};

/// When buffered events are written to the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushPolicy {
    /// A long-running server: buffers are written by size in the request
    /// path and by age on a timer ([`spawn_flush_timer`]).
    Timer,
    /// AWS Lambda: nothing may run after the response, so every request's
    /// events are written before it is answered.
    BeforeResponse,
}

/// Which web pages may send events from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    Any,
    /// Exact origins, e.g. `https://shop.example.com`.
    List(Vec<String>),
}

impl AllowedOrigins {
    /// `*` (or empty) is any origin; otherwise a comma-separated list.
    pub fn parse(list: &str) -> Self {
        let origins: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(String::from)
            .collect();
        if origins.is_empty() || origins.iter().any(|o| o == "*") {
            AllowedOrigins::Any
        } else {
            AllowedOrigins::List(origins)
        }
    }
}

/// What the collector function needs.
pub struct CollectorFunction {
    pub collector: Collector,
    pub flush: FlushPolicy,
    pub origins: AllowedOrigins,
    max_request_bytes: usize,
}

impl CollectorFunction {
    pub fn new(
        store: Arc<dyn ObjectStore>,
        config: CollectorConfig,
        flush: FlushPolicy,
        origins: AllowedOrigins,
    ) -> Self {
        CollectorFunction {
            max_request_bytes: config.max_request_bytes,
            collector: Collector::new(store, config),
            flush,
            origins,
        }
    }
}

/// The collector's routes. Batch endpoints take the native envelope (one,
/// an array, or `{batch: [...]}`), Segment's and PostHog's batches; the
/// typed endpoints take one event whose `type` the path names.
pub fn routes(function: Arc<CollectorFunction>) -> Router {
    let cors = cors_layer(&function.origins);
    let mut router = Router::new();
    // Native and Segment batches; PostHog's batch, capture and `e` endpoints
    // (its SDKs call them with and without the trailing slash).
    for path in [
        "/v1/batch",
        "/batch",
        "/batch/",
        "/capture",
        "/capture/",
        "/e",
        "/e/",
    ] {
        router = router.route(path, post(batch));
    }
    router
        .route("/v1/track", post(track))
        .route("/v1/page", post(page))
        .route("/v1/screen", post(page))
        .route("/v1/identify", post(identify))
        .with_state(function)
        .layer(cors)
}

/// Writes buffers past their age every `every`, until the returned task is
/// aborted. Write errors are logged; the lines stay buffered for the next tick.
pub fn spawn_flush_timer(function: Arc<CollectorFunction>, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match function.collector.flush_if_due().await {
                Ok(keys) => {
                    for key in keys {
                        tracing::info!(%key, "collector wrote a batch");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "collector flush failed; will retry"),
            }
        }
    })
}

fn cors_layer(origins: &AllowedOrigins) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::CONTENT_ENCODING,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(Duration::from_secs(24 * 3600));
    match origins {
        AllowedOrigins::Any => layer.allow_origin(tower_http::cors::Any),
        AllowedOrigins::List(list) => layer.allow_origin(AllowOrigin::list(
            list.iter().filter_map(|o| HeaderValue::from_str(o).ok()),
        )),
    }
}

async fn batch(State(f): State<Arc<CollectorFunction>>, request: Request) -> Response {
    respond(ingest(&f, request, None).await)
}

async fn track(State(f): State<Arc<CollectorFunction>>, request: Request) -> Response {
    respond(ingest(&f, request, Some("track")).await)
}

async fn page(State(f): State<Arc<CollectorFunction>>, request: Request) -> Response {
    respond(ingest(&f, request, Some("page")).await)
}

async fn identify(State(f): State<Arc<CollectorFunction>>, request: Request) -> Response {
    respond(ingest(&f, request, Some("identify")).await)
}

/// The answer to a request whose body was a batch: what became of each event.
#[derive(Debug, Serialize)]
struct CollectResponse {
    accepted: usize,
    rejected: usize,
    request_id: String,
    events: Vec<EventOutcome>,
}

fn respond(result: Result<CollectResponse, ApiError>) -> Response {
    match result {
        Ok(body) => {
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn ingest(
    function: &CollectorFunction,
    request: Request,
    kind: Option<&'static str>,
) -> Result<CollectResponse, ApiError> {
    let (parts, body) = request.into_parts();
    let meta = RequestMeta {
        received_at: now_millis(),
        request_id: Some(request_id(&parts.headers)),
        ip: client_ip(&parts),
        sent_at: None,
    };
    let encoding = Encoding::of(&parts.headers, parts.uri.query())?;
    let bytes = read_json_body(body, encoding, function.max_request_bytes).await?;
    let mut value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_batch",
            format!("the body is not JSON: {e}"),
        )
    })?;
    if let (Some(kind), Value::Object(event)) = (kind, &mut value) {
        // `/v1/track` and friends: the path says the type (Segment's HTTP API).
        if !event.contains_key("batch") {
            event
                .entry("type")
                .or_insert_with(|| Value::String(kind.into()));
        }
    }
    let request_id = meta.request_id.clone().unwrap_or_default();
    let report = function.collector.collect(value, meta).await?;
    if function.flush == FlushPolicy::BeforeResponse {
        function.collector.flush().await?;
    }
    Ok(CollectResponse {
        accepted: report.accepted,
        rejected: report.rejected,
        request_id,
        events: report.events,
    })
}

/// The caller's request id when it sent one (kept short), else a fresh one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 100)
        .map(String::from)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// The client address: the socket's peer when served directly, else the
/// first `X-Forwarded-For` entry (API Gateway and load balancers set it).
/// It is only ever stored truncated.
fn client_ip(parts: &axum::http::request::Parts) -> Option<String> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(ip) = peer.filter(|ip| !ip.is_loopback()) {
        return Some(ip.to_string());
    }
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|ip| ip.trim().to_string())
        .filter(|ip| !ip.is_empty());
    forwarded.or(peer.map(|ip| ip.to_string()))
}
