//! The deployed function makes what the editor saved: presets published to
//! the bucket are read with a short cache, a bad publish keeps the last
//! good set.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use stratus_core::store::{LocalStore, ObjectStore, PutOptions};
use stratus_gateway::{router, ImageFunction, SigningPolicy};
use stratus_media::published::{publish, CatalogSource, PublishedPresets, PUBLISHED_PRESETS_KEY};
use stratus_media::{Limits, PresetCatalog, VariantService, VariantSpec};
use tower::ServiceExt;

fn photo() -> Bytes {
    let pixels: Vec<u8> = (0..200u32 * 100)
        .flat_map(|i| [(i % 251) as u8, 40, 90])
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&pixels, 200, 100, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    Bytes::from(out)
}

async fn status(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let code = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_string))
        .unwrap_or_default();
    (status, code)
}

#[tokio::test]
async fn presets_saved_in_the_app_reach_the_function() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.path()).unwrap());
    store
        .put("a.jpg", photo(), PutOptions::default())
        .await
        .unwrap();
    let app = router(Arc::new(ImageFunction {
        service: VariantService::new(Arc::clone(&store), Limits::default()),
        catalog: CatalogSource::Published(PublishedPresets::new(
            Arc::clone(&store),
            PresetCatalog::default(),
            // Every request reads the bucket again, so the test needs no clock.
            Duration::ZERO,
        )),
        signing: SigningPolicy::default(),
        redirect: Default::default(),
    }));

    // Nothing published yet: the built-in set.
    assert_eq!(status(&app, "/img/thumb/a.jpg").await.0, StatusCode::OK);
    assert_eq!(
        status(&app, "/img/banner/a.jpg").await,
        (StatusCode::BAD_REQUEST, "unknown_preset".into())
    );

    // The editor adds `banner` and removes `thumb`, and saves.
    let mut saved = PresetCatalog::default();
    saved.remove_preset("thumb").unwrap();
    saved
        .set_preset(
            "banner",
            VariantSpec::parse("120x40-cover-q80.webp").unwrap(),
        )
        .unwrap();
    publish(&*store, &saved).await.unwrap();
    assert_eq!(status(&app, "/img/banner/a.jpg").await.0, StatusCode::OK);
    assert_eq!(
        status(&app, "/variants/a.jpg/banner.webp").await.0,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, "/img/thumb/a.jpg").await,
        (StatusCode::BAD_REQUEST, "unknown_preset".into())
    );

    // A broken object in the bucket does not take images down.
    store
        .put(
            PUBLISHED_PRESETS_KEY,
            Bytes::from_static(b"{\"version\":1,\"presets\":{\"x\":\"nonsense\"}}"),
            PutOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(status(&app, "/img/banner/a.jpg").await.0, StatusCode::OK);
}
