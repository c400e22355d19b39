//! The same Router on AWS Lambda behind API Gateway (REST or HTTP API).

use axum::Router;

/// Serves `router` as a Lambda function until the runtime stops it.
pub async fn run(router: Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(router).await
}
