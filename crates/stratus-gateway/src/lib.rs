//! The serverless side of Stratus as one axum `Router`: the image function
//! (resize on miss), the event collector and the in-app inbox. `stratus serve` runs it locally
//! against the active profile, and the `lambda` feature runs the same Router
//! on AWS Lambda. [`serve`] is the local server with its timeouts, caps and
//! checks ([`server`], [`guard`]).

#[cfg(feature = "lambda")]
pub mod campaign_worker;
pub mod client_ip;
pub mod collector;
mod error;
pub mod event_stream;
pub mod guard;
mod images;
pub mod inbox;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "lambda")]
pub mod lambda_aws;
pub mod original_changes;
mod request_body;
pub mod server;
pub mod signature;
pub mod tracker;
pub mod write_key;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use stratus_media::published::CatalogSource;
use stratus_media::VariantService;

pub use client_ip::TrustedProxies;
pub use collector::{AllowedOrigins, CollectorFunction, FlushPolicy};
pub use error::ApiError;
pub use guard::AllowedHosts;
pub use server::{serve, ServeOptions};
pub use signature::{SigningKey, SigningPolicy};

/// What the image function needs.
pub struct ImageFunction {
    pub service: VariantService,
    /// Presets and allow-list: the profile's, or the bucket's published set.
    pub catalog: CatalogSource,
    pub signing: SigningPolicy,
    pub redirect: RedirectPolicy,
}

/// Lambda answers at most 6 MB, and base64 makes a body a third larger:
/// a variant above `above_bytes` is answered with a redirect to the stored
/// object (a presigned GET) instead of its bytes. A store without such URLs
/// (the local demo store) always serves the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectPolicy {
    pub above_bytes: u64,
    /// How long the presigned URL works; caches keep the redirect half as long.
    pub url_lifetime: Duration,
    /// With S3 website wiring, the bucket's website endpoint: the bucket
    /// redirects a missing `variants/…` key here, and once the function has
    /// stored it, it sends the browser back to `<website>/<key>`, which is
    /// now a plain S3 hit (the seed's flow).
    pub website: Option<String>,
}

impl Default for RedirectPolicy {
    fn default() -> Self {
        RedirectPolicy {
            above_bytes: 4 * 1024 * 1024,
            url_lifetime: Duration::from_secs(3600),
            website: None,
        }
    }
}

/// The Router with the image function only.
pub fn router(images: Arc<ImageFunction>) -> Router {
    Router::new().merge(images::routes(images))
}

/// The Router with whichever functions are given: one deployment can serve
/// images, events, or both.
pub fn functions_router(
    images: Option<Arc<ImageFunction>>,
    events: Option<Arc<CollectorFunction>>,
) -> Router {
    let mut router = Router::new();
    if let Some(images) = images {
        router = router.merge(images::routes(images));
    }
    if let Some(events) = events {
        router = router
            .merge(collector::routes(events))
            .merge(tracker::script_routes());
    }
    router
}
