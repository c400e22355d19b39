//! Multipart upload of large objects against the S3-compatible test server:
//! what goes up in parts comes back byte for byte with its headers, and a
//! failure leaves neither an object nor an unfinished upload behind.
//!
//! Ignored in a plain `cargo test`: once moto has seen a multipart upload its
//! `/moto-api/data.json` (where the campaign tests read the SMS it "sent")
//! answers 500, because the parts are keys without a bucket. `make test` runs
//! these last, after every test that reads that record:
//! `cargo test -p stratus-core --test multipart -- --ignored`.

#![allow(clippy::unwrap_used)]

use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use bytes::Bytes;
use stratus_core::store::{MultipartPolicy, ObjectStore, PutOptions, S3Store};
use stratus_core::testing;

const MIB: u64 = 1024 * 1024;

/// S3 (and moto) refuse parts under 5 MiB but the last, so the smallest
/// honest test uses 5 MiB parts.
fn policy(part_size: u64) -> MultipartPolicy {
    MultipartPolicy {
        threshold: 6 * MIB,
        part_size,
        concurrency: 2,
    }
}

fn photo_sized_body() -> Bytes {
    // 11 MiB and a bit: two full parts and a short last one.
    (0..(11 * MIB + 12_345) as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect::<Vec<u8>>()
        .into()
}

fn options() -> PutOptions {
    PutOptions {
        content_type: Some("image/jpeg".into()),
        cache_control: Some("no-cache".into()),
        metadata: [("source".to_string(), "camera".to_string())].into(),
        if_none_match: false,
    }
}

async fn unfinished_uploads(store: &S3Store) -> usize {
    let out = store
        .client()
        .list_multipart_uploads()
        .bucket(store.bucket())
        .send()
        .await
        .unwrap();
    out.uploads().len()
}

#[tokio::test]
#[ignore = "breaks moto's data.json: make test runs it last, with --ignored"]
async fn a_large_object_goes_up_in_parts_and_round_trips() {
    let Some(endpoint) = testing::endpoint() else {
        return;
    };
    let store = testing::fresh_s3_store(&endpoint, "multipart")
        .await
        .unwrap()
        .with_multipart(policy(5 * MIB));
    let body = photo_sized_body();
    let put = store
        .put("originals/big.jpg", body.clone(), options())
        .await
        .unwrap();
    // A multipart ETag ends in the number of parts.
    assert!(
        put.etag.as_deref().is_some_and(|e| e.ends_with("-3")),
        "expected a 3-part upload, ETag {:?}",
        put.etag
    );

    let head = store.head("originals/big.jpg").await.unwrap().unwrap();
    assert_eq!(head.size, body.len() as u64);
    assert_eq!(head.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(head.cache_control.as_deref(), Some("no-cache"));
    assert_eq!(
        head.metadata.get("source").map(String::as_str),
        Some("camera")
    );
    assert_eq!(head.etag, put.etag);
    let got = store.get_bytes("originals/big.jpg").await.unwrap();
    assert!(got == body, "content differs after a multipart round trip");
    assert_eq!(unfinished_uploads(&store).await, 0);

    // Below the threshold: one plain PutObject (no part count in the ETag).
    let small = store
        .put("originals/small.jpg", body.slice(..MIB as usize), options())
        .await
        .unwrap();
    assert!(!small.etag.unwrap_or_default().contains('-'));
}

/// Fails the upload of one part, as a dropped connection would.
#[derive(Debug)]
struct FailPart(&'static str);

impl Intercept for FailPart {
    fn name(&self) -> &'static str {
        "FailPart"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if context.request().uri().contains(self.0) {
            return Err("injected: connection reset while sending a part".into());
        }
        Ok(())
    }
}

#[tokio::test]
#[ignore = "breaks moto's data.json: make test runs it last, with --ignored"]
async fn a_failing_part_aborts_the_upload_and_leaves_no_object() {
    let Some(endpoint) = testing::endpoint() else {
        return;
    };
    let plain = testing::fresh_s3_store(&endpoint, "multipart-fail")
        .await
        .unwrap();
    let config = plain
        .client()
        .config()
        .to_builder()
        .interceptor(FailPart("partNumber=2"))
        .build();
    let store = S3Store::new(
        aws_sdk_s3::Client::from_conf(config),
        plain.bucket(),
        &endpoint,
    )
    .with_multipart(policy(5 * MIB));

    let err = store
        .put("originals/big.jpg", photo_sized_body(), options())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unreachable", "{err}");
    assert!(err.to_string().contains("connection reset"), "{err}");
    assert_eq!(store.head("originals/big.jpg").await.unwrap(), None);
    assert_eq!(
        unfinished_uploads(&plain).await,
        0,
        "the upload was not aborted"
    );
}

#[tokio::test]
#[ignore = "breaks moto's data.json: make test runs it last, with --ignored"]
async fn a_refused_completion_aborts_too() {
    let Some(endpoint) = testing::endpoint() else {
        return;
    };
    // 1 MiB parts: every part uploads, then S3 refuses to complete
    // (EntityTooSmall); the parts must not linger.
    let store = testing::fresh_s3_store(&endpoint, "multipart-small")
        .await
        .unwrap()
        .with_multipart(policy(MIB));
    let err = store
        .put("originals/big.jpg", photo_sized_body(), options())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("EntityTooSmall"), "{err}");
    assert_eq!(store.head("originals/big.jpg").await.unwrap(), None);
    assert_eq!(unfinished_uploads(&store).await, 0);
}
