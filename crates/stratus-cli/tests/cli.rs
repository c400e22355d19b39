//! The `stratus` binary as an admin uses it: exit codes, output, errors.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

mod support;
use support::{s3_endpoint, stratus, use_s3_profile};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn demo_seed_is_idempotent_and_reset_removes_user_objects() {
    let dir = tempfile::tempdir().unwrap();
    let first = stratus(dir.path(), &["demo", "seed"]);
    assert!(first.status.success(), "{}", stderr(&first));
    // "… N step(s) applied, 0 already present": every capability seeds once.
    let out = stdout(&first);
    let applied: usize = out
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no step count in {out}"));
    assert!(applied >= 2, "core and capability steps run: {out}");
    assert!(out.contains(", 0 already present"), "{out}");
    let again = stdout(&stratus(dir.path(), &["demo", "seed"]));
    assert!(
        again.contains(&format!("0 step(s) applied, {applied} already present")),
        "{again}"
    );

    let file = dir.path().join("note.txt");
    std::fs::write(&file, "mine").unwrap();
    assert!(stratus(
        dir.path(),
        &["store", "put", file.to_str().unwrap(), "notes/mine.txt"]
    )
    .status
    .success());
    assert!(stdout(&stratus(dir.path(), &["store", "ls", "-r"])).contains("notes/mine.txt"));

    let reset = stratus(dir.path(), &["demo", "reset"]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    let listing = stdout(&stratus(dir.path(), &["store", "ls", "-r"]));
    assert!(!listing.contains("notes/mine.txt"), "{listing}");
    assert!(listing.contains("README.txt"), "{listing}");
}

#[test]
fn store_put_get_ls_rm_round_trip_and_refuse_bad_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hello.txt");
    std::fs::write(&file, "hello stratus").unwrap();
    let put = stratus(
        dir.path(),
        &["store", "put", file.to_str().unwrap(), "docs/hello.txt"],
    );
    assert!(put.status.success(), "{}", stderr(&put));
    assert!(stdout(&put).contains("13 bytes"));

    let ls = stdout(&stratus(dir.path(), &["store", "ls"]));
    assert!(ls.contains("docs/") && ls.contains("folder"), "{ls}");
    let get = stratus(dir.path(), &["store", "get", "docs/hello.txt"]);
    assert_eq!(stdout(&get), "hello stratus");

    let again = stratus(
        dir.path(),
        &[
            "store",
            "put",
            file.to_str().unwrap(),
            "docs/hello.txt",
            "--no-overwrite",
        ],
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("error[already_exists]"),
        "{}",
        stderr(&again)
    );

    let escape = stratus(
        dir.path(),
        &["store", "put", file.to_str().unwrap(), "../../outside.txt"],
    );
    assert!(!escape.status.success());
    assert!(
        stderr(&escape).contains("error[invalid_key]"),
        "{}",
        stderr(&escape)
    );

    assert!(stratus(dir.path(), &["store", "rm", "docs/hello.txt"])
        .status
        .success());
    let missing = stratus(dir.path(), &["store", "get", "docs/hello.txt"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("error[not_found]"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn profiles_can_be_added_used_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = stratus(
        dir.path(),
        &[
            "profile",
            "add",
            "Bad Name",
            "--region",
            "eu-west-1",
            "--media-bucket",
            "m-b",
            "--events-bucket",
            "e-b",
        ],
    );
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("error[invalid_profile]"),
        "{}",
        stderr(&bad)
    );

    let add = stratus(
        dir.path(),
        &[
            "profile",
            "add",
            "prod",
            "--region",
            "eu-west-1",
            "--media-bucket",
            "acme-media",
            "--events-bucket",
            "acme-events",
            "--use",
        ],
    );
    assert!(add.status.success(), "{}", stderr(&add));
    let list = stdout(&stratus(dir.path(), &["profile", "list"]));
    assert!(list.contains("* prod"), "{list}");
    assert!(list.contains("  demo"), "{list}");

    let unknown = stratus(dir.path(), &["profile", "use", "nope"]);
    assert!(stderr(&unknown).contains("error[profile_not_found]"));

    assert!(stratus(dir.path(), &["profile", "use", "demo"])
        .status
        .success());
    assert!(stdout(&stratus(dir.path(), &["profile", "list"])).contains("* demo"));
    let profiles = std::fs::read_to_string(dir.path().join("profiles.toml")).unwrap();
    assert!(
        !profiles.to_lowercase().contains("secret"),
        "no credentials are stored"
    );
}

#[test]
fn profile_test_names_what_is_wrong_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let add = stratus(
        dir.path(),
        &[
            "profile",
            "add",
            "nocreds",
            "--region",
            "eu-west-1",
            "--media-bucket",
            "acme-media",
            "--events-bucket",
            "acme-events",
            "--aws-profile",
            "stratus-no-such-profile",
        ],
    );
    assert!(add.status.success());
    let test = stratus(dir.path(), &["profile", "test", "nocreds"]);
    assert!(!test.status.success(), "a broken profile exits non-zero");
    let out = stdout(&test);
    assert!(out.contains("FAIL credentials [no_credentials]"), "{out}");
    assert!(out.contains("stratus-no-such-profile"), "{out}");
    assert!(out.contains("skip media bucket"), "{out}");

    let demo = stratus(dir.path(), &["profile", "test", "demo"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    assert!(stdout(&demo).contains("profile `demo` works"));
}

#[test]
fn profile_test_passes_against_the_s3_compatible_server() {
    let Some(endpoint) = s3_endpoint() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (media, _) = use_s3_profile(dir.path(), &endpoint, "cli");
    let test = stratus(dir.path(), &["profile", "test"]);
    assert!(
        test.status.success(),
        "{}\n{}",
        stdout(&test),
        stderr(&test)
    );
    assert!(
        stdout(&test).contains(&format!("ok   media bucket `{media}`")),
        "{}",
        stdout(&test)
    );

    // The store commands then work on the cloud profile.
    let file = dir.path().join("x.txt");
    std::fs::write(&file, "in the cloud").unwrap();
    assert!(
        stratus(dir.path(), &["store", "put", file.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(
        stdout(&stratus(dir.path(), &["store", "get", "x.txt"])),
        "in the cloud"
    );
}

/// Runs `stratus` with its stdout closed by the reader before it is read
/// (`stratus … | head -0`). Each command used prints more than a pipe
/// buffer, so it meets the closed pipe whatever the timing.
fn with_closed_stdout(data_dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stratus"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_is_a_normal_end_for_printed_and_streamed_output() {
    let dir = tempfile::tempdir().unwrap();
    // 1,200 one-event batch objects: a listing of ~100 KiB.
    let made = stratus(
        dir.path(),
        &[
            "events",
            "gen",
            "--events",
            "1200",
            "--batch-events",
            "1",
            "--days",
            "1",
        ],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let sync = stratus(dir.path(), &["events", "sync"]);
    assert!(sync.status.success(), "{}", stderr(&sync));
    for args in [
        // println!
        &["store", "ls", "-r", "--bucket", "events"][..],
        // a writer whose error reaches main
        &["events", "query", "-n", "1000", "--json"],
        &["events", "export", "--format", "ndjson"],
    ] {
        let out = with_closed_stdout(dir.path(), args);
        assert!(
            out.status.success() && !stderr(&out).contains("panicked"),
            "{args:?}: exit {:?}, stderr: {}",
            out.status,
            stderr(&out)
        );
    }
}

#[test]
fn image_upload_reports_each_missing_file_uploads_the_rest_into_the_prefix_folder() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("Dune.jpg");
    let got = stratus(
        dir.path(),
        &[
            "store",
            "get",
            "demo/landscapes/alpine-dawn.jpg",
            "-o",
            photo.to_str().unwrap(),
        ],
    );
    assert!(got.status.success(), "{}", stderr(&got));
    let other = dir.path().join("Dune2.jpg");
    std::fs::copy(&photo, &other).unwrap();
    let gone = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let (missing1, missing2) = (gone("missing-1.jpg"), gone("missing-2.jpg"));
    let out = stratus(
        dir.path(),
        &[
            "image",
            "upload",
            &missing1,
            photo.to_str().unwrap(),
            &missing2,
            other.to_str().unwrap(),
            "--prefix",
            "mine",
        ],
    );
    assert!(!out.status.success(), "a missing file fails the command");
    let (said, errors) = (stdout(&out), stderr(&out));
    assert!(
        errors.contains("missing-1.jpg") && errors.contains("missing-2.jpg"),
        "{errors}"
    );
    assert!(said.contains("uploaded mine/Dune.jpg"), "{said}");
    assert!(said.contains("uploaded mine/Dune2.jpg"), "{said}");
    let listing = stdout(&stratus(dir.path(), &["store", "ls", "-r", "mine"]));
    assert!(
        listing.contains("mine/Dune.jpg") && listing.contains("mine/Dune2.jpg"),
        "{listing}"
    );
    assert!(!listing.contains("mineDune"), "{listing}");
}

#[test]
fn image_purge_deletes_an_originals_variants_and_a_reupload_purges_too() {
    let dir = tempfile::tempdir().unwrap();
    let key = "demo/landscapes/alpine-dawn.jpg";
    for preset in ["thumb", "card"] {
        let made = stratus(dir.path(), &["image", "get", preset, key]);
        assert!(made.status.success(), "{}", stderr(&made));
        assert!(
            stdout(&made).contains(&format!("variants/{key}/{preset}.")),
            "{}",
            stdout(&made)
        );
    }
    let listing = stdout(&stratus(
        dir.path(),
        &["store", "ls", "-r", "variants/demo"],
    ));
    assert!(listing.contains("alpine-dawn.jpg/thumb."), "{listing}");
    let purged = stratus(dir.path(), &["image", "purge", key]);
    assert!(purged.status.success(), "{}", stderr(&purged));
    assert!(
        stdout(&purged).contains(&format!("{key}: 2 variant(s) purged")),
        "{}",
        stdout(&purged)
    );
    let listing = stdout(&stratus(
        dir.path(),
        &["store", "ls", "-r", "variants/demo"],
    ));
    assert!(!listing.contains("alpine-dawn"), "{listing}");

    // A replacement uploaded over the original purges what was made from it.
    let made = stratus(dir.path(), &["image", "get", "thumb", key]);
    assert!(made.status.success(), "{}", stderr(&made));
    let listing = stdout(&stratus(
        dir.path(),
        &["store", "ls", "-r", "variants/demo"],
    ));
    assert!(listing.contains("alpine-dawn.jpg/thumb."), "{listing}");
    let photo = dir.path().join("alpine-dawn.jpg");
    let got = stratus(
        dir.path(),
        &["store", "get", key, "-o", photo.to_str().unwrap()],
    );
    assert!(got.status.success(), "{}", stderr(&got));
    let up = stratus(
        dir.path(),
        &[
            "image",
            "upload",
            photo.to_str().unwrap(),
            "--prefix",
            "demo/landscapes",
        ],
    );
    assert!(up.status.success(), "{}", stderr(&up));
    let listing = stdout(&stratus(
        dir.path(),
        &["store", "ls", "-r", "variants/demo"],
    ));
    assert!(!listing.contains("alpine-dawn"), "{listing}");
}

#[test]
fn image_focus_sets_prints_and_clears_a_focal_point_and_purges_the_variants() {
    let dir = tempfile::tempdir().unwrap();
    let key = "demo/landscapes/alpine-dawn.jpg";
    let focus = |args: &[&str]| {
        let mut all = vec!["image", "focus", key];
        all.extend_from_slice(args);
        stratus(dir.path(), &all)
    };
    assert!(stdout(&focus(&[])).contains("no focal point"));
    let made = stratus(dir.path(), &["image", "get", "thumb", key]);
    assert!(made.status.success(), "{}", stderr(&made));

    let set = focus(&["0.2,0.8"]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert_eq!(
        stdout(&set).trim(),
        format!("{key}: focal point 0.2,0.8; 1 variant(s) purged")
    );
    assert_eq!(
        stdout(&focus(&[])).trim(),
        format!("{key}: focal point 0.2,0.8")
    );
    for bad in ["2,2", "NaN,0.5", "left"] {
        let refused = focus(&[bad]);
        assert!(!refused.status.success(), "{bad}");
        assert!(
            stderr(&refused).contains("error[invalid_focus]"),
            "{}",
            stderr(&refused)
        );
    }
    assert_eq!(
        stdout(&focus(&[])).trim(),
        format!("{key}: focal point 0.2,0.8"),
        "a refused point changes nothing"
    );
    let cleared = focus(&["--clear"]);
    assert!(cleared.status.success(), "{}", stderr(&cleared));
    assert!(stdout(&cleared).contains("focal point cleared; 0 variant(s) purged"));
    assert!(stdout(&focus(&[])).contains("no focal point"));
}

#[test]
fn presets_publish_to_the_media_bucket_where_the_function_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let published = stratus(dir.path(), &["image", "presets", "--publish"]);
    assert!(published.status.success(), "{}", stderr(&published));
    assert!(
        stdout(&published).contains("published to")
            && stdout(&published).contains("variants/.presets.json"),
        "{}",
        stdout(&published)
    );
    let object = stratus(dir.path(), &["store", "get", "variants/.presets.json"]);
    assert!(object.status.success(), "{}", stderr(&object));
    let catalog = stratus_media::published::from_json(&object.stdout).unwrap();
    assert_eq!(catalog, stratus_media::PresetCatalog::default());

    // Without a cloud profile there is nothing to deploy to; --emit still
    // writes what a pipeline needs.
    let refused = stratus(dir.path(), &["deploy", "--artifact", "/nonexistent.zip"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("error[artifact_missing]"),
        "{}",
        stderr(&refused)
    );
    let zip = dir.path().join("fn.zip");
    std::fs::write(&zip, b"PK zip").unwrap();
    let out = dir.path().join("emitted");
    let emitted = stratus(
        dir.path(),
        &[
            "deploy",
            "--prefix",
            "shop",
            "--artifact",
            zip.to_str().unwrap(),
            "--emit",
            out.to_str().unwrap(),
        ],
    );
    assert!(emitted.status.success(), "{}", stderr(&emitted));
    let template = std::fs::read_to_string(out.join("stratus.yaml")).unwrap();
    assert!(template.contains("AWS::CloudFront::Distribution"));
    assert_eq!(
        std::fs::read(out.join("stratus-lambda.zip")).unwrap(),
        b"PK zip"
    );
    let parameters = std::fs::read_to_string(out.join("parameters.json")).unwrap();
    assert!(parameters.contains("NamePrefix=shop"), "{parameters}");
    let on_demo = stratus(
        dir.path(),
        &["deploy", "--artifact", zip.to_str().unwrap(), "--yes"],
    );
    assert!(
        stderr(&on_demo).contains("demo profile is offline"),
        "{}",
        stderr(&on_demo)
    );
}
