//! A local bucket never follows a symbolic link: not to read, list, or write.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::symlink;

use bytes::Bytes;
use stratus_core::store::{ListRequest, LocalStore, ObjectStore, PutOptions};

struct Bucket {
    store: LocalStore,
    outside: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// A bucket with a file link and a folder link, both pointing outside it.
fn bucket_with_links() -> Bucket {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "root:x:0:0").unwrap();
    let store = LocalStore::open(dir.path().join("bucket")).unwrap();
    let root = store.root().to_path_buf();
    std::fs::create_dir(root.join("photos")).unwrap();
    std::fs::write(root.join("photos/real.jpg"), "real").unwrap();
    symlink(outside.join("secret.txt"), root.join("photos/link.jpg")).unwrap();
    symlink(&outside, root.join("escape")).unwrap();
    Bucket {
        store,
        outside,
        _dir: dir,
    }
}

#[tokio::test]
async fn reads_refuse_links_to_files_and_folders_outside() {
    let b = bucket_with_links();
    assert_eq!(
        b.store.get_bytes("photos/real.jpg").await.unwrap(),
        Bytes::from("real")
    );
    for key in ["photos/link.jpg", "escape/secret.txt"] {
        let err = b.store.get_bytes(key).await.err().unwrap();
        assert_eq!(err.code(), "symlink", "{key}: {err}");
        let err = b.store.head(key).await.unwrap_err();
        assert_eq!(err.code(), "symlink", "{key}: {err}");
    }
}

#[tokio::test]
async fn listings_do_not_enter_or_show_links() {
    let b = bucket_with_links();
    let all = b.store.list(ListRequest::prefix("")).await.unwrap();
    let keys: Vec<_> = all.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["photos/real.jpg"]);
    let inside = b.store.list(ListRequest::prefix("escape/")).await.unwrap();
    assert!(inside.objects.is_empty(), "{:?}", inside.objects);
}

#[tokio::test]
async fn writes_never_land_outside_through_a_linked_folder() {
    let b = bucket_with_links();
    let err = b
        .store
        .put(
            "escape/planted.txt",
            Bytes::from("x"),
            PutOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "symlink", "{err}");
    assert!(!b.outside.join("planted.txt").exists());
    let err = b.store.delete("escape/secret.txt").await.unwrap_err();
    assert_eq!(err.code(), "symlink", "{err}");
    assert!(b.outside.join("secret.txt").exists());
}
