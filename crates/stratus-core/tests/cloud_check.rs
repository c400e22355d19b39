//! "Test connection" against the S3/SNS-compatible server: each way a cloud
//! profile can be wrong is named, with a code the UI can branch on.

#![allow(clippy::unwrap_used)]

mod support;

use stratus_core::cloud::{check_cloud, CheckOutcome, ConnectionReport};
use stratus_core::profile::{CloudSettings, Profile};

fn settings(endpoint: &str, media: &str, events: &str) -> CloudSettings {
    CloudSettings {
        aws_profile: None,
        region: "us-east-1".into(),
        endpoint_url: Some(endpoint.into()),
        force_path_style: true,
        allow_insecure_http: false,
        media_bucket: media.into(),
        events_bucket: events.into(),
        topic_arn: None,
        image_function_url: None,
    }
}

fn outcome(
    report: &ConnectionReport,
    target_start: &str,
) -> (CheckOutcome, Option<String>, String) {
    let check = report
        .checks
        .iter()
        .find(|c| c.target.starts_with(target_start))
        .unwrap_or_else(|| panic!("no check for {target_start}: {report:?}"));
    (check.outcome, check.code.clone(), check.message.clone())
}

async fn buckets(endpoint: &str) -> (String, String) {
    let client = support::s3_client(endpoint);
    let media = support::unique_bucket("media");
    let events = support::unique_bucket("events");
    support::create_bucket(&client, &media).await;
    support::create_bucket(&client, &events).await;
    (media, events)
}

#[tokio::test]
async fn a_good_profile_passes_every_check() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (media, events) = buckets(&endpoint).await;
    let sns = aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::new()
            .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
            .region(aws_sdk_sns::config::Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(aws_sdk_sns::config::Credentials::new(
                "testing", "testing", None, None, "t",
            ))
            .build(),
    );
    let topic = sns
        .create_topic()
        .name(support::unique_bucket("topic"))
        .send()
        .await
        .unwrap();
    let mut s = settings(&endpoint, &media, &events);
    s.topic_arn = topic.topic_arn().map(str::to_string);
    let report = check_cloud(&Profile::cloud("good", s)).await;
    assert!(report.ok(), "{report:#?}");
    assert_eq!(outcome(&report, "topic").0, CheckOutcome::Ok);
    assert_eq!(outcome(&report, "media bucket").0, CheckOutcome::Ok);
}

#[tokio::test]
async fn a_wrong_bucket_and_a_missing_topic_are_named() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (media, _) = buckets(&endpoint).await;
    let mut s = settings(&endpoint, &media, "no-such-bucket-here");
    s.topic_arn = Some("arn:aws:sns:us-east-1:123456789012:no-such-topic".into());
    let report = check_cloud(&Profile::cloud("wrong", s)).await;
    assert!(!report.ok());
    let (o, code, message) = outcome(&report, "events bucket");
    assert_eq!(
        (o, code.as_deref()),
        (CheckOutcome::Failed, Some("no_such_bucket"))
    );
    assert!(message.contains("no-such-bucket-here"), "{message}");
    assert_eq!(outcome(&report, "media bucket").0, CheckOutcome::Ok);
    let (o, code, _) = outcome(&report, "topic");
    assert_eq!(
        (o, code.as_deref()),
        (CheckOutcome::Failed, Some("topic_not_found"))
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_reported_once_and_the_rest_skipped() {
    // A loopback port nobody listens on: connection refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let report = check_cloud(&Profile::cloud(
        "down",
        settings(&url, "media-x", "events-x"),
    ))
    .await;
    let required = std::env::var("STRATUS_REQUIRE_SERVICES").as_deref() == Ok("1");
    if report.checks[0].outcome == CheckOutcome::Failed && !required {
        // No credentials on this machine at all: that is reported first.
        assert_eq!(report.checks[0].code.as_deref(), Some("no_credentials"));
        return;
    }
    let (o, code, message) = outcome(&report, "media bucket");
    assert_eq!(
        (o, code.as_deref()),
        (CheckOutcome::Failed, Some("unreachable")),
        "{report:#?}"
    );
    assert!(message.contains(&url), "{message}");
    assert_eq!(outcome(&report, "events bucket").0, CheckOutcome::Skipped);
}

#[tokio::test]
async fn a_missing_aws_profile_is_a_credentials_failure() {
    let mut s = settings("http://127.0.0.1:9", "media-x", "events-x");
    s.aws_profile = Some("stratus-test-no-such-profile".into());
    let report = check_cloud(&Profile::cloud("nocreds", s)).await;
    let (o, code, message) = outcome(&report, "credentials");
    assert_eq!(
        (o, code.as_deref()),
        (CheckOutcome::Failed, Some("no_credentials"))
    );
    assert!(
        message.contains("stratus-test-no-such-profile"),
        "{message}"
    );
    assert_eq!(outcome(&report, "media bucket").0, CheckOutcome::Skipped);
}
