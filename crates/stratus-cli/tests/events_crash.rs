//! `stratus events sync` killed with SIGKILL part way through a sync from
//! an S3-compatible server (moto), then run again: the cache ends with
//! exactly the events of the bucket, none lost, none doubled.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn stratus(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stratus"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        );
    command
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn number_before(text: &str, label: &str) -> u64 {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("no `{label}` in {text}"));
    text[..at]
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number before `{label}` in {text}"))
}

/// Events in the cache, counted through the CLI (an NDJSON export).
fn cached_events(data: &Path) -> usize {
    let out = ok(stratus(
        data,
        &[
            "--profile",
            "moto",
            "events",
            "export",
            "--format",
            "ndjson",
        ],
    )
    .output()
    .unwrap());
    out.lines().filter(|l| !l.trim().is_empty()).count()
}

#[tokio::test]
async fn a_sync_killed_with_sigkill_resumes_to_exactly_the_events_of_the_bucket() {
    let Some(endpoint) = stratus_core::testing::endpoint() else {
        return;
    };
    let bucket = stratus_core::testing::unique_bucket("killsync");
    stratus_core::testing::s3_client(&endpoint)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(stratus(
        data,
        &[
            "profile",
            "add",
            "moto",
            "--region",
            "us-east-1",
            "--media-bucket",
            &bucket,
            "--events-bucket",
            &bucket,
            "--endpoint-url",
            &endpoint,
            "--path-style",
        ],
    )
    .output()
    .unwrap());
    let gen = ok(stratus(
        data,
        &[
            "--profile",
            "moto",
            "events",
            "gen",
            "--events",
            "6000",
            "--customers",
            "50",
            "--days",
            "3",
            "--batch-events",
            "100",
        ],
    )
    .output()
    .unwrap());
    let generated = number_before(&gen, "events in") as usize;

    let mut child = stratus(
        data,
        &[
            "--profile",
            "moto",
            "events",
            "sync",
            "--concurrency",
            "2",
            "--pace-ms",
            "60",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Kill once part of the bucket is in the cache.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sync finished before it could be killed"
        );
        let n = cached_events(data);
        if n > 0 {
            assert!(n < generated, "killed part way");
            break;
        }
        assert!(Instant::now() < deadline, "the sync ingested nothing");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partial = cached_events(data);
    assert!(
        partial > 0 && partial < generated,
        "{partial} of {generated}"
    );

    let rerun = ok(stratus(data, &["--profile", "moto", "events", "sync"])
        .output()
        .unwrap());
    assert_eq!(
        number_before(&rerun, "new events") as usize,
        generated - partial,
        "{rerun}"
    );
    assert_eq!(cached_events(data), generated, "exactly every event, once");
    let again = ok(stratus(data, &["--profile", "moto", "events", "sync"])
        .output()
        .unwrap());
    assert_eq!(number_before(&again, "new events"), 0, "{again}");
}
