//! `stratus events sync` stopped part way through a sync from an
//! S3-compatible server (moto) — killed with SIGKILL, or interrupted with
//! Ctrl-C (SIGINT) — then run again: the cache ends with exactly the events
//! of the bucket, none lost, none doubled.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{number_before, ok};

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

/// A moto profile `moto` in `data` whose bucket holds generated events;
/// returns how many. `None` without a test server.
async fn bucket_with_events(data: &Path, name: &str) -> Option<usize> {
    let endpoint = stratus_core::testing::endpoint()?;
    let bucket = stratus_core::testing::unique_bucket(name);
    stratus_core::testing::s3_client(&endpoint)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
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
    Some(number_before(&gen, "events in") as usize)
}

/// A slow `events sync`, returned once part of the bucket is in the cache.
fn sync_under_way(data: &Path, generated: usize, stdout: Stdio) -> Child {
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
    .stdout(stdout)
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sync finished before it could be stopped"
        );
        let n = cached_events(data);
        if n > 0 {
            assert!(n < generated, "stopped part way");
            return child;
        }
        assert!(Instant::now() < deadline, "the sync ingested nothing");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// After a stop with `partial` events in: a rerun brings exactly the rest,
/// and one more brings nothing.
fn rerun_finishes_exactly(data: &Path, partial: usize, generated: usize) {
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

#[tokio::test]
async fn a_sync_killed_with_sigkill_resumes_to_exactly_the_events_of_the_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let Some(generated) = bucket_with_events(data, "killsync").await else {
        return;
    };
    let mut child = sync_under_way(data, generated, Stdio::null());
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    rerun_finishes_exactly(data, cached_events(data), generated);
}

#[tokio::test]
async fn ctrl_c_stops_a_sync_cleanly_and_a_rerun_resumes_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let Some(generated) = bucket_with_events(data, "ctrlcsync").await else {
        return;
    };
    let child = sync_under_way(data, generated, Stdio::piped());
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(130),
        "Ctrl-C exits as interrupted: {stdout}"
    );
    assert!(stdout.contains("cancelled"), "{stdout}");
    let partial = cached_events(data);
    assert_eq!(
        number_before(&stdout, "new events") as usize,
        partial,
        "the summary says what was kept: {stdout}"
    );
    rerun_finishes_exactly(data, partial, generated);
}
