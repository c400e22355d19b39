//! What only the local store must guarantee: keys never escape its folder,
//! writes are atomic, and files put there by hand are objects too.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use stratus_core::store::{ListRequest, LocalStore, ObjectStore, PutOptions};

#[tokio::test]
async fn keys_that_would_escape_the_bucket_are_refused_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("bucket")).unwrap();
    for key in [
        "../outside.txt",
        "/etc/passwd",
        "a/../../outside.txt",
        "a\0b",
        "a//b",
        ".stratus/meta/x.json",
    ] {
        let put = store
            .put(key, Bytes::from_static(b"x"), PutOptions::default())
            .await;
        assert_eq!(put.unwrap_err().code(), "invalid_key", "put {key:?}");
        assert_eq!(
            store.get(key, None).await.err().unwrap().code(),
            "invalid_key",
            "get {key:?}"
        );
        assert_eq!(
            store.head(key).await.unwrap_err().code(),
            "invalid_key",
            "head {key:?}"
        );
        assert_eq!(
            store.delete(key).await.unwrap_err().code(),
            "invalid_key",
            "delete {key:?}"
        );
    }
    assert!(!dir.path().join("outside.txt").exists());
}

#[tokio::test]
async fn writes_leave_no_temp_files_and_hand_placed_files_are_listed() {
    let dir = tempfile::tempdir().unwrap();
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
        std::fs::read_dir(root.join(".stratus/tmp"))
            .unwrap()
            .count(),
        0
    );

    std::fs::write(root.join("by-hand.txt"), b"dropped in a file manager").unwrap();
    let listed = store.list(ListRequest::prefix("")).await.unwrap();
    let keys: Vec<_> = listed.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["a/b.txt", "by-hand.txt"], ".stratus is not listed");
    let head = store.head("by-hand.txt").await.unwrap().unwrap();
    assert_eq!(head.size, 25);
    assert!(head.etag.is_some(), "a hand-placed file gets an etag");

    // Replacing the file by hand invalidates what Stratus remembered of it.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(root.join("a/b.txt"), b"changed by hand").unwrap();
    let changed = store.head("a/b.txt").await.unwrap().unwrap();
    assert_eq!(changed.size, 15);
    assert_ne!(
        changed.etag.as_deref(),
        Some("5d41402abc4b2a76b9719d911017c592"),
        "stale etag of `hello`"
    );
}

#[tokio::test]
async fn a_key_cannot_be_both_object_and_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("bucket")).unwrap();
    store
        .put("a", Bytes::from_static(b"x"), PutOptions::default())
        .await
        .unwrap();
    let err = store
        .put("a/b", Bytes::from_static(b"y"), PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_key");
    assert!(err.to_string().contains("already an object"), "{err}");
    assert_eq!(
        store.get_bytes("a").await.unwrap(),
        Bytes::from_static(b"x")
    );
}

/// A reader that finds an object the moment a put places it sees the put's
/// metadata, never a bare description of the file: two stores on one
/// folder stand for two processes (a conditional create's loser reads the
/// winner's object at once and judges it by its metadata).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_is_never_seen_without_the_metadata_it_was_put_with() {
    let dir = tempfile::tempdir().unwrap();
    let writer = LocalStore::open(dir.path().join("bucket")).unwrap();
    let reader = LocalStore::open(dir.path().join("bucket")).unwrap();
    for round in 0..200 {
        let key = format!("race/{round}.bin");
        let watch = {
            let (reader, key) = (reader.clone(), key.clone());
            tokio::spawn(async move {
                loop {
                    if let Some(meta) = reader.head(&key).await.unwrap() {
                        return meta;
                    }
                    tokio::task::yield_now().await;
                }
            })
        };
        let options = PutOptions {
            content_type: Some("application/x-test".into()),
            metadata: [("made-by".to_string(), "writer".to_string())].into(),
            if_none_match: true,
            ..PutOptions::default()
        };
        writer
            .put(&key, Bytes::from(vec![round as u8; 4096]), options)
            .await
            .unwrap();
        let seen = watch.await.unwrap();
        assert_eq!(
            seen.metadata.get("made-by").map(String::as_str),
            Some("writer"),
            "round {round}: the reader saw {seen:?}"
        );
        assert_eq!(seen.content_type.as_deref(), Some("application/x-test"));
    }
}
