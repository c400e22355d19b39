//! The serverless side of Stratus as one axum `Router`: `stratus serve` runs
//! it locally against the active profile, and the `lambda` feature runs the
//! same Router on AWS Lambda.

mod error;
mod images;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod signature;

use std::sync::Arc;

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
