//! What the function asks AWS itself when it runs on Lambda: its signing
//! keys (Secrets Manager), the distribution it invalidates (an SSM
//! parameter the deploy writes once the distribution exists, which the
//! function's environment cannot name without a cycle), CloudFront, and
//! the collector's Firehose stream.

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use aws_sdk_firehose::primitives::Blob;
use aws_sdk_firehose::types::Record;
use bytes::Bytes;
use stratus_core::store::error_chain;

use crate::event_stream::{EventStream, StreamError};
use crate::original_changes::Cdn;
use crate::signature::{KeySource, SigningKey, SigningKeyError, SigningPolicy};

/// The signing keys stored in a secret (see
/// [`SigningPolicy::keys_from_secret`] for its format).
pub async fn signing_keys(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<Vec<SigningKey>, String> {
    let secret = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| format!("reading secret {secret_id}: {}", error_chain(&e)))?;
    let text = secret
        .secret_string()
        .ok_or_else(|| format!("secret {secret_id} holds no text"))?;
    SigningPolicy::keys_from_secret(text)
        .map_err(|e: SigningKeyError| format!("secret {secret_id}: {e}"))
}

/// The signing keys' secret, read again by a running function so that a
/// rotation (`stratus keys rotate`) reaches warm instances.
pub struct SecretKeys {
    pub client: aws_sdk_secretsmanager::Client,
    pub secret_id: String,
}

#[async_trait]
impl KeySource for SecretKeys {
    async fn keys(&self) -> Result<Vec<SigningKey>, String> {
        signing_keys(&self.client, &self.secret_id).await
    }
}

/// The distribution id the deploy recorded, if it did (no CDN with website
/// wiring).
pub async fn distribution_id(
    client: &aws_sdk_ssm::Client,
    parameter: &str,
) -> Result<Option<String>, String> {
    match client.get_parameter().name(parameter).send().await {
        Ok(answer) => Ok(answer
            .parameter()
            .and_then(|p| p.value())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_parameter_not_found()) =>
        {
            Ok(None)
        }
        Err(e) => Err(format!(
            "reading parameter {parameter}: {}",
            error_chain(&e)
        )),
    }
}

/// CloudFront in front of the media bucket.
pub struct CloudFront {
    pub client: aws_sdk_cloudfront::Client,
    pub distribution_id: String,
}

#[async_trait]
impl Cdn for CloudFront {
    async fn invalidate(&self, paths: &[String]) -> Result<(), String> {
        let items = Paths::builder()
            .quantity(paths.len() as i32)
            .set_items(Some(paths.to_vec()))
            .build()
            .map_err(|e| e.to_string())?;
        let batch = InvalidationBatch::builder()
            .paths(items)
            // Unique per call: a retried event is a new invalidation, which
            // is what a retry after a failed purge needs.
            .caller_reference(uuid::Uuid::now_v7().to_string())
            .build()
            .map_err(|e| e.to_string())?;
        self.client
            .create_invalidation()
            .distribution_id(&self.distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        Ok(())
    }
}

/// Amazon Data Firehose as the collector's delivery stream (the deploy's
/// `--firehose`; `STRATUS_FIREHOSE_STREAM` names it).
pub struct Firehose {
    pub client: aws_sdk_firehose::Client,
    pub stream: String,
}

/// PutRecordBatch takes at most 500 records and 4 MiB per call.
const BATCH_RECORDS: usize = 500;
const BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Records Firehose refused in a call (throttled, briefly unavailable) are
/// sent again this many times, after a short wait, before the request fails.
const RESENDS: u32 = 3;

#[async_trait]
impl EventStream for Firehose {
    async fn send(&self, records: Vec<Bytes>) -> Result<(), StreamError> {
        let mut batch: Vec<Bytes> = Vec::new();
        let mut bytes = 0;
        for record in records {
            if batch.len() == BATCH_RECORDS || bytes + record.len() > BATCH_BYTES {
                self.put_batch(std::mem::take(&mut batch)).await?;
                bytes = 0;
            }
            bytes += record.len();
            batch.push(record);
        }
        if !batch.is_empty() {
            self.put_batch(batch).await?;
        }
        Ok(())
    }

    fn name(&self) -> &str {
        &self.stream
    }
}

impl Firehose {
    /// One PutRecordBatch, then again with only the records it refused
    /// (a call can succeed for some records and fail others).
    async fn put_batch(&self, mut pending: Vec<Bytes>) -> Result<(), StreamError> {
        for attempt in 0..=RESENDS {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
            }
            let records = pending
                .iter()
                .map(|data| {
                    Record::builder()
                        .data(Blob::new(data.to_vec()))
                        .build()
                        .map_err(|e| StreamError(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let answer = self
                .client
                .put_record_batch()
                .delivery_stream_name(&self.stream)
                .set_records(Some(records))
                .send()
                .await
                .map_err(|e| StreamError(error_chain(&e)))?;
            if answer.failed_put_count() == 0 {
                return Ok(());
            }
            // Answers come in the records' order; keep the refused ones.
            let refused: Vec<bool> = answer
                .request_responses()
                .iter()
                .map(|r| r.error_code().is_some())
                .collect();
            let mut index = 0;
            pending.retain(|_| {
                let keep = refused.get(index).copied().unwrap_or(true);
                index += 1;
                keep
            });
            tracing::warn!(
                stream = %self.stream,
                refused = pending.len(),
                "Firehose refused records; sending them again"
            );
        }
        Err(StreamError(format!(
            "Firehose refused {} record(s) {} times",
            pending.len(),
            RESENDS + 1
        )))
    }
}
