//! The packaged function run as Lambda runs it: the zip `make test`
//! names, unpacked, and `bootstrap` started with a bare environment
//! polling the Runtime API emulator.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::runtime_api::{Outcome, RuntimeApi};

/// The zip to test, or `None` (skip) outside `make test`.
pub fn package() -> Option<PathBuf> {
    match std::env::var("STRATUS_LAMBDA_PACKAGE") {
        Ok(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => {
            assert_ne!(
                std::env::var("STRATUS_REQUIRE_SERVICES").as_deref(),
                Ok("1"),
                "STRATUS_LAMBDA_PACKAGE is not set: run scripts/package-lambda.sh (make test does)"
            );
            eprintln!("skipped: STRATUS_LAMBDA_PACKAGE is not set");
            None
        }
    }
}

pub fn unpack(zip: &Path, into: &Path) {
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(zip)
        .arg(into)
        .status()
        .unwrap();
    assert!(status.success(), "cannot unpack {}", zip.display());
    // As Lambda does: the zip's mode bits say bootstrap is executable.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        into.join("bootstrap"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}

/// Kills the function when the test ends, however it ends.
pub struct Function(pub Child);

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The API Gateway v2 answer the function posted back.
pub fn answer(outcome: Option<Outcome>, log: &Path) -> serde_json::Value {
    match outcome {
        Some(Outcome::Response(body)) => serde_json::from_slice(&body).unwrap(),
        Some(Outcome::Error(error)) => panic!(
            "the function reported an error: {error}\n--- its log ---\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ),
        None => panic!(
            "no answer from the function\n--- its log ---\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ),
    }
}

/// Starts the unpacked `bootstrap` in `task` as Lambda would, polling `api`,
/// its output in `task/function.log`.
pub fn start_function(
    task: &Path,
    api: &RuntimeApi,
    endpoint: &str,
    env: &[(&str, &str)],
) -> Function {
    let log = task.join("function.log");
    let mut command = Command::new(task.join("bootstrap"));
    command
        .current_dir(task)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "stratus-test")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/stratus-test")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("LAMBDA_TASK_ROOT", task)
        .env("LD_LIBRARY_PATH", task.join("lib"))
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("STRATUS_ENDPOINT_URL", endpoint)
        .envs(env.iter().copied())
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::from(
            std::fs::OpenOptions::new().append(true).open(&log).unwrap(),
        ));
    Function(command.spawn().unwrap())
}

/// The SDK configuration for the test server (S3, SQS, DynamoDB, Secrets
/// Manager, SSM and CloudFront as moto emulates them), test credentials.
pub async fn sdk(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

/// The SQS event Lambda's event source mapping makes of one message.
pub fn sqs_event(message_id: &str, receipt: &str, body: &str) -> String {
    serde_json::json!({
        "Records": [{
            "messageId": message_id,
            "receiptHandle": receipt,
            "body": body,
            "attributes": { "ApproximateReceiveCount": "1" },
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:chunks",
            "awsRegion": "us-east-1"
        }]
    })
    .to_string()
}
