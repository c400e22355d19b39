//! The event collector as HTTP: native, Segment and PostHog batch and
//! single-event endpoints over [`stratus_events::collector::Collector`],
//! with per-event results (identical rejections collapsed), bounded (and
//! optionally gzipped) bodies and CORS for browser trackers. A request is
//! answered only once its events are kept (see [`FlushPolicy`]).
//!
//! Before any event is parsed: the write key (when the host has keys; see
//! [`crate::write_key`]), the browser key's origin, and the key's rate limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Serialize;
use serde_json::Value;
use stratus_core::clock::now_millis;
use stratus_core::store::ObjectStore;
use stratus_events::collector::spool::{Spool, SpoolError};
use stratus_events::collector::write_keys::{KeyRefusal, KeyRing, PublishedKey, RateLimiter};
use stratus_events::collector::{Collector, CollectorConfig, RejectionGroup, RequestLines};
use stratus_events::envelope::validate::RequestMeta;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::client_ip::{client_ip, TrustedProxies};
use crate::error::ApiError;
use crate::event_stream::{records, EventStream};
use crate::request_body::{read_json_body, Encoding};
use crate::write_key::{key_from_body, key_from_headers, redact_body_key, KEY_HEADER};

/// When a request's events are made durable, before it is answered.
#[derive(Clone)]
pub enum FlushPolicy {
    /// A long-running server (`stratus serve`): appended to the local
    /// spool and flushed to disk; the spool's uploader writes them to the
    /// bucket off the request path.
    Spool(Arc<Spool>),
    /// AWS Lambda: nothing may run after the response, so every request's
    /// events are written to the bucket before it is answered.
    BeforeResponse,
    /// AWS Lambda at volume: accepted events go to a delivery stream
    /// (Firehose) before the request is answered; the stream writes them to
    /// the bucket in large batches. Rejected lines, rare, still go straight
    /// to `bad/`.
    Stream(Arc<dyn EventStream>),
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
    /// Whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: TrustedProxies,
    /// Who may send (none by default: every request is let in).
    pub keys: KeyRing,
    /// Each key's rate limit, in this process.
    pub limiter: RateLimiter,
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
            trusted_proxies: TrustedProxies::default(),
            keys: KeyRing::open(),
            limiter: RateLimiter::new(),
        }
    }

    /// Checks requests against these write keys.
    pub fn with_write_keys(mut self, keys: KeyRing) -> Self {
        self.keys = keys;
        self
    }

    /// Believes `X-Forwarded-For` from these proxies.
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The largest request body taken.
    pub fn max_request_bytes(&self) -> usize {
        self.max_request_bytes
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
        .route("/v1/alias", post(alias))
        .route("/v1/group", post(group))
        .with_state(function)
        .layer(cors)
}

fn cors_layer(origins: &AllowedOrigins) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::CONTENT_ENCODING,
            header::AUTHORIZATION,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static(KEY_HEADER),
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

async fn alias(State(f): State<Arc<CollectorFunction>>, request: Request) -> Response {
    respond(ingest(&f, request, Some("alias")).await)
}

async fn group(State(f): State<Arc<CollectorFunction>>, request: Request) -> Response {
    respond(ingest(&f, request, Some("group")).await)
}

/// The answer to a request whose body was a batch: how many were taken,
/// the accepted events by position, and the rejections collapsed by reason
/// (so the answer is never much larger than the request).
#[derive(Debug, Serialize)]
struct CollectResponse {
    accepted: usize,
    rejected: usize,
    request_id: String,
    events: Vec<AcceptedEvent>,
    rejections: Vec<RejectionGroup>,
}

#[derive(Debug, Serialize)]
struct AcceptedEvent {
    index: usize,
    event_id: Option<String>,
}

/// Why a request was not taken.
enum Refused {
    Api(ApiError),
    /// The spool's queue is full (the bucket is not taking batches): a fast
    /// 503 that tells the client when to come back.
    Busy(SpoolError, Duration),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        Refused::Api(e)
    }
}

impl From<stratus_events::Error> for Refused {
    fn from(e: stratus_events::Error) -> Self {
        Refused::Api(e.into())
    }
}

fn refused_by_spool(spool: &Spool, e: SpoolError) -> Refused {
    match e {
        SpoolError::Full { .. } => Refused::Busy(e, spool.retry_after()),
        // A disk failure of the spool: its text names local paths.
        other => Refused::Api(ApiError::internal(
            StatusCode::SERVICE_UNAVAILABLE,
            other.code(),
            &other,
        )),
    }
}

fn respond(result: Result<CollectResponse, Refused>) -> Response {
    match result {
        Ok(body) => {
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(Refused::Api(e)) => e.into_response(),
        Err(Refused::Busy(e, retry_after)) => {
            let mut response =
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string())
                    .into_response();
            let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
    }
}

async fn ingest(
    function: &CollectorFunction,
    request: Request,
    kind: Option<&'static str>,
) -> Result<CollectResponse, Refused> {
    if let FlushPolicy::Spool(spool) = &function.flush {
        // Before reading anything: a full queue is answered at once.
        spool.check_room().map_err(|e| refused_by_spool(spool, e))?;
    }
    let (parts, body) = request.into_parts();
    let meta = RequestMeta {
        received_at: now_millis(),
        request_id: Some(request_id(&parts.headers)),
        ip: client_ip(&parts, &function.trusted_proxies),
        sent_at: None,
    };
    let keys = function.keys.current().await.map_err(|e| {
        ApiError::internal(
            StatusCode::SERVICE_UNAVAILABLE,
            "write_keys_unavailable",
            &e,
        )
    })?;
    let host_requires = function.keys.host_requires_keys();
    let origin = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    let header_key = key_from_headers(&parts.headers);
    let needs_key = keys.keys_required(host_requires);
    // A key in the headers is checked before the body is read.
    let mut sender: Option<PublishedKey> = None;
    if needs_key && header_key.is_some() {
        sender = admit(
            function,
            keys.check(host_requires, header_key.as_deref(), origin),
        )?;
    }
    let encoding = Encoding::of(&parts.headers, parts.uri.query())?;
    let bytes = read_json_body(body, encoding, function.max_request_bytes).await?;
    if needs_key && header_key.is_none() {
        let body_key = key_from_body(&bytes);
        sender = admit(
            function,
            keys.check(host_requires, body_key.as_deref(), origin),
        )?;
    }
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
    redact_body_key(&mut value);
    let request_id = meta.request_id.clone().unwrap_or_default();
    let (report, lines) = function.collector.prepare(value, meta)?;
    if let Some(key) = &sender {
        function
            .limiter
            .charge(key, report.accepted + report.rejected, Instant::now());
    }
    // Only answered once the events are kept: on local disk (fsync'd) or
    // in the bucket.
    match &function.flush {
        FlushPolicy::Spool(spool) => spool
            .append(&lines)
            .await
            .map_err(|e| refused_by_spool(spool, e))?,
        FlushPolicy::BeforeResponse => {
            function.collector.write_lines(&lines).await?;
        }
        FlushPolicy::Stream(stream) => send_to_stream(function, stream.as_ref(), lines).await?,
    }
    let rejections = report.rejection_groups();
    Ok(CollectResponse {
        accepted: report.accepted,
        rejected: report.rejected,
        request_id,
        events: report
            .events
            .into_iter()
            .filter(|e| e.accepted)
            .map(|e| AcceptedEvent {
                index: e.index,
                event_id: e.event_id,
            })
            .collect(),
        rejections,
    })
}

/// Events first: if writing the bad lines then fails, the sender's retry
/// only repeats events, which sync drops by id.
async fn send_to_stream(
    function: &CollectorFunction,
    stream: &dyn EventStream,
    lines: RequestLines,
) -> Result<(), ApiError> {
    let unavailable = |detail: &dyn std::fmt::Display| {
        ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, "events_not_kept", detail)
    };
    let records = records(&lines.events).map_err(|e| unavailable(&e))?;
    if !records.is_empty() {
        stream
            .send(records)
            .await
            .map_err(|e| unavailable(&format!("delivery stream {}: {e}", stream.name())))?;
    }
    if lines.bad_lines > 0 {
        let bad_only = RequestLines {
            bad: lines.bad,
            bad_lines: lines.bad_lines,
            ..RequestLines::default()
        };
        function.collector.write_lines(&bad_only).await?;
    }
    Ok(())
}

/// A refused write key as HTTP: 401 who are you, 403 not allowed.
pub(crate) fn key_refused(refusal: &KeyRefusal) -> ApiError {
    let status = if refusal.is_forbidden() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::UNAUTHORIZED
    };
    ApiError::new(status, refusal.code(), refusal.to_string())
}

/// A request's key, checked: refused (401 who are you, 403 not allowed),
/// over its rate limit (429 with `Retry-After`), or let in.
fn admit(
    function: &CollectorFunction,
    checked: Result<Option<&PublishedKey>, KeyRefusal>,
) -> Result<Option<PublishedKey>, Refused> {
    let key = match checked {
        Ok(Some(key)) => key,
        Ok(None) => return Ok(None),
        Err(refusal) => return Err(key_refused(&refusal).into()),
    };
    if let Err(wait) = function.limiter.admit(key, Instant::now()) {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        return Err(ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "write key `{}` is over its rate of {} events per second; retry after {seconds} s",
                    key.id, key.rate_per_sec
                ),
            )
        }
        .into());
    }
    Ok(Some(key.clone()))
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
