//! Reads of the local store as `stratus serve` makes them: one open per
//! read, object metadata cached per file version. What a user would notice
//! if that went wrong: a replaced object served with the old ETag or the
//! old content type, a range with the wrong bytes, a link followed.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use md5::{Digest, Md5};
use stratus_core::store::{ByteRange, LocalStore, ObjectStore, PutOptions, READ_WHOLE_UP_TO};

fn options(content_type: &str, spec: &str) -> PutOptions {
    PutOptions {
        content_type: Some(content_type.into()),
        metadata: BTreeMap::from([("spec".to_string(), spec.to_string())]),
        ..PutOptions::default()
    }
}

fn etag(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// Two stores on one folder stand for two processes: the app or the CLI
/// replaces an object while `stratus serve` keeps answering it.
#[tokio::test]
async fn a_cached_hit_sees_a_replaced_object_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("bucket");
    let serving = LocalStore::open(&root).unwrap();
    let writer = LocalStore::open(&root).unwrap();
    let key = "variants/a.jpg/card.jpeg";
    writer
        .put(
            key,
            Bytes::from_static(b"first"),
            options("image/jpeg", "1"),
        )
        .await
        .unwrap();
    for _ in 0..2 {
        let got = serving.get(key, None).await.unwrap();
        assert_eq!(got.meta.etag.as_deref(), Some(etag(b"first").as_str()));
        assert_eq!(got.bytes().await.unwrap(), Bytes::from_static(b"first"));
    }

    // Replaced through the store, with the same size.
    writer
        .put(key, Bytes::from_static(b"other"), options("image/png", "2"))
        .await
        .unwrap();
    let got = serving.get(key, None).await.unwrap();
    assert_eq!(got.meta.etag.as_deref(), Some(etag(b"other").as_str()));
    assert_eq!(got.meta.content_type.as_deref(), Some("image/png"));
    assert_eq!(got.meta.metadata.get("spec").map(String::as_str), Some("2"));
    assert_eq!(got.bytes().await.unwrap(), Bytes::from_static(b"other"));
    let head = serving.head(key).await.unwrap().unwrap();
    assert_eq!(head.etag.as_deref(), Some(etag(b"other").as_str()));

    // Rewritten by hand in place (same file, same size, a later mtime): a
    // file put there by hand has no content type and a fresh ETag.
    let path = root.join(key);
    std::fs::write(&path, b"third").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(UNIX_EPOCH + Duration::from_secs(2_000_000_000))
        .unwrap();
    let got = serving.get(key, None).await.unwrap();
    assert_eq!(got.meta.etag.as_deref(), Some(etag(b"third").as_str()));
    assert_eq!(got.meta.content_type, None);
    assert!(got.meta.metadata.is_empty(), "{:?}", got.meta.metadata);
    assert_eq!(got.bytes().await.unwrap(), Bytes::from_static(b"third"));

    writer.delete(key).await.unwrap();
    assert_eq!(
        serving.get(key, None).await.err().unwrap().code(),
        "not_found"
    );
    assert_eq!(serving.head(key).await.unwrap(), None);
}

/// A small object is read whole where it is opened, a large one streams:
/// ranges give the same bytes either way.
#[tokio::test]
async fn ranges_give_their_bytes_small_and_large() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("bucket")).unwrap();
    let size = usize::try_from(READ_WHOLE_UP_TO).unwrap() + 300_000;
    let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    store
        .put(
            "big.bin",
            Bytes::from(content.clone()),
            PutOptions::default(),
        )
        .await
        .unwrap();
    let last = size as u64 - 1;
    let whole = store.get("big.bin", None).await.unwrap();
    assert_eq!(whole.meta.size, size as u64);
    assert_eq!(whole.bytes().await.unwrap(), Bytes::from(content.clone()));
    for (start, end) in [
        (0, Some(9)),
        (1000, Some(1000)),
        (5, Some(READ_WHOLE_UP_TO + 5)), // one byte past the in-memory size
        (7, None),
        (last - 3, None),
        (last - 3, Some(last + 100)), // an end past the object is clipped
        (200_000, Some(last)),
    ] {
        let got = store
            .get("big.bin", Some(ByteRange { start, end }))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let end = end.unwrap_or(last).min(last);
        let want = &content[start as usize..=end as usize];
        assert_eq!(got.len(), want.len(), "{start}-{end}");
        assert!(got == want, "bytes {start}-{end} differ");
    }
    for bad in [
        ByteRange {
            start: size as u64,
            end: None,
        },
        ByteRange {
            start: 10,
            end: Some(9),
        },
    ] {
        let err = store.get("big.bin", Some(bad)).await.err().unwrap();
        assert_eq!(err.code(), "invalid_range", "{bad:?}");
    }
}

/// The cache keeps metadata, never the decision to open: a cached object
/// replaced by a link is refused like any link.
#[cfg(unix)]
#[tokio::test]
async fn a_cached_object_replaced_by_a_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("secret.txt");
    std::fs::write(&outside, "root:x:0:0").unwrap();
    let root = dir.path().join("bucket");
    let store = LocalStore::open(&root).unwrap();
    store
        .put(
            "a/b.txt",
            Bytes::from_static(b"hello"),
            PutOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_bytes("a/b.txt").await.unwrap(),
        Bytes::from_static(b"hello")
    );
    std::fs::remove_file(root.join("a/b.txt")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("a/b.txt")).unwrap();
    assert_eq!(
        store.get_bytes("a/b.txt").await.err().unwrap().code(),
        "symlink"
    );
    assert_eq!(store.head("a/b.txt").await.unwrap_err().code(), "symlink");

    // A folder on the way swapped for a link to a copy outside.
    std::fs::remove_file(root.join("a/b.txt")).unwrap();
    std::fs::remove_dir(root.join("a")).unwrap();
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::write(copy.join("b.txt"), "hello").unwrap();
    std::os::unix::fs::symlink(&copy, root.join("a")).unwrap();
    assert_eq!(
        store.get_bytes("a/b.txt").await.err().unwrap().code(),
        "symlink"
    );
}
