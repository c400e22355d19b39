//! The Lambda adapter: an API Gateway event goes through the same Router.

#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use stratus_core::store::{LocalStore, ObjectStore, PutOptions};
use stratus_gateway::{router, ImageFunction, SigningPolicy};
use stratus_media::published::CatalogSource;
use stratus_media::{Limits, PresetCatalog, VariantService};
use tower::ServiceExt;

/// An API Gateway HTTP API (payload 2.0) event as Lambda receives it.
const EVENT: &str = include_str!("fixtures/apigw-v2-image.json");

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
        catalog: CatalogSource::fixed(PresetCatalog::default()),
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

/// A browser's batch through an API Gateway HTTP API (payload 2.0).
const COLLECT_EVENT: &str = include_str!("fixtures/apigw-v2-collect.json");

#[tokio::test]
async fn a_collector_event_is_written_before_the_response_returns() {
    use stratus_core::store::ListRequest;
    use stratus_events::collector::CollectorConfig;
    use stratus_gateway::{functions_router, AllowedOrigins, CollectorFunction, FlushPolicy};

    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalStore::open(dir.path().join("events")).unwrap());
    let app = functions_router(
        None,
        Some(Arc::new(CollectorFunction::new(
            Arc::clone(&store),
            CollectorConfig::default(),
            FlushPolicy::BeforeResponse,
            AllowedOrigins::Any,
        ))),
    );
    let request = lambda_http::request::from_str(COLLECT_EVENT).unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (answer["accepted"].as_u64(), answer["rejected"].as_u64()),
        (Some(1), Some(1))
    );

    // No background work on Lambda: both objects exist once the response is back.
    for prefix in ["events/v1/", "bad/v1/"] {
        let page = store.list(ListRequest::prefix(prefix)).await.unwrap();
        assert_eq!(page.objects.len(), 1, "{prefix}");
    }
    let key = &store
        .list(ListRequest::prefix("events/v1/"))
        .await
        .unwrap()
        .objects[0]
        .key;
    let gz = store.get_bytes(key).await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(
        line["collector"]["ip"], "198.51.100.0",
        "client address from API Gateway's source IP (not the client's header), truncated"
    );
}
