//! The serverless side of Stratus as one axum `Router`: `stratus serve` runs
//! it locally against the active profile, and the `lambda` feature runs the
//! same Router on AWS Lambda.

mod error;
mod images;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod signature;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use stratus_media::{PresetCatalog, VariantService};
use tokio::sync::RwLock;

pub use error::ApiError;
pub use signature::{SigningKey, SigningPolicy};

/// What the image function needs.
pub struct ImageFunction {
    pub service: VariantService,
    /// Presets and allow-list; editable while serving.
    pub catalog: RwLock<PresetCatalog>,
    pub signing: SigningPolicy,
    pub redirect: RedirectPolicy,
}

/// Lambda answers at most 6 MB, and base64 makes a body a third larger:
/// a variant above `above_bytes` is answered with a redirect to the stored
/// object (a presigned GET) instead of its bytes. A store without such URLs
/// (the local demo store) always serves the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedirectPolicy {
    pub above_bytes: u64,
    /// How long the presigned URL works; caches keep the redirect half as long.
    pub url_lifetime: Duration,
}

impl Default for RedirectPolicy {
    fn default() -> Self {
        RedirectPolicy {
            above_bytes: 4 * 1024 * 1024,
            url_lifetime: Duration::from_secs(3600),
        }
    }
}

/// The Router with every function this gateway serves.
pub fn router(images: Arc<ImageFunction>) -> Router {
    Router::new().merge(images::routes(images))
}

/// Serves `router` on `addr` until `shutdown` completes (`stratus serve`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
