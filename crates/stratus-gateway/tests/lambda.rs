//! The Lambda adapter: an API Gateway event goes through the same Router.

#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use stratus_core::store::{LocalStore, ObjectStore, PutOptions};
use stratus_gateway::{router, ImageFunction, SigningPolicy};
use stratus_media::{Limits, PresetCatalog, VariantService};
use tower::ServiceExt;

/// An API Gateway HTTP API (payload 2.0) event as Lambda receives it.
const EVENT: &str = r#"{
  "version": "2.0",
  "routeKey": "$default",
  "rawPath": "/img/card-auto/photos/a.jpg",
  "rawQueryString": "",
  "headers": { "accept": "image/webp,*/*", "host": "abc123.execute-api.us-east-1.amazonaws.com" },
  "requestContext": {
    "accountId": "123456789012",
    "apiId": "abc123",
    "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
    "domainPrefix": "abc123",
    "http": { "method": "GET", "path": "/img/card-auto/photos/a.jpg", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "curl/8" },
    "requestId": "req-1",
    "routeKey": "$default",
    "stage": "$default",
    "time": "26/Nov/2026:16:00:00 +0000",
    "timeEpoch": 1795708800000
  },
  "isBase64Encoded": false
}"#;

#[tokio::test]
async fn an_api_gateway_event_gets_the_variant() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.path().join("media")).unwrap());
    let pixels: Vec<u8> = (0..200u32 * 150)
        .flat_map(|i| [(i % 251) as u8, 60, 120])
        .collect();
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 90)
        .encode(&pixels, 200, 150, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    store
        .put("photos/a.jpg", Bytes::from(jpeg), PutOptions::default())
        .await
        .unwrap();
    let app = router(Arc::new(ImageFunction {
        service: VariantService::new(store, Limits::default()),
        catalog: tokio::sync::RwLock::new(PresetCatalog::default()),
        signing: SigningPolicy::default(),
        redirect: Default::default(),
    }));

    let request = lambda_http::request::from_str(EVENT).unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/webp");
    assert_eq!(response.headers()["vary"], "Accept");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(b"RIFF"));
}
