//! Managing originals from the CLI as an editor would: a small original is
//! never enlarged, placeholders print, and delete / move take the variants
//! with them. On the demo profile's folders and on the S3-compatible server.

#![allow(clippy::unwrap_used)]

use std::path::Path;

mod support;
use support::{s3_endpoint, stratus, use_s3_profile};

/// A 1×1 red PNG: the file from the report that opened the issue.
const DOT_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0cIDAT\x78\x9c\x63\x38\x21\x27\x07\x00\x02\xb6\x01\x05\x34\xa6\x75\xaa\x00\x00\x00\x00IEND\xae\x42\x60\x82";

/// Runs a command that must succeed; its stdout.
fn ok(data_dir: &Path, args: &[&str]) -> String {
    let out = stratus(data_dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must fail; its stderr.
fn fails(data_dir: &Path, args: &[&str]) -> String {
    let out = stratus(data_dir, args);
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The whole journey on the profile in use in `dir`; `files` holds a demo
/// photo and the 1×1 PNG.
fn journey(dir: &Path, files: &Path) {
    let photo = files.join("alpine-dawn.jpg");
    let dot = files.join("dot.png");
    ok(
        dir,
        &[
            "image",
            "upload",
            photo.to_str().unwrap(),
            dot.to_str().unwrap(),
            "--prefix",
            "shop",
        ],
    );

    // No fit enlarges the dot; a large photo still gets the full box.
    for preset in ["thumb", "card"] {
        let made = ok(dir, &["image", "get", preset, "shop/dot.png"]);
        assert!(made.contains("(1×1,"), "{preset}: {made}");
        let made = ok(dir, &["image", "get", preset, "shop/alpine-dawn.jpg"]);
        let full = if preset == "thumb" {
            "(160×160,"
        } else {
            "(480×320,"
        };
        assert!(made.contains(full), "{preset}: {made}");
    }

    let placeholder = ok(dir, &["image", "placeholder", "shop/alpine-dawn.jpg"]);
    assert!(
        placeholder.contains("thumbhash ")
            && placeholder.contains("lqip      data:image/webp;base64,"),
        "{placeholder}"
    );

    let moved = ok(
        dir,
        &["image", "move", "shop/alpine-dawn.jpg", "archive/dawn.jpg"],
    );
    assert!(
        moved.contains("2 variant(s) of the old key purged"),
        "{moved}"
    );
    let listing = ok(dir, &["store", "ls", "-r", ""]);
    assert!(listing.contains("archive/dawn.jpg"), "{listing}");
    assert!(
        !listing.contains("shop/alpine-dawn.jpg"),
        "original and variants gone: {listing}"
    );
    let made = ok(dir, &["image", "get", "card", "archive/dawn.jpg"]);
    assert!(made.contains("made in"), "{made}");

    let refused = fails(dir, &["image", "move", "archive/dawn.jpg", "shop/dot.png"]);
    assert!(refused.contains("error[original_exists]"), "{refused}");

    let deleted = ok(dir, &["image", "delete", "shop/dot.png"]);
    assert!(
        deleted.contains("deleted shop/dot.png and 2 variant(s)"),
        "{deleted}"
    );
    let listing = ok(dir, &["store", "ls", "-r", ""]);
    assert!(!listing.contains("dot.png"), "{listing}");
    let again = fails(dir, &["image", "delete", "shop/dot.png"]);
    assert!(again.contains("error[original_not_found]"), "{again}");
}

/// A demo photo and the dot, written to `files`.
fn write_files(files: &Path) {
    let demo = tempfile::tempdir().unwrap();
    let photo = files.join("alpine-dawn.jpg");
    ok(
        demo.path(),
        &[
            "store",
            "get",
            "demo/landscapes/alpine-dawn.jpg",
            "-o",
            photo.to_str().unwrap(),
        ],
    );
    std::fs::write(files.join("dot.png"), DOT_PNG).unwrap();
}

#[test]
fn originals_are_managed_in_demo_mode() {
    let (dir, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_files(files.path());
    journey(dir.path(), files.path());
}

#[test]
fn originals_are_managed_on_the_s3_compatible_server() {
    let Some(endpoint) = s3_endpoint() else {
        return;
    };
    let (dir, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_files(files.path());
    use_s3_profile(dir.path(), &endpoint, "img");
    journey(dir.path(), files.path());
}
