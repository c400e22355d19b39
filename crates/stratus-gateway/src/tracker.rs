//! The browser side of the collector: a small tracker script (`GET /t.js`,
//! plain JavaScript, embedded in the binary) and a demo page (`GET /demo`)
//! that loads it, so a user can make events by clicking and see them after
//! a sync.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The tracker: page views, clicks and form submits (field names and
/// validity, never values) sent to `/v1/batch` in small batches.
pub const SCRIPT: &str = include_str!("../assets/t.js");

/// A shop-like page to try the tracker on.
pub const DEMO_PAGE: &str = include_str!("../assets/demo.html");

/// `GET /t.js`. Served by the collector itself, so pages can load it from
/// wherever they send events.
pub fn script_routes() -> Router {
    Router::new().route("/t.js", get(script))
}

/// `GET /demo` (and `/demo/`): only `stratus serve` mounts it.
pub fn demo_routes() -> Router {
    Router::new()
        .route("/demo", get(demo_page))
        .route("/demo/", get(demo_page))
}

async fn script() -> Response {
    with_headers(
        SCRIPT,
        "text/javascript; charset=utf-8",
        "public, max-age=300",
    )
}

async fn demo_page() -> Response {
    with_headers(DEMO_PAGE, "text/html; charset=utf-8", "no-store")
}

fn with_headers(body: &'static str, content_type: &'static str, cache: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
