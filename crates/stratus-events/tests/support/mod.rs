//! Shared by the integration tests: the S3-compatible test server (through
//! `stratus_core::testing`) and batch builders.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use chrono::DateTime;
use serde_json::{json, Value};
use stratus_core::store::{LocalStore, ObjectStore, PutOptions, S3Store};
use stratus_events::collector::batch_key::{batch_key_with_id, BatchKind};
use stratus_events::collector::gzip;
use stratus_events::envelope::format_millis;

#[allow(unused_imports)]
pub use stratus_core::testing::{endpoint, s3_client, unique_bucket};

/// A fresh bucket on the S3-compatible server, or `None` when it is not configured.
pub async fn s3_store(label: &str) -> Option<Arc<dyn ObjectStore>> {
    let endpoint = endpoint()?;
    let client = s3_client(&endpoint);
    let bucket = unique_bucket(label);
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    Some(Arc::new(S3Store::new(client, bucket, endpoint)))
}

pub fn local_store(dir: &tempfile::TempDir) -> Arc<dyn ObjectStore> {
    Arc::new(LocalStore::open(dir.path().join("events-bucket")).unwrap())
}

/// 2026-11-26T15:00:00Z.
pub const T0: i64 = 1_795_705_200_000;
pub const HOUR: i64 = 3_600_000;

/// A deterministic event id for test event `n`.
pub fn event_id(n: u128) -> String {
    uuid::Uuid::from_u128(n).to_string()
}

/// One envelope line as the collector writes it.
pub fn line(n: u128, distinct_id: &str, event: &str, ts: i64) -> String {
    json!({
        "event_id": event_id(n),
        "type": "track",
        "event": event,
        "distinct_id": distinct_id,
        "session_id": format!("s-{distinct_id}-{}", ts / HOUR),
        "received_at": format_millis(ts + 100),
        "ts": format_millis(ts),
        "properties": {"n": n as u64, "plan": if n.is_multiple_of(2) { "pro" } else { "free" }},
        "context": {"url": format!("https://shop.example.com/p/{n}")},
    })
    .to_string()
}

/// The key of a batch written at `ms`, with id `n` (ordering within the ms).
pub fn key_at(ms: i64, n: u8) -> String {
    let id = uuid::Builder::from_unix_timestamp_millis(ms as u64, &[n; 10]).into_uuid();
    batch_key_with_id(
        BatchKind::Events,
        DateTime::from_timestamp_millis(ms).unwrap(),
        id,
    )
}

pub async fn put_batch(store: &dyn ObjectStore, key: &str, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    store
        .put(
            key,
            Bytes::from(gzip(text.as_bytes()).unwrap()),
            PutOptions::default(),
        )
        .await
        .unwrap();
}

/// Gunzips an object of the store into its lines, parsed.
pub async fn read_lines(store: &dyn ObjectStore, key: &str) -> Vec<Value> {
    use std::io::Read;
    let body = store.get_bytes(key).await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub async fn count(db: &stratus_core::db::Db, sql: &'static str) -> i64 {
    db.call(move |c| -> stratus_core::Result<_> { Ok(c.query_row(sql, [], |r| r.get(0))?) })
        .await
        .unwrap()
}
