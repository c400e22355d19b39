//! The image function's doors (issue 11): signed answers die with their URL,
//! `exp` has one spelling, server-side failures say nothing but a request id,
//! and renders beyond the pixel budget are turned away with `Retry-After`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use stratus_core::store::{
    ByteRange, GatedStore, GetObject, ListPage, ListRequest, LocalStore, ObjectMeta, ObjectStore,
    PutOptions, StoreError, StoreResult,
};
use stratus_gateway::signature::sign;
use stratus_gateway::{router, ImageFunction, SigningKey, SigningPolicy};
use stratus_media::published::CatalogSource;
use stratus_media::{BudgetConfig, Limits, PresetCatalog, VariantService};
use tower::ServiceExt;

fn photo(w: u16, h: u16) -> Bytes {
    let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .flat_map(|i| [(i % 251) as u8, 80, 160])
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    Bytes::from(out)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn app(service: VariantService, signing: SigningPolicy) -> axum::Router {
    router(Arc::new(ImageFunction {
        service,
        catalog: CatalogSource::fixed(PresetCatalog::default()),
        signing,
        redirect: Default::default(),
    }))
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, HeaderMap, serde_json::Value) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, headers, json)
}

const SECRET: &[u8] = b"a signing secret of thirty-two bytes or more";

fn signing() -> (SigningKey, SigningPolicy) {
    let key = SigningKey {
        id: "k1".into(),
        secret: SECRET.to_vec(),
    };
    let policy = SigningPolicy {
        keys: vec![key.clone()],
        max_lifetime: Duration::from_secs(24 * 3600),
        ..SigningPolicy::default()
    };
    (key, policy)
}

async fn local_app(signing: SigningPolicy) -> (tempfile::TempDir, axum::Router) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.path()).unwrap());
    store
        .put("photos/a.jpg", photo(320, 240), PutOptions::default())
        .await
        .unwrap();
    let service = VariantService::new(store, Limits::default());
    (dir, app(service, signing))
}

fn max_age(headers: &HeaderMap) -> u64 {
    let value = headers["cache-control"].to_str().unwrap();
    value
        .split(',')
        .find_map(|d| d.trim().strip_prefix("max-age="))
        .unwrap_or_else(|| panic!("no max-age in {value}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_signed_answer_is_cached_no_longer_than_its_url_lives() {
    let (key, policy) = signing();
    let (_dir, app) = local_app(policy).await;
    let path = "/img/thumb/photos/a.jpg";
    let exp = now() + 600;
    for round in ["made", "hit"] {
        // The function's clock reads this or later when it answers.
        let asked_at = now();
        let (status, h, _) = get(
            &app,
            &format!("{path}?exp={exp}&sig={}", sign(&key, path, exp)),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{round}");
        assert!(
            max_age(&h) <= exp - asked_at,
            "{round}: {:?}",
            h["cache-control"]
        );
        assert!(!h["cache-control"].to_str().unwrap().contains("immutable"));
    }
    // The same variant unsigned is the public URL: a day in browsers, then
    // revalidated; a year at the CDN, which is told when the original changes.
    let (status, h, _) = get(&app, path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        h["cache-control"],
        "public, max-age=86400, s-maxage=31536000"
    );
}

#[tokio::test]
async fn exp_is_canonical_digits_and_within_the_lifetime_cap() {
    let (key, policy) = signing();
    let (_dir, app) = local_app(policy).await;
    let path = "/img/thumb/photos/a.jpg";
    let exp = now() + 600;
    let sig = sign(&key, path, exp);
    for spelled in [format!("%2B{exp}"), format!("0{exp}"), format!("00{exp}")] {
        let (status, _, body) = get(&app, &format!("{path}?exp={spelled}&sig={sig}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "exp={spelled}");
        assert_eq!(body["code"], "bad_signature", "exp={spelled}");
    }
    for far in [u64::MAX, now() + 2 * 24 * 3600] {
        let uri = format!("{path}?exp={far}&sig={}", sign(&key, path, far));
        let (status, h, body) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "exp={far}");
        assert_eq!(body["code"], "signature_lifetime_too_long");
        assert_eq!(h["cache-control"], "no-store");
    }
}

/// A store that fails the way a misconfigured cloud store does, with the
/// details an attacker would like to read.
struct BrokenStore(StoreError);

#[async_trait]
impl ObjectStore for BrokenStore {
    fn location(&self) -> String {
        "s3://acme-private-originals".into()
    }
    async fn get(&self, _: &str, _: Option<ByteRange>) -> StoreResult<GetObject> {
        Err(self.0.clone())
    }
    async fn put(&self, _: &str, _: Bytes, _: PutOptions) -> StoreResult<ObjectMeta> {
        Err(self.0.clone())
    }
    async fn head(&self, _: &str) -> StoreResult<Option<ObjectMeta>> {
        Err(self.0.clone())
    }
    async fn list(&self, _: ListRequest) -> StoreResult<ListPage> {
        Err(self.0.clone())
    }
    async fn delete(&self, _: &str) -> StoreResult<()> {
        Err(self.0.clone())
    }
}

#[tokio::test]
async fn store_failures_reach_the_client_as_a_request_id_only() {
    let secrets = [
        StoreError::NoCredentials {
            message: "profile `acme-prod` in /home/ops/.aws/credentials has no key".into(),
        },
        StoreError::Unreachable {
            endpoint: "https://s3.internal.acme:9000".into(),
            message: "connection refused".into(),
        },
        StoreError::NoSuchBucket {
            bucket: "acme-private-originals".into(),
        },
        StoreError::AccessDenied {
            target: "s3://acme-private-originals/photos/a.jpg".into(),
        },
    ];
    for failure in secrets {
        let service =
            VariantService::new(Arc::new(BrokenStore(failure.clone())), Limits::default());
        let app = app(service, SigningPolicy::default());
        let (status, h, body) = get(&app, "/img/thumb/photos/a.jpg").await;
        assert!(status.is_server_error(), "{failure}: {status}");
        let text = body.to_string();
        for leak in ["acme", "9000", "credentials", "refused"] {
            assert!(!text.contains(leak), "`{leak}` leaked: {text}");
        }
        let id = body["request_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no request id: {text}"));
        assert!(body["message"].as_str().unwrap().contains(id));
        assert_eq!(h["x-request-id"], id);
        assert_eq!(h["cache-control"], "no-store");
    }
}

#[tokio::test]
async fn an_invalid_key_from_the_store_is_the_clients_400() {
    let refused = StoreError::InvalidKey {
        key: "photos/a.jpg".into(),
        reason: "a parent of this key is already an object",
    };
    let service = VariantService::new(Arc::new(BrokenStore(refused)), Limits::default());
    let (status, _, body) = get(
        &app(service, SigningPolicy::default()),
        "/img/thumb/photos/a.jpg",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_key");
}

#[tokio::test]
async fn a_miss_beyond_the_render_budget_gets_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let local: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.path()).unwrap());
    for key in ["big/a.jpg", "big/b.jpg"] {
        local
            .put(key, photo(800, 600), PutOptions::default())
            .await
            .unwrap();
    }
    let gated = Arc::new(GatedStore::new(Arc::clone(&local)));
    let store: Arc<dyn ObjectStore> = gated.clone();
    let budget = BudgetConfig {
        pixels: 800 * 600,
        max_wait: Duration::ZERO,
    };
    let app = app(
        VariantService::with_budget(store, Limits::default(), budget),
        SigningPolicy::default(),
    );
    gated.park_next_get("big/a.jpg");
    let first = {
        let app = app.clone();
        tokio::spawn(async move { get(&app, "/img/card/big/a.jpg").await })
    };
    gated.wait_parked().await;
    let (status, h, body) = get(&app, "/img/card/big/b.jpg").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "busy");
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(h["cache-control"], "no-store");
    gated.open();
    assert_eq!(first.await.unwrap().0, StatusCode::OK);
    assert_eq!(get(&app, "/img/card/big/b.jpg").await.0, StatusCode::OK);
}
