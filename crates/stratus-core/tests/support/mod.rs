//! Shared by the integration tests: where the S3-compatible test server is.

#![allow(dead_code, clippy::unwrap_used)]

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

/// The variable `make test` sets to the moto server's URL.
pub const ENDPOINT_ENV: &str = "STRATUS_TEST_AWS_ENDPOINT";

/// The moto endpoint, or `None` after printing why these tests are skipped.
/// Under `make test` (`STRATUS_REQUIRE_SERVICES=1`) a missing server fails
/// the test instead: those runs must exercise the real server.
pub fn endpoint() -> Option<String> {
    match std::env::var(ENDPOINT_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("STRATUS_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("{ENDPOINT_ENV} is not set but STRATUS_REQUIRE_SERVICES=1: start the S3-compatible server (make test does)");
            }
            eprintln!("skipped: {ENDPOINT_ENV} is not set (run `make test` to start the S3-compatible server)");
            None
        }
    }
}

pub fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "stratus-tests",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A bucket name no other test uses (the server's state is shared).
pub fn unique_bucket(label: &str) -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    format!("t-{label}-{}", &id[id.len() - 12..])
}

pub async fn create_bucket(client: &aws_sdk_s3::Client, bucket: &str) {
    client.create_bucket().bucket(bucket).send().await.unwrap();
}
