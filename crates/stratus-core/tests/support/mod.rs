//! Shared by the integration tests: the S3-compatible test server.

#![allow(dead_code, clippy::unwrap_used)]

pub use stratus_core::testing::{endpoint, s3_client, unique_bucket};

pub async fn create_bucket(client: &aws_sdk_s3::Client, bucket: &str) {
    client.create_bucket().bucket(bucket).send().await.unwrap();
}
