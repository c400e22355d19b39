//! Helpers shared by the CLI tests: running `stratus`, a profile on the
//! S3-compatible server, reading summaries.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `stratus --data-dir <data_dir> <args>` to the end.
pub fn stratus(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stratus"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

/// The S3-compatible server's URL, or `None` (the caller skips) when it is
/// not set; with `STRATUS_REQUIRE_SERVICES=1` a missing one fails instead.
pub fn s3_endpoint() -> Option<String> {
    match std::env::var("STRATUS_TEST_AWS_ENDPOINT") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert_ne!(
                std::env::var("STRATUS_REQUIRE_SERVICES").as_deref(),
                Ok("1"),
                "STRATUS_TEST_AWS_ENDPOINT is required"
            );
            eprintln!("skipped: STRATUS_TEST_AWS_ENDPOINT is not set (run `make test`)");
            None
        }
    }
}

/// Creates a fresh media and events bucket on the server (names start with
/// `tag`) and adds a profile `moto` on them, in use from now on. Returns the
/// bucket names.
pub fn use_s3_profile(data_dir: &Path, endpoint: &str, tag: &str) -> (String, String) {
    let id = uuid::Uuid::now_v7().simple().to_string();
    let (media, events) = (
        format!("{tag}-m-{}", &id[20..]),
        format!("{tag}-e-{}", &id[20..]),
    );
    for bucket in [&media, &events] {
        let status = Command::new("curl")
            .args(["-sf", "-X", "PUT", &format!("{endpoint}/{bucket}")])
            .status()
            .unwrap();
        assert!(status.success());
    }
    ok(stratus(
        data_dir,
        &[
            "profile",
            "add",
            "moto",
            "--region",
            "us-east-1",
            "--endpoint-url",
            endpoint,
            "--path-style",
            "--media-bucket",
            &media,
            "--events-bucket",
            &events,
            "--use",
        ],
    ));
    (media, events)
}

/// The stdout of a command that must have succeeded; its whole output otherwise.
pub fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The number before `label` in a summary line such as "… 12 new events, …".
pub fn number_before(text: &str, label: &str) -> u64 {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("no `{label}` in {text}"));
    text[..at]
        .split_whitespace()
        .last()
        .and_then(|n| n.trim_start_matches('(').parse().ok())
        .unwrap_or_else(|| panic!("no number before `{label}` in {text}"))
}
