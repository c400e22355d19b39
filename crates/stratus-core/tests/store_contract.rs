//! The `ObjectStore` contract: every case runs against `LocalStore` (a temp
//! dir) and `S3Store` (the S3-compatible server `make test` starts).

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use stratus_core::store::{
    ByteRange, ListRequest, LocalStore, ObjectMeta, ObjectStore, PutOptions, S3Store,
};

async fn put(store: &dyn ObjectStore, key: &str, body: &'static [u8]) {
    store
        .put(key, Bytes::from_static(body), PutOptions::default())
        .await
        .unwrap();
}

async fn all_keys(
    store: &dyn ObjectStore,
    request: ListRequest,
) -> (Vec<String>, Vec<String>, usize) {
    let mut keys = Vec::new();
    let mut folders = Vec::new();
    let mut pages = 0;
    let mut request = request;
    loop {
        let page = store.list(request.clone()).await.unwrap();
        pages += 1;
        keys.extend(page.objects.into_iter().map(|o| o.key));
        folders.extend(page.common_prefixes);
        match page.next_continuation {
            Some(token) => request = request.continue_from(Some(token)),
            None => break,
        }
        assert!(pages < 100, "listing does not terminate");
    }
    (keys, folders, pages)
}

mod cases {
    use super::*;

    pub async fn put_then_get_returns_bytes_and_metadata(store: Arc<dyn ObjectStore>) {
        let mut metadata = BTreeMap::new();
        metadata.insert("Source-Etag".to_string(), "abc123".to_string());
        let written = store
            .put(
                "photos/shoe.jpg",
                Bytes::from_static(b"jpeg bytes"),
                PutOptions {
                    content_type: Some("image/jpeg".into()),
                    cache_control: Some("public, max-age=31536000, immutable".into()),
                    metadata,
                    if_none_match: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(written.size, 10);
        assert!(written.etag.is_some());

        let head = store
            .head("photos/shoe.jpg")
            .await
            .unwrap()
            .expect("object exists");
        assert_eq!(head.size, 10);
        assert_eq!(head.etag, written.etag, "head and put agree on the version");
        assert_eq!(head.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(
            head.cache_control.as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(
            head.metadata.get("source-etag").map(String::as_str),
            Some("abc123"),
            "metadata keys are lower-cased"
        );

        let got = store.get("photos/shoe.jpg", None).await.unwrap();
        assert_eq!(got.meta.etag, written.etag);
        assert_eq!(
            got.bytes().await.unwrap(),
            Bytes::from_static(b"jpeg bytes")
        );
    }

    pub async fn missing_objects_are_not_found(store: Arc<dyn ObjectStore>) {
        assert_eq!(store.head("nope.txt").await.unwrap(), None);
        let err = store
            .get("nope.txt", None)
            .await
            .err()
            .expect("missing key");
        assert_eq!(err.code(), "not_found");
        assert!(err.to_string().contains("nope.txt"));
    }

    pub async fn byte_ranges_return_just_those_bytes(store: Arc<dyn ObjectStore>) {
        put(&*store, "digits.txt", b"0123456789").await;
        let mid = store
            .get(
                "digits.txt",
                Some(ByteRange {
                    start: 2,
                    end: Some(5),
                }),
            )
            .await
            .unwrap();
        assert_eq!(mid.bytes().await.unwrap(), Bytes::from_static(b"2345"));
        let tail = store
            .get(
                "digits.txt",
                Some(ByteRange {
                    start: 7,
                    end: None,
                }),
            )
            .await
            .unwrap();
        assert_eq!(tail.bytes().await.unwrap(), Bytes::from_static(b"789"));
        let err = store
            .get(
                "digits.txt",
                Some(ByteRange {
                    start: 50,
                    end: None,
                }),
            )
            .await
            .err()
            .unwrap();
        assert_eq!(err.code(), "invalid_range");
    }

    pub async fn conditional_create_keeps_the_original(store: Arc<dyn ObjectStore>) {
        let create = PutOptions {
            if_none_match: true,
            ..PutOptions::default()
        };
        store
            .put("once.txt", Bytes::from_static(b"first"), create.clone())
            .await
            .unwrap();
        let err = store
            .put("once.txt", Bytes::from_static(b"second"), create)
            .await
            .err()
            .unwrap();
        assert_eq!(err.code(), "already_exists");
        assert_eq!(
            store.get_bytes("once.txt").await.unwrap(),
            Bytes::from_static(b"first")
        );
    }

    pub async fn racing_conditional_creates_have_one_winner(store: Arc<dyn ObjectStore>) {
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let body = Bytes::from(format!("writer {i}"));
                    store
                        .put(
                            "race.txt",
                            body,
                            PutOptions {
                                if_none_match: true,
                                ..PutOptions::default()
                            },
                        )
                        .await
                        .map(|_| i)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                Ok(i) => winners.push(i),
                Err(e) => assert_eq!(e.code(), "already_exists"),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "exactly one conditional create wins: {winners:?}"
        );
        let stored = store.get_bytes("race.txt").await.unwrap();
        assert_eq!(
            stored,
            Bytes::from(format!("writer {}", winners[0])),
            "the winner's bytes are kept"
        );
    }

    pub async fn overwriting_changes_the_etag(store: Arc<dyn ObjectStore>) {
        let a = store
            .put("v.txt", Bytes::from_static(b"one"), PutOptions::default())
            .await
            .unwrap();
        let b = store
            .put("v.txt", Bytes::from_static(b"two"), PutOptions::default())
            .await
            .unwrap();
        assert_ne!(a.etag, b.etag);
        assert_eq!(store.head("v.txt").await.unwrap().unwrap().etag, b.etag);
        assert_eq!(
            store.get_bytes("v.txt").await.unwrap(),
            Bytes::from_static(b"two")
        );
    }

    pub async fn replacing_metadata_keeps_the_bytes_and_refuses_a_replaced_object(
        store: Arc<dyn ObjectStore>,
    ) {
        let key = "folder/a b+é.jpg";
        let options = PutOptions {
            content_type: Some("image/jpeg".to_string()),
            cache_control: Some("max-age=60".to_string()),
            metadata: BTreeMap::from([("kept".to_string(), "yes".to_string())]),
            if_none_match: false,
        };
        let first = store
            .put(key, Bytes::from_static(b"photo"), options)
            .await
            .unwrap();
        let metadata = BTreeMap::from([
            ("kept".to_string(), "yes".to_string()),
            ("stratus-focus".to_string(), "0.25,0.75".to_string()),
        ]);
        store
            .replace_metadata(&first, metadata.clone())
            .await
            .unwrap();
        let now = store.head(key).await.unwrap().unwrap();
        assert_eq!(now.metadata, metadata);
        assert_eq!(now.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(now.cache_control.as_deref(), Some("max-age=60"));
        assert_eq!(
            store.get_bytes(key).await.unwrap(),
            Bytes::from_static(b"photo")
        );

        // Replaced since the caller looked: the replacement's bytes are
        // never overwritten by the old ones. The local store refuses (as S3
        // does with `x-amz-copy-source-if-match`; moto ignores that header
        // and copies the replacement onto itself, which keeps its bytes).
        store
            .put(key, Bytes::from_static(b"other"), PutOptions::default())
            .await
            .unwrap();
        let stale = store.replace_metadata(&first, BTreeMap::new()).await;
        if !store.location().starts_with("s3://") {
            let err = stale.unwrap_err();
            assert!(err.to_string().contains("replaced meanwhile"), "{err}");
        }
        assert_eq!(
            store.get_bytes(key).await.unwrap(),
            Bytes::from_static(b"other")
        );
        let gone = ObjectMeta {
            key: "missing.jpg".to_string(),
            ..first
        };
        let missing = store.replace_metadata(&gone, BTreeMap::new()).await;
        assert_eq!(missing.unwrap_err().code(), "not_found");
    }

    pub async fn listing_is_lexicographic_by_bytes(store: Arc<dyn ObjectStore>) {
        for key in ["z", "é.txt", "a/c/d", "B.txt", "a-1", "a/b"] {
            put(&*store, key, b"x").await;
        }
        let (keys, _, _) = all_keys(&*store, ListRequest::prefix("")).await;
        assert_eq!(keys, ["B.txt", "a-1", "a/b", "a/c/d", "z", "é.txt"]);

        let (under_a, _, _) = all_keys(&*store, ListRequest::prefix("a/")).await;
        assert_eq!(under_a, ["a/b", "a/c/d"]);
        let (partial, _, _) = all_keys(&*store, ListRequest::prefix("a")).await;
        assert_eq!(
            partial,
            ["a-1", "a/b", "a/c/d"],
            "a prefix may end mid-name"
        );

        let (after, _, _) =
            all_keys(&*store, ListRequest::prefix("").after(Some("a/b".into()))).await;
        assert_eq!(after, ["a/c/d", "z", "é.txt"], "start-after is exclusive");
    }

    pub async fn pages_visit_every_key_once(store: Arc<dyn ObjectStore>) {
        let expected: Vec<String> = (0..7).map(|i| format!("log/{i:03}.txt")).collect();
        for key in &expected {
            store
                .put(key, Bytes::from_static(b"x"), PutOptions::default())
                .await
                .unwrap();
        }
        let (keys, _, pages) = all_keys(&*store, ListRequest::prefix("log/").limit(3)).await;
        assert_eq!(keys, expected);
        assert_eq!(pages, 3);
    }

    pub async fn delimiter_groups_folders(store: Arc<dyn ObjectStore>) {
        for key in [
            "top.txt",
            "2024/01/a.jpg",
            "2024/02/b.jpg",
            "2025/c.jpg",
            "zz/d.jpg",
        ] {
            put(&*store, key, b"x").await;
        }
        let (keys, folders, _) =
            all_keys(&*store, ListRequest::prefix("").with_delimiter('/')).await;
        assert_eq!(keys, ["top.txt"]);
        assert_eq!(folders, ["2024/", "2025/", "zz/"]);

        let (keys, folders, _) =
            all_keys(&*store, ListRequest::prefix("2024/").with_delimiter('/')).await;
        assert!(keys.is_empty());
        assert_eq!(folders, ["2024/01/", "2024/02/"]);

        // Paging one entry at a time must not repeat a folder.
        let (keys, folders, pages) = all_keys(
            &*store,
            ListRequest::prefix("").with_delimiter('/').limit(1),
        )
        .await;
        assert_eq!(keys, ["top.txt"]);
        assert_eq!(folders, ["2024/", "2025/", "zz/"]);
        assert_eq!(pages, 4);
    }

    pub async fn delete_removes_and_tolerates_missing(store: Arc<dyn ObjectStore>) {
        put(&*store, "gone/soon.txt", b"x").await;
        store.delete("gone/soon.txt").await.unwrap();
        assert_eq!(store.head("gone/soon.txt").await.unwrap(), None);
        let (keys, folders, _) =
            all_keys(&*store, ListRequest::prefix("").with_delimiter('/')).await;
        assert!(
            keys.is_empty() && folders.is_empty(),
            "no empty folder left behind: {keys:?} {folders:?}"
        );
        store.delete("never/was.txt").await.unwrap();
    }

    pub async fn large_objects_stream_intact(store: Arc<dyn ObjectStore>) {
        let body: Vec<u8> = (0..6 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        store
            .put("big.bin", Bytes::from(body.clone()), PutOptions::default())
            .await
            .unwrap();
        let got = store.get_bytes("big.bin").await.unwrap();
        assert_eq!(got.len(), body.len());
        assert!(got == body, "content differs");
    }
}

async fn s3_store(label: &str) -> Option<Arc<dyn ObjectStore>> {
    let endpoint = support::endpoint()?;
    let client = support::s3_client(&endpoint);
    let bucket = support::unique_bucket(label);
    support::create_bucket(&client, &bucket).await;
    Some(Arc::new(S3Store::new(client, bucket, endpoint)))
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = super::LocalStore::open(dir.path().join("bucket")).unwrap();
                    super::cases::$case(std::sync::Arc::new(store)).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(store) = super::s3_store("contract").await else { return };
                    super::cases::$case(store).await;
                }
            )*
        }
    };
}

contract!(
    put_then_get_returns_bytes_and_metadata,
    missing_objects_are_not_found,
    byte_ranges_return_just_those_bytes,
    conditional_create_keeps_the_original,
    racing_conditional_creates_have_one_winner,
    overwriting_changes_the_etag,
    replacing_metadata_keeps_the_bytes_and_refuses_a_replaced_object,
    listing_is_lexicographic_by_bytes,
    pages_visit_every_key_once,
    delimiter_groups_folders,
    delete_removes_and_tolerates_missing,
    large_objects_stream_intact,
);
