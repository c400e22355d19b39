//! Large variants (Lambda's 6 MB response cap): a redirect to a presigned
//! GET of the stored object on S3, the bytes themselves from the local store.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use stratus_core::store::{LocalStore, ObjectStore, PutOptions};
use stratus_gateway::{router, ImageFunction, RedirectPolicy, SigningPolicy};
use stratus_media::published::CatalogSource;
use stratus_media::{Limits, PresetCatalog, VariantService};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

fn photo() -> Bytes {
    let pixels: Vec<u8> = (0..640u32 * 480)
        .flat_map(|i| [(i % 251) as u8, (i % 13) as u8 * 19, 160])
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&pixels, 640, 480, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    Bytes::from(out)
}

/// Every `card` variant is "large" here (they are a few KiB).
fn small_threshold() -> RedirectPolicy {
    RedirectPolicy {
        above_bytes: 1024,
        url_lifetime: Duration::from_secs(600),
        website: None,
    }
}

async fn app_over(store: Arc<dyn ObjectStore>) -> axum::Router {
    app_with(store, small_threshold()).await
}

async fn app_with(store: Arc<dyn ObjectStore>, redirect: RedirectPolicy) -> axum::Router {
    store
        .put("photos/a.jpg", photo(), PutOptions::default())
        .await
        .unwrap();
    router(Arc::new(ImageFunction {
        service: VariantService::new(store, Limits::default()),
        catalog: CatalogSource::fixed(PresetCatalog::default()),
        signing: SigningPolicy::default(),
        redirect,
    }))
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, Bytes) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (
        status,
        headers,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

/// A plain HTTP/1.0 GET on loopback: status code and body.
async fn fetch(url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, response[split + 4..].to_vec())
}

#[tokio::test]
async fn a_large_variant_on_s3_redirects_to_the_stored_object() {
    let Some(endpoint) = stratus_core::testing::endpoint() else {
        return;
    };
    let store = stratus_core::testing::fresh_s3_store(&endpoint, "redirect")
        .await
        .unwrap();
    let app = app_over(Arc::new(store.clone())).await;

    // Made on the first request, then redirected, as later hits are too.
    for round in ["made", "hit"] {
        let (status, h, body) = get(&app, "/img/card/photos/a.jpg").await;
        assert_eq!(status, StatusCode::TEMPORARY_REDIRECT, "{round}");
        assert!(body.is_empty());
        assert_eq!(h["cache-control"], "public, max-age=300", "{round}");
        let location = h["location"].to_str().unwrap();
        assert!(location.contains("X-Amz-Signature"), "{location}");
        let (code, bytes) = fetch(location).await;
        assert_eq!(code, 200, "{round}: the presigned URL serves the variant");
        let stored = store
            .get_bytes("variants/photos/a.jpg/card.jpeg")
            .await
            .unwrap();
        assert_eq!(bytes, stored.to_vec());
        assert!(bytes.starts_with(b"\xFF\xD8") && bytes.len() > 1024);
    }
}

#[tokio::test]
async fn the_local_store_serves_large_variants_itself() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("media")).unwrap();
    let app = app_over(Arc::new(store)).await;
    let (status, h, body) = get(&app, "/img/card/photos/a.jpg").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["content-type"], "image/jpeg");
    assert!(body.len() > 1024);
}

/// Website wiring (the seed's flow): the bucket redirects a missing variant
/// key to the function, which stores it under that key and sends the
/// browser back to the bucket, where it is now a plain hit.
#[tokio::test]
async fn with_website_wiring_a_made_variant_is_answered_by_a_redirect_back() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.path().join("media")).unwrap());
    let website = "http://media.s3-website.eu-west-1.amazonaws.com/";
    let app = app_with(
        Arc::clone(&store),
        RedirectPolicy {
            website: Some(website.into()),
            ..RedirectPolicy::default()
        },
    )
    .await;
    let key = "variants/photos/a.jpg/card.jpeg";
    let (status, h, body) = get(&app, &format!("/{key}")).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(body.is_empty());
    assert_eq!(
        h["location"],
        "http://media.s3-website.eu-west-1.amazonaws.com/variants/photos/a.jpg/card.jpeg"
    );
    assert_eq!(h["cache-control"], "no-store");
    let stored = store.get_bytes(key).await.unwrap();
    assert!(
        stored.starts_with(b"\xFF\xD8"),
        "stored under the asked key"
    );

    // /img URLs (signed, ad hoc) are answered with the bytes as before.
    let (status, h, _) = get(&app, "/img/card/photos/a.jpg").await;
    assert_eq!(
        (status, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, "image/jpeg")
    );
}
