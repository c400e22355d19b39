//! The image function over HTTP: status codes, caching headers, signatures.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use stratus_core::store::{LocalStore, ObjectStore, PutOptions};
use stratus_gateway::signature::sign;
use stratus_gateway::{router, ImageFunction, SigningKey, SigningPolicy};
use stratus_media::published::CatalogSource;
use stratus_media::{Limits, PresetCatalog, VariantService};
use tower::ServiceExt;

fn photo() -> Bytes {
    let pixels: Vec<u8> = (0..320u32 * 240)
        .flat_map(|i| [(i % 251) as u8, 80, 160])
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&pixels, 320, 240, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    Bytes::from(out)
}

struct Gateway {
    app: axum::Router,
    _dir: tempfile::TempDir,
}

async fn gateway(signing: SigningPolicy) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.path().join("media")).unwrap());
    store
        .put("photos/a.jpg", photo(), PutOptions::default())
        .await
        .unwrap();
    let cut = photo().slice(..2000);
    store
        .put("photos/bad.jpg", cut, PutOptions::default())
        .await
        .unwrap();
    // A GIF header whose size fields read as 25120×29813: refused unread.
    store
        .put(
            "photos/huge.gif",
            Bytes::from_static(b"GIF89a b u not really"),
            PutOptions::default(),
        )
        .await
        .unwrap();
    let function = ImageFunction {
        service: VariantService::new(store, Limits::default()),
        catalog: CatalogSource::fixed(PresetCatalog::default()),
        signing,
        redirect: Default::default(),
    };
    Gateway {
        app: router(Arc::new(function)),
        _dir: dir,
    }
}

async fn get(
    app: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Bytes) {
    let mut request = Request::get(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body)
}

fn code(body: &Bytes) -> String {
    serde_json::from_slice::<serde_json::Value>(body).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_preset_is_made_then_served_with_caching_headers_and_304() {
    let g = gateway(SigningPolicy::default()).await;
    let (status, h, body) = get(&g.app, "/img/thumb/photos/a.jpg", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(
        h["cache-control"],
        "public, max-age=86400, s-maxage=31536000"
    );
    assert_eq!(h["x-stratus-variant"], "made");
    assert!(h.get("vary").is_none(), "a fixed format does not vary");
    assert!(body.starts_with(b"\xFF\xD8"));
    let etag = h["etag"].to_str().unwrap().to_string();

    let (status, h, _) = get(&g.app, "/img/thumb/photos/a.jpg", &[]).await;
    assert_eq!(
        (status, h["x-stratus-variant"].to_str().unwrap()),
        (StatusCode::OK, "hit")
    );

    let (status, h, body) = get(
        &g.app,
        "/img/thumb/photos/a.jpg",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(h["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn auto_varies_on_accept() {
    let g = gateway(SigningPolicy::default()).await;
    let (status, h, body) = get(
        &g.app,
        "/img/card-auto/photos/a.jpg",
        &[("accept", "image/webp,*/*")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["content-type"], "image/webp");
    assert_eq!(h["vary"], "Accept");
    assert!(body.starts_with(b"RIFF"));
    let (_, h, _) = get(
        &g.app,
        "/img/card-auto/photos/a.jpg",
        &[("accept", "text/html")],
    )
    .await;
    assert_eq!(h["content-type"], "image/jpeg");
}

#[tokio::test]
async fn each_failure_has_its_status_code_and_is_not_cached() {
    let g = gateway(SigningPolicy::default()).await;
    for (uri, status, expected_code) in [
        (
            "/img/thumb/photos/missing.jpg",
            StatusCode::NOT_FOUND,
            "original_not_found",
        ),
        (
            "/img/nope/photos/a.jpg",
            StatusCode::BAD_REQUEST,
            "unknown_preset",
        ),
        (
            "/img/999x999-cover-q80.jpeg/photos/a.jpg",
            StatusCode::FORBIDDEN,
            "spec_not_allowed",
        ),
        (
            "/img/thumb/photos//a.jpg",
            StatusCode::BAD_REQUEST,
            "invalid_key",
        ),
        (
            "/img/thumb/variants/thumb/x.jpg",
            StatusCode::BAD_REQUEST,
            "invalid_key",
        ),
        (
            "/img/thumb/photos/bad.jpg",
            StatusCode::UNPROCESSABLE_ENTITY,
            "undecodable",
        ),
        (
            "/img/thumb/photos/huge.gif",
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_pixels",
        ),
    ] {
        let (got, h, body) = get(&g.app, uri, &[]).await;
        assert_eq!(got, status, "{uri}: {}", String::from_utf8_lossy(&body));
        assert_eq!(code(&body), expected_code, "{uri}");
        assert_eq!(h["cache-control"], "no-store", "{uri}");
    }
}

#[tokio::test]
async fn signatures_right_wrong_expired_and_rotated() {
    let old = SigningKey {
        id: "old".into(),
        secret: b"old secret, at least thirty-two bytes".to_vec(),
    };
    let new = SigningKey {
        id: "new".into(),
        secret: b"new secret, at least thirty-two bytes".to_vec(),
    };
    let g = gateway(SigningPolicy {
        keys: vec![new.clone(), old.clone()],
        required: true,
        ..SigningPolicy::default()
    })
    .await;
    let future = now() + 3600;

    let (status, _, body) = get(&g.app, "/img/thumb/photos/a.jpg", &[]).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "signature_required".to_string())
    );

    for key in [&new, &old] {
        let path = "/img/thumb/photos/a.jpg";
        let uri = format!("{path}?exp={future}&sig={}", sign(key, path, future));
        assert_eq!(
            get(&g.app, &uri, &[]).await.0,
            StatusCode::OK,
            "key {}",
            key.id
        );
    }

    let path = "/img/thumb/photos/a.jpg";
    let wrong = format!(
        "{path}?exp={future}&sig={}",
        sign(
            &SigningKey {
                id: "x".into(),
                secret: b"a guess that is long enough, 32+ bytes".to_vec()
            },
            path,
            future
        )
    );
    let (status, _, body) = get(&g.app, &wrong, &[]).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "bad_signature".to_string())
    );

    let expired = format!("{path}?exp=1000&sig={}", sign(&new, path, 1000));
    let (status, _, body) = get(&g.app, &expired, &[]).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "signature_expired".to_string())
    );

    // Signed, any canonical spec may be made; unsigned it would be refused.
    let custom = "/img/100x100-cover-q70.webp/photos/a.jpg";
    let uri = format!("{custom}?exp={future}&sig={}", sign(&new, custom, future));
    let (status, h, _) = get(&g.app, &uri, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["content-type"], "image/webp");
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The CDN forwards a miss by the variant's own key: the function makes it
/// and stores it under exactly that key, so the next request is a hit at
/// the CDN (and here).
#[tokio::test]
async fn a_variant_key_path_is_made_and_stored_under_that_key() {
    let g = gateway(SigningPolicy::default()).await;
    let path = "/variants/photos/a.jpg/card-webp.webp";
    let (status, h, body) = get(&g.app, path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["content-type"], "image/webp");
    assert_eq!(h["x-stratus-variant"], "made");
    assert_eq!(
        h["cache-control"],
        "public, max-age=86400, s-maxage=31536000"
    );
    assert!(h.get("vary").is_none(), "the key names the format");
    let stored = g._dir.path().join("media").join(&path[1..]);
    assert_eq!(std::fs::read(&stored).unwrap(), body.to_vec());

    let (status, h, again) = get(&g.app, path, &[]).await;
    assert_eq!(
        (status, h["x-stratus-variant"].to_str().unwrap()),
        (StatusCode::OK, "hit")
    );
    assert_eq!(again, body);

    // `card-auto` may be stored as any format a browser can be given.
    let (status, h, _) = get(&g.app, "/variants/photos/a.jpg/card-auto.avif", &[]).await;
    assert_eq!(
        (status, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, "image/avif")
    );
}

#[tokio::test]
async fn a_variant_key_path_that_names_no_variant_is_refused() {
    let g = gateway(SigningPolicy::default()).await;
    for (uri, status, expected) in [
        // A preset in a format it is not made in.
        ("/variants/photos/a.jpg/thumb.webp", 404, "not_a_variant"),
        ("/variants/photos/a.jpg/thumb", 404, "not_a_variant"),
        ("/variants/thumb.jpeg", 404, "not_a_variant"),
        // Only preset names: a spec needs a signed /img URL.
        (
            "/variants/photos/a.jpg/100x100-cover-q70.webp",
            400,
            "unknown_preset",
        ),
        ("/variants/photos/a.jpg/nope.jpeg", 400, "unknown_preset"),
        (
            "/variants/photos/gone.jpg/thumb.jpeg",
            404,
            "original_not_found",
        ),
    ] {
        let (got, h, body) = get(&g.app, uri, &[]).await;
        assert_eq!(
            (got.as_u16(), code(&body)),
            (status, expected.to_string()),
            "{uri}"
        );
        assert_eq!(h["cache-control"], "no-store", "{uri}");
    }
    // The usual slip, a preset's name with another format's extension,
    // is answered with the key it is stored under.
    for (uri, names) in [
        ("/variants/photos/a.jpg/thumb.webp", "`thumb.jpeg`"),
        ("/variants/photos/a.jpg/card-auto.png", "`card-auto.webp`"),
    ] {
        let (_, _, body) = get(&g.app, uri, &[]).await;
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let message = json["message"].as_str().unwrap();
        assert!(message.contains(names), "{uri}: {message}");
    }

    let variants = g._dir.path().join("media/variants");
    let made: Vec<_> = walk(&variants);
    assert!(made.is_empty(), "nothing stored for a refusal: {made:?}");

    let g = gateway(SigningPolicy {
        keys: vec![SigningKey {
            id: "k".into(),
            secret: b"a secret that is long enough, 32+ bytes".to_vec(),
        }],
        required: true,
        ..SigningPolicy::default()
    })
    .await;
    let (status, _, body) = get(&g.app, "/variants/photos/a.jpg/thumb.jpeg", &[]).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "signature_required".to_string())
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                vec![e.path()]
            }
        })
        .collect()
}
