//! Multipart upload for large objects: create → parts in parallel (bounded)
//! → complete. Any failure, or the upload being dropped half-way (a closed
//! window, a cancelled job), aborts it, so S3 keeps neither a partial object
//! nor an orphaned upload that is billed until a lifecycle rule finds it.

use std::collections::HashMap;

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use super::S3Store;
use crate::store::{PutOptions, StoreError, StoreResult};

/// When and how `S3Store::put` splits a body into parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartPolicy {
    /// Bodies larger than this go up in parts.
    pub threshold: u64,
    /// Size of each part but the last. S3 needs at least 5 MiB.
    pub part_size: u64,
    /// Parts in flight at once.
    pub concurrency: usize,
}

impl Default for MultipartPolicy {
    fn default() -> Self {
        MultipartPolicy {
            threshold: 16 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            concurrency: 4,
        }
    }
}

impl MultipartPolicy {
    /// Whether a body of `size` bytes goes up in parts.
    pub fn applies_to(&self, size: u64) -> bool {
        size > self.threshold
    }
}

/// One upload under way: aborts itself when dropped before completing.
struct PendingUpload {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
    completed: bool,
}

impl PendingUpload {
    async fn abort(&mut self) {
        self.completed = true; // the drop guard has nothing left to do
        abort(&self.client, &self.bucket, &self.key, &self.upload_id).await;
    }
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        if self.completed {
            return;
        }
        // Dropped mid-upload (the caller's future was cancelled): abort in the
        // background, since Drop cannot wait.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (client, bucket, key, id) = (
                self.client.clone(),
                self.bucket.clone(),
                self.key.clone(),
                self.upload_id.clone(),
            );
            runtime.spawn(async move { abort(&client, &bucket, &key, &id).await });
        }
    }
}

async fn abort(client: &Client, bucket: &str, key: &str, upload_id: &str) {
    let result = client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await;
    if let Err(e) = result {
        tracing::warn!(bucket, key, upload_id, error = %super::error_chain(&e),
            "could not abort a failed multipart upload; a bucket lifecycle rule for incomplete uploads will remove it");
    }
}

impl S3Store {
    /// Uploads `body` in parts and returns the new object's ETag.
    pub(super) async fn put_multipart(
        &self,
        key: &str,
        body: Bytes,
        options: &PutOptions,
        metadata: &HashMap<String, String>,
    ) -> StoreResult<Option<String>> {
        let (client, bucket, policy) = (&self.client, self.bucket.as_str(), self.multipart);
        let created = client
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .set_content_type(options.content_type.clone())
            .set_cache_control(options.cache_control.clone())
            .set_metadata((!metadata.is_empty()).then(|| metadata.clone()))
            .send()
            .await
            .map_err(|e| self.map_err(key, e))?;
        let upload_id = created.upload_id().ok_or_else(|| StoreError::Service {
            target: self.target(key),
            code: "NoUploadId".to_string(),
            message: "CreateMultipartUpload answered without an upload id".to_string(),
        })?;
        let mut pending = PendingUpload {
            client: client.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            upload_id: upload_id.to_string(),
            completed: false,
        };

        let part_size = usize::try_from(policy.part_size.max(1)).unwrap_or(usize::MAX);
        let parts = (0..body.len().div_ceil(part_size)).map(|i| {
            let start = i * part_size;
            let chunk = body.slice(start..(start + part_size).min(body.len()));
            let number = i32::try_from(i + 1).unwrap_or(i32::MAX);
            let request = client
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(chunk.into());
            async move {
                let out = request.send().await?;
                Ok(CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_string))
                    .build())
            }
        });
        let uploaded: Result<Vec<CompletedPart>, _> = futures::stream::iter(parts)
            .buffer_unordered(policy.concurrency.max(1))
            .try_collect()
            .await;
        let mut uploaded = match uploaded {
            Ok(parts) => parts,
            Err(e) => {
                pending.abort().await;
                return Err(self.map_err(key, e));
            }
        };
        uploaded.sort_by_key(|p| p.part_number());

        let completed = client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(uploaded))
                    .build(),
            )
            .send()
            .await;
        match completed {
            Ok(out) => {
                pending.completed = true;
                Ok(out.e_tag().map(|t| t.trim_matches('"').to_string()))
            }
            Err(e) => {
                pending.abort().await;
                Err(self.map_err(key, e))
            }
        }
    }
}
