//! The serverless functions as an AWS Lambda (API Gateway in front): one
//! binary, and each function is on when its bucket is configured, so one
//! deployment can serve images, events or both. Environment:
//! `STRATUS_MEDIA_BUCKET` (the image function), `STRATUS_EVENTS_BUCKET` (the
//! collector; at least one of the two), `AWS_REGION` (set by Lambda),
//! `STRATUS_SIGNING_KEYS` (`id:secret,id:secret`, optional; each secret at
//! least 32 bytes, or the function refuses to start),
//! `STRATUS_REQUIRE_SIGNATURE=1` to refuse unsigned URLs (keys required),
//! `STRATUS_SIGNED_URL_MAX_LIFETIME` (seconds a signed URL may reach ahead,
//! default 7 days),
//! `STRATUS_REDIRECT_ABOVE` (bytes, default 4 MiB: larger variants are
//! answered with a redirect to a presigned GET, for Lambda's 6 MB response
//! cap), and
//! `STRATUS_ALLOWED_ORIGINS` (comma-separated origins that may send events
//! from a browser; default any),
//! `STRATUS_WRITE_KEYS_REFRESH_SECS` (how often the collector re-reads the
//! write keys published to `collector/write-keys.json` in the events bucket,
//! default 30: a revoked key stops working within that),
//! `STRATUS_REQUIRE_WRITE_KEY=1` (refuse every event while no key is
//! published; without it a bucket with no published keys takes events
//! unchecked, as the offline demo does), and `STRATUS_ENDPOINT_URL` (an
//! S3-compatible endpoint instead of AWS, path-style; the tests' moto). Behind a REST API with a named stage, also
//! set `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH=true` so paths match without
//! the stage prefix (an HTTP API's `$default` stage needs nothing).

use std::sync::Arc;
use std::time::Duration;

use stratus_core::cloud::{self, Patience};
use stratus_core::profile::CloudSettings;
use stratus_core::store::{ObjectStore, S3Store};
use stratus_events::collector::CollectorConfig;
use stratus_events::write_keys::KeyRing;
use stratus_gateway::{
    functions_router, AllowedOrigins, CollectorFunction, FlushPolicy, ImageFunction,
    RedirectPolicy, SigningPolicy,
};
use stratus_media::{Limits, PresetCatalog, VariantService};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let media_bucket = env("STRATUS_MEDIA_BUCKET");
    let events_bucket = env("STRATUS_EVENTS_BUCKET");
    let Some(any_bucket) = media_bucket.clone().or(events_bucket.clone()) else {
        return Err(
            "set STRATUS_MEDIA_BUCKET (images), STRATUS_EVENTS_BUCKET (events) or both".into(),
        );
    };
    let settings = CloudSettings {
        aws_profile: None,
        region: env("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
        endpoint_url: env("STRATUS_ENDPOINT_URL"),
        force_path_style: env("STRATUS_ENDPOINT_URL").is_some(),
        allow_insecure_http: false,
        media_bucket: media_bucket.clone().unwrap_or_else(|| any_bucket.clone()),
        events_bucket: events_bucket.clone().unwrap_or(any_bucket),
        topic_arn: None,
        image_function_url: None,
    };
    let sdk = cloud::sdk_config(&settings, Patience::Normal).await;
    let s3 = cloud::s3_client(&sdk, &settings);
    // A bad key list stops the function at start, before it serves anything.
    let signing = SigningPolicy::configured(
        env("STRATUS_SIGNING_KEYS").as_deref(),
        env("STRATUS_REQUIRE_SIGNATURE").as_deref() == Some("1"),
        env("STRATUS_SIGNED_URL_MAX_LIFETIME").and_then(|v| v.parse().ok()),
    )
    .map_err(|e| format!("STRATUS_SIGNING_KEYS: {e}"))?;
    let images = media_bucket.map(|bucket| {
        let store: Arc<dyn ObjectStore> = Arc::new(S3Store::new(s3.clone(), bucket, "S3"));
        Arc::new(ImageFunction {
            service: VariantService::new(store, Limits::default()),
            catalog: tokio::sync::RwLock::new(PresetCatalog::default()),
            signing,
            redirect: RedirectPolicy {
                above_bytes: env("STRATUS_REDIRECT_ABOVE")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(RedirectPolicy::default().above_bytes),
                ..RedirectPolicy::default()
            },
        })
    });
    let refresh = Duration::from_secs(
        env("STRATUS_WRITE_KEYS_REFRESH_SECS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(30),
    );
    let require_key = env("STRATUS_REQUIRE_WRITE_KEY").as_deref() == Some("1");
    let events = events_bucket.map(|bucket| {
        let store: Arc<dyn ObjectStore> = Arc::new(S3Store::new(s3.clone(), bucket, "S3"));
        // No background work after a response on Lambda: each request's
        // events are written before it is answered.
        Arc::new(
            CollectorFunction::new(
                Arc::clone(&store),
                CollectorConfig::default(),
                FlushPolicy::BeforeResponse,
                AllowedOrigins::parse(&env("STRATUS_ALLOWED_ORIGINS").unwrap_or_default()),
            )
            .with_write_keys(KeyRing::published(store, refresh, require_key)),
        )
    });
    stratus_gateway::lambda::run(functions_router(images, events)).await
}
