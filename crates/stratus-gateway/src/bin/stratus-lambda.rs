//! The serverless functions as an AWS Lambda: one binary, and each
//! function is on when its bucket is configured, so one deployment can
//! serve images, events or both. It answers HTTP events (function URLs, API
//! Gateway) and, with a media bucket, that bucket's S3 notifications
//! (replaced or removed originals: variants purged, CDN invalidated).
//!
//! Environment (the deploy template sets these):
//! - `STRATUS_MEDIA_BUCKET` (the image function), `STRATUS_EVENTS_BUCKET`
//!   (the collector); at least one. `AWS_REGION` is set by Lambda.
//! - `STRATUS_SIGNING_KEYS_SECRET`: a Secrets Manager secret holding the
//!   signing keys (`{"id","secret"}` or `{"keys":[…]}`), read at start. For
//!   a hand-made function, `STRATUS_SIGNING_KEYS` (`id:secret,…`) instead.
//!   Each secret at least 32 bytes, or the function refuses to start.
//! - `STRATUS_SIGNING_KEYS_REFRESH`: seconds between reads of that secret
//!   while running (default 300), so a rotation reaches warm instances.
//! - `STRATUS_REQUIRE_SIGNATURE=1`: refuse unsigned URLs (keys required).
//! - `STRATUS_SIGNED_URL_MAX_LIFETIME`: seconds a signed URL may reach
//!   ahead (default 7 days).
//! - `STRATUS_PRESETS_REFRESH`: seconds the published presets
//!   (`variants/.presets.json`, written by the app) are trusted before
//!   they are read again (default 60); the built-in set until one exists.
//! - `STRATUS_DISTRIBUTION_ID_PARAMETER`: an SSM parameter naming the
//!   CloudFront distribution to invalidate (none: no invalidation).
//! - `STRATUS_WEBSITE_URL` (website wiring): the bucket's website endpoint;
//!   a variant made at `/variants/…` is answered by a redirect back there.
//! - `STRATUS_REDIRECT_ABOVE`: bytes (default 4 MiB); larger variants are
//!   answered with a redirect to a presigned GET (Lambda's 6 MB cap).
//! - `STRATUS_ALLOWED_ORIGINS`: comma-separated origins that may send
//!   events from a browser (default any).
//! - `STRATUS_WRITE_KEYS_REFRESH_SECS`: how often the collector re-reads
//!   the write keys published to `collector/write-keys.json` in the events
//!   bucket (default 30: a revoked key stops working within that).
//! - `STRATUS_REQUIRE_WRITE_KEY=1`: refuse every event while no key is
//!   published (without it a bucket with no published keys takes events
//!   unchecked, as the offline demo does).
//! - `STRATUS_FIREHOSE_STREAM`: a Firehose delivery stream that takes the
//!   collector's accepted events (the deploy's `--firehose`) instead of one
//!   bucket object per request; none: direct writes.
//! - `STRATUS_CAMPAIGN_TABLE`: this function is the campaign worker
//!   instead (cloud runs: SQS events of manifest chunks, see
//!   `stratus_gateway::campaign_worker`), with `STRATUS_CAMPAIGN_QUEUE_URL`
//!   (its own queue: chunks it puts back go there) and
//!   `STRATUS_CAMPAIGN_BUCKET` (the events bucket: the manifests under
//!   `campaigns/`, the in-app inbox it writes under `inbox/`).
//! - `STRATUS_ENDPOINT_URL`: an S3-compatible endpoint instead of AWS,
//!   path-style (the tests' moto).
//! - Behind a REST API with a named stage, also
//!   `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH=true` so paths match without the
//!   stage prefix (function URLs and an HTTP API's `$default` need nothing).

use std::sync::Arc;
use std::time::Duration;

use stratus_core::cloud::{self, Patience};
use stratus_core::profile::CloudSettings;
use stratus_core::store::{ObjectStore, S3Store};
use stratus_events::collector::write_keys::KeyRing;
use stratus_events::collector::CollectorConfig;
use stratus_gateway::inbox::{InboxFunction, InboxSecret};
use stratus_gateway::lambda::Notifications;
use stratus_gateway::lambda_aws::{self, CloudFront, Firehose};
use stratus_gateway::original_changes::Cdn;
use stratus_gateway::signature::KeyRefresh;
use stratus_gateway::{
    functions_router, AllowedOrigins, CollectorFunction, FlushPolicy, ImageFunction,
    RedirectPolicy, SigningPolicy,
};
use stratus_media::published::{self, CatalogSource, PublishedPresets};
use stratus_media::{Limits, PresetCatalog, VariantService};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    if let Some(table) = env("STRATUS_CAMPAIGN_TABLE") {
        // Boxed: inlined, both functions' futures in one layout overflow
        // the compiler's query depth.
        let worker: std::pin::Pin<Box<dyn std::future::Future<Output = _>>> =
            Box::pin(campaign_worker(table));
        return worker.await;
    }
    let media_bucket = env("STRATUS_MEDIA_BUCKET");
    let events_bucket = env("STRATUS_EVENTS_BUCKET");
    let Some(any_bucket) = media_bucket.clone().or(events_bucket.clone()) else {
        return Err(
            "set STRATUS_MEDIA_BUCKET (images), STRATUS_EVENTS_BUCKET (events) or both".into(),
        );
    };
    let settings = cloud_settings(
        media_bucket.clone().unwrap_or_else(|| any_bucket.clone()),
        events_bucket.clone().unwrap_or(any_bucket),
    );
    let sdk = cloud::sdk_config(&settings, Patience::Normal).await;
    let s3 = cloud::s3_client(&sdk, &settings);
    // Bad or unreadable keys stop the function at start, before it serves
    // anything.
    let signing = signing_policy(&sdk).await?;
    let media: Option<Arc<dyn ObjectStore>> = media_bucket
        .map(|bucket| Arc::new(S3Store::new(s3.clone(), bucket, "S3")) as Arc<dyn ObjectStore>);
    let images = media.clone().map(|store| {
        let presets = PublishedPresets::new(
            Arc::clone(&store),
            PresetCatalog::default(),
            env("STRATUS_PRESETS_REFRESH")
                .and_then(|v| v.parse().ok())
                .map(Duration::from_secs)
                .unwrap_or(published::DEFAULT_REFRESH),
        );
        Arc::new(ImageFunction {
            service: VariantService::new(store, Limits::default()),
            catalog: CatalogSource::Published(presets),
            signing,
            redirect: RedirectPolicy {
                above_bytes: env("STRATUS_REDIRECT_ABOVE")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(RedirectPolicy::default().above_bytes),
                website: env("STRATUS_WEBSITE_URL"),
                ..RedirectPolicy::default()
            },
        })
    });
    let notifications = match media {
        Some(store) => Some(Notifications {
            store,
            cdn: cdn(&sdk).await?,
        }),
        None => None,
    };
    let refresh = Duration::from_secs(
        env("STRATUS_WRITE_KEYS_REFRESH_SECS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(30),
    );
    let require_key = env("STRATUS_REQUIRE_WRITE_KEY").as_deref() == Some("1");
    // No background work after a response on Lambda: each request's
    // events are written (to the bucket, or to the delivery stream) before
    // it is answered.
    let flush = match env("STRATUS_FIREHOSE_STREAM") {
        Some(stream) => FlushPolicy::Stream(Arc::new(Firehose {
            client: aws_sdk_firehose::Client::new(&sdk),
            stream,
        })),
        None => FlushPolicy::BeforeResponse,
    };
    // The in-app inbox rides on the collector when the function has the
    // secret its tokens are signed with (docs/security.md).
    let inbox = match (&events_bucket, env("STRATUS_INBOX_SECRET")) {
        (Some(bucket), Some(secret)) => {
            let store: Arc<dyn ObjectStore> =
                Arc::new(S3Store::new(s3.clone(), bucket.clone(), "S3"));
            Some(Arc::new(InboxFunction {
                keys: KeyRing::published(Arc::clone(&store), refresh, require_key),
                store,
                secret: InboxSecret::new(&secret)?,
                origins: AllowedOrigins::parse(&env("STRATUS_ALLOWED_ORIGINS").unwrap_or_default()),
            }))
        }
        _ => None,
    };
    let events = events_bucket.map(|bucket| {
        let store: Arc<dyn ObjectStore> = Arc::new(S3Store::new(s3.clone(), bucket, "S3"));
        Arc::new(
            CollectorFunction::new(
                Arc::clone(&store),
                CollectorConfig::default(),
                flush,
                AllowedOrigins::parse(&env("STRATUS_ALLOWED_ORIGINS").unwrap_or_default()),
            )
            .with_write_keys(KeyRing::published(store, refresh, require_key)),
        )
    });
    let mut router = functions_router(images, events);
    if let Some(inbox) = inbox {
        router = router.merge(stratus_gateway::inbox::routes(inbox));
    }
    stratus_gateway::lambda::run(router, notifications).await
}

/// Keys from the deploy's secret (`STRATUS_SIGNING_KEYS_SECRET`) or, for a
/// hand-made function, the `STRATUS_SIGNING_KEYS` list.
async fn signing_policy(sdk: &aws_config::SdkConfig) -> Result<SigningPolicy, lambda_http::Error> {
    let secret = env("STRATUS_SIGNING_KEYS_SECRET");
    let mut policy = SigningPolicy::configured(
        env("STRATUS_SIGNING_KEYS").as_deref(),
        env("STRATUS_REQUIRE_SIGNATURE").as_deref() == Some("1") && secret.is_none(),
        env("STRATUS_SIGNED_URL_MAX_LIFETIME").and_then(|v| v.parse().ok()),
    )
    .map_err(|e| format!("STRATUS_SIGNING_KEYS: {e}"))?;
    if let Some(secret_id) = secret {
        let client = aws_sdk_secretsmanager::Client::new(sdk);
        policy.keys = lambda_aws::signing_keys(&client, &secret_id).await?;
        let every = env("STRATUS_SIGNING_KEYS_REFRESH")
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(300));
        let source = Arc::new(lambda_aws::SecretKeys { client, secret_id });
        policy.refresh = Some(Arc::new(KeyRefresh::new(
            source,
            policy.keys.clone(),
            every,
        )));
    }
    Ok(policy)
}

/// CloudFront, when the deploy recorded a distribution for this bucket.
async fn cdn(sdk: &aws_config::SdkConfig) -> Result<Option<Arc<dyn Cdn>>, lambda_http::Error> {
    let Some(parameter) = env("STRATUS_DISTRIBUTION_ID_PARAMETER") else {
        return Ok(None);
    };
    let ssm = aws_sdk_ssm::Client::new(sdk);
    let Some(distribution_id) = lambda_aws::distribution_id(&ssm, &parameter).await? else {
        return Ok(None);
    };
    Ok(Some(Arc::new(CloudFront {
        client: aws_sdk_cloudfront::Client::new(sdk),
        distribution_id,
    })))
}

/// The campaign worker: chunks of cloud runs from the queue, published
/// through SNS (SMS, push) or written to the inbox (in-app), marks in the
/// table.
async fn campaign_worker(table: String) -> Result<(), lambda_http::Error> {
    let (Some(queue_url), Some(bucket)) = (
        env("STRATUS_CAMPAIGN_QUEUE_URL"),
        env("STRATUS_CAMPAIGN_BUCKET"),
    ) else {
        return Err(
            "the campaign worker needs STRATUS_CAMPAIGN_QUEUE_URL and STRATUS_CAMPAIGN_BUCKET"
                .into(),
        );
    };
    let settings = cloud_settings(bucket.clone(), bucket.clone());
    let sdk = cloud::sdk_config(&settings, Patience::Normal).await;
    let manifests: Arc<dyn ObjectStore> = Arc::new(S3Store::new(
        cloud::s3_client(&sdk, &settings),
        bucket,
        "S3",
    ));
    let services = stratus_campaigns::cloud::CloudServices::new(
        &sdk,
        &stratus_campaigns::cloud::CloudTarget {
            table,
            queue_url,
            workers: 1,
            scheduler_role: None,
        },
        manifests,
    );
    // SMS and push through SNS; in-app into the inbox, which lives in the
    // same events bucket as the manifests (where the collector serves it).
    let notifier = stratus_campaigns::notifier::ByChannel {
        provider: Arc::new(stratus_campaigns::notifier::SnsNotifier::new(&sdk)),
        inbox: stratus_campaigns::notifier::InboxNotifier::new(Arc::clone(&services.manifests)),
    };
    let worker = stratus_campaigns::cloud::Worker::new(
        services.marks,
        services.queue,
        services.manifests,
        Arc::new(notifier),
        stratus_campaigns::cloud::WorkerSettings::default(),
    );
    stratus_gateway::campaign_worker::run(Arc::new(worker)).await
}

/// The AWS settings Lambda's environment gives (region, the tests' endpoint).
fn cloud_settings(media_bucket: String, events_bucket: String) -> CloudSettings {
    CloudSettings {
        aws_profile: None,
        region: env("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
        endpoint_url: env("STRATUS_ENDPOINT_URL"),
        force_path_style: env("STRATUS_ENDPOINT_URL").is_some(),
        allow_insecure_http: false,
        media_bucket,
        events_bucket,
        topic_arn: None,
        image_function_url: None,
    }
}
