//! The image function as an AWS Lambda (API Gateway in front). Configured by
//! environment: `STRATUS_MEDIA_BUCKET` (required), `AWS_REGION` (set by
//! Lambda), `STRATUS_SIGNING_KEYS` (`id:secret,id:secret`, optional) and
//! `STRATUS_REQUIRE_SIGNATURE=1` to refuse unsigned URLs,
//! `STRATUS_REDIRECT_ABOVE` (bytes, default 4 MiB): larger variants are
//! answered with a redirect to a presigned GET (Lambda's 6 MB response cap).

use std::sync::Arc;

use stratus_core::cloud::{self, Patience};
use stratus_core::profile::CloudSettings;
use stratus_core::store::{ObjectStore, S3Store};
use stratus_gateway::{router, ImageFunction, RedirectPolicy, SigningPolicy};
use stratus_media::{Limits, PresetCatalog, VariantService};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let bucket =
        std::env::var("STRATUS_MEDIA_BUCKET").map_err(|_| "STRATUS_MEDIA_BUCKET is not set")?;
    let settings = CloudSettings {
        aws_profile: None,
        region: std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
        endpoint_url: None,
        force_path_style: false,
        media_bucket: bucket.clone(),
        events_bucket: bucket.clone(),
        topic_arn: None,
        image_function_url: None,
    };
    let sdk = cloud::sdk_config(&settings, Patience::Normal).await;
    let store: Arc<dyn ObjectStore> = Arc::new(S3Store::new(
        cloud::s3_client(&sdk, &settings),
        bucket,
        "S3",
    ));
    let keys =
        SigningPolicy::parse_keys(&std::env::var("STRATUS_SIGNING_KEYS").unwrap_or_default());
    let function = ImageFunction {
        service: VariantService::new(store, Limits::default()),
        catalog: tokio::sync::RwLock::new(PresetCatalog::default()),
        signing: SigningPolicy {
            keys,
            required: std::env::var("STRATUS_REQUIRE_SIGNATURE").as_deref() == Ok("1"),
        },
        redirect: RedirectPolicy {
            above_bytes: std::env::var("STRATUS_REDIRECT_ABOVE")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(RedirectPolicy::default().above_bytes),
            ..RedirectPolicy::default()
        },
    };
    stratus_gateway::lambda::run(router(Arc::new(function))).await
}
