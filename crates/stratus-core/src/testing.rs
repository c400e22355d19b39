//! For tests of every crate: reaching the S3/SNS-compatible server that
//! `make test` starts (moto), with the same skip-or-fail rule everywhere.

use std::io::{Read, Write};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

/// The variable `make test` sets to the server's URL.
pub const ENDPOINT_ENV: &str = "STRATUS_TEST_AWS_ENDPOINT";

/// The server's URL, or `None` after printing why the caller skips. Under
/// `make test` (`STRATUS_REQUIRE_SERVICES=1`) a missing server panics: those
/// runs must exercise the real server.
pub fn endpoint() -> Option<String> {
    match std::env::var(ENDPOINT_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert_ne!(
                std::env::var("STRATUS_REQUIRE_SERVICES").as_deref(),
                Ok("1"),
                "{ENDPOINT_ENV} is not set but STRATUS_REQUIRE_SERVICES=1: start the S3-compatible server (make test does)"
            );
            eprintln!("skipped: {ENDPOINT_ENV} is not set (run `make test` to start the S3-compatible server)");
            None
        }
    }
}

/// An S3 client for the test server, with static test credentials.
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

/// A fresh bucket on the test server, as an `S3Store`.
pub async fn fresh_s3_store(endpoint: &str, label: &str) -> Result<crate::store::S3Store, String> {
    let client = s3_client(endpoint);
    let bucket = unique_bucket(label);
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .map_err(|e| format!("cannot create test bucket {bucket}: {e}"))?;
    Ok(crate::store::S3Store::new(client, bucket, endpoint))
}

/// `(phone_number, message)` of every SMS moto has accepted since it
/// started (its `/moto-api/data.json`; unreadable after a multipart upload,
/// so `make test` runs the multipart test last).
pub fn moto_sms(endpoint: &str) -> Vec<(String, String)> {
    let body = http_get(endpoint, "/moto-api/data.json");
    let json: serde_json::Value = serde_json::from_str(&body).expect("moto's data.json is JSON");
    json["sns"]["SMS"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|m| {
                    (
                        m["phone_number"]
                            .as_str()
                            .expect("an SMS has a number")
                            .to_string(),
                        m["message"]
                            .as_str()
                            .expect("an SMS has a text")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every push message moto's platform endpoint `endpoint_arn` accepted,
/// each the `MessageStructure=json` document as published (its
/// `/moto-api/data.json`, like [`moto_sms`]).
pub fn moto_push_messages(endpoint: &str, endpoint_arn: &str) -> Vec<serde_json::Value> {
    let body = http_get(endpoint, "/moto-api/data.json");
    let json: serde_json::Value = serde_json::from_str(&body).expect("moto's data.json is JSON");
    json["sns"]["PlatformEndpoint"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["arn"].as_str() == Some(endpoint_arn)))
        .and_then(|e| e["messages"].as_object())
        .map(|messages| {
            messages
                .values()
                .map(|m| {
                    let text = m.as_str().expect("a push message is a text");
                    serde_json::from_str(text).expect("a push message is a JSON document")
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A minimal HTTP/1.0 GET (no client crate needed for one JSON document).
pub fn http_get(endpoint: &str, path: &str) -> String {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).expect("the test server answers");
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("the test server answers");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the test server answers");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("the test server answers");
    assert!(
        head.starts_with("HTTP/1.") && head.contains(" 200"),
        "GET {path}: {head}"
    );
    body.to_string()
}
