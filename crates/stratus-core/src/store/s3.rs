//! `S3Store`: a bucket on AWS S3 or any S3-compatible server.

mod multipart;

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::Bytes;

pub use multipart::MultipartPolicy;

use super::{
    ByteRange, GetObject, ListPage, ListRequest, ObjectMeta, ObjectStore, PutOptions, StoreError,
    StoreResult,
};

/// One S3 bucket through aws-sdk-s3.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    endpoint: String,
    multipart: MultipartPolicy,
}

impl S3Store {
    /// `endpoint` is only used in messages ("cannot reach …").
    pub fn new(client: Client, bucket: impl Into<String>, endpoint: impl Into<String>) -> Self {
        S3Store {
            client,
            bucket: bucket.into(),
            endpoint: endpoint.into(),
            multipart: MultipartPolicy::default(),
        }
    }

    /// Changes when and how large bodies go up in parts (tests use small
    /// thresholds; the default suits photos: above 16 MiB, 8 MiB parts).
    pub fn with_multipart(mut self, policy: MultipartPolicy) -> Self {
        self.multipart = policy;
        self
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn target(&self, key: &str) -> String {
        if key.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, key)
        }
    }

    fn map_err<E>(
        &self,
        key: &str,
        err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        classify_sdk_error(err, &self.bucket, key, &self.target(key), &self.endpoint)
    }
}

/// What a CopyObject source escapes: everything but unreserved characters
/// and the `/` between a key's folders.
const COPY_SOURCE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Turns an SDK error into a [`StoreError`] a person can act on.
pub(crate) fn classify_sdk_error<E, R>(
    err: SdkError<E, R>,
    bucket: &str,
    key: &str,
    target: &str,
    endpoint: &str,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let chain = error_chain(&err);
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            if chain.contains("credentials") || chain.contains("Credentials") {
                StoreError::NoCredentials { message: chain }
            } else {
                StoreError::Unreachable {
                    endpoint: endpoint.to_string(),
                    message: chain,
                }
            }
        }
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let message = e.message().unwrap_or("").to_string();
            match code.as_str() {
                "NoSuchBucket" => StoreError::NoSuchBucket {
                    bucket: bucket.to_string(),
                },
                "NoSuchKey" | "NotFound" => StoreError::NotFound {
                    key: key.to_string(),
                },
                "AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "Forbidden" => {
                    StoreError::AccessDenied {
                        target: target.to_string(),
                    }
                }
                "PreconditionFailed" => StoreError::AlreadyExists {
                    key: key.to_string(),
                },
                "InvalidRange" => StoreError::InvalidRange {
                    key: key.to_string(),
                },
                _ => StoreError::Service {
                    target: target.to_string(),
                    code,
                    message,
                },
            }
        }
        _ if chain.contains("credentials") => StoreError::NoCredentials { message: chain },
        _ => StoreError::Service {
            target: target.to_string(),
            code: "Unknown".to_string(),
            message: chain,
        },
    }
}

/// The error and its sources on one line: the SDK's top-level text alone
/// ("dispatch failure") does not say what to fix.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn strip_quotes(etag: &str) -> String {
    etag.trim_matches('"').to_string()
}

fn to_millis(t: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<i64> {
    t.and_then(|t| t.to_millis().ok())
}

/// An object's `ObjectMeta` from a GetObject or HeadObject output: the SDK
/// gives the two the same header accessors but no common trait, so a macro
/// keeps one reading of them (size, quotes, lower-case metadata keys).
macro_rules! object_meta {
    ($key:expr, $out:expr) => {
        ObjectMeta {
            key: $key.to_string(),
            size: $out
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            etag: $out.e_tag().map(strip_quotes),
            last_modified: to_millis($out.last_modified()),
            content_type: $out.content_type().map(str::to_string),
            cache_control: $out.cache_control().map(str::to_string),
            metadata: $out
                .metadata()
                .map(|m| lowercase_keys(m))
                .unwrap_or_default(),
        }
    };
}

/// User metadata with lower-case keys, as S3 stores them.
fn lowercase_keys<'a, C: FromIterator<(String, String)>>(
    metadata: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> C {
    metadata
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect()
}

#[async_trait]
impl ObjectStore for S3Store {
    fn location(&self) -> String {
        format!("s3://{}", self.bucket)
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> StoreResult<GetObject> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_range(range.map(ByteRange::to_header))
            .send()
            .await
            .map_err(|e| self.map_err(key, e))?;
        let meta = object_meta!(key, out);
        Ok(GetObject::streamed(
            meta,
            Box::pin(out.body.into_async_read()),
        ))
    }

    async fn put(&self, key: &str, body: Bytes, options: PutOptions) -> StoreResult<ObjectMeta> {
        let size = body.len() as u64;
        let metadata: HashMap<String, String> = lowercase_keys(&options.metadata);
        // A conditional create stays one PutObject (up to 5 GB): it is only
        // used for variants, which are small.
        let etag = if self.multipart.applies_to(size) && !options.if_none_match {
            self.put_multipart(key, body, &options, &metadata).await?
        } else {
            let mut request = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .body(ByteStream::from(body))
                .set_content_type(options.content_type.clone())
                .set_cache_control(options.cache_control.clone())
                .set_metadata((!metadata.is_empty()).then(|| metadata.clone()));
            if options.if_none_match {
                request = request.if_none_match("*");
            }
            let out = request.send().await.map_err(|e| self.map_err(key, e))?;
            out.e_tag().map(strip_quotes)
        };
        Ok(ObjectMeta {
            key: key.to_string(),
            size,
            etag,
            last_modified: Some(crate::clock::now_millis()),
            content_type: options.content_type,
            cache_control: options.cache_control,
            metadata: metadata.into_iter().collect(),
        })
    }

    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        let result = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => return Ok(None),
            Err(e) => return Err(self.map_err(key, e)),
        };
        Ok(Some(object_meta!(key, out)))
    }

    async fn list(&self, request: ListRequest) -> StoreResult<ListPage> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&request.prefix)
            .set_start_after(request.start_after.clone())
            .set_continuation_token(request.continuation.clone())
            .set_delimiter(request.delimiter.map(String::from))
            .max_keys(i32::try_from(request.limit).unwrap_or(1000))
            .send()
            .await
            .map_err(|e| self.map_err(&request.prefix, e))?;
        let objects = out
            .contents()
            .iter()
            .filter_map(|o| {
                Some(ObjectMeta {
                    key: o.key()?.to_string(),
                    size: o.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                    etag: o.e_tag().map(strip_quotes),
                    last_modified: to_millis(o.last_modified()),
                    content_type: None,
                    cache_control: None,
                    metadata: Default::default(),
                })
            })
            .collect();
        let common_prefixes = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix().map(str::to_string))
            .collect();
        let next_continuation = if out.is_truncated().unwrap_or(false) {
            out.next_continuation_token().map(str::to_string)
        } else {
            None
        };
        Ok(ListPage {
            objects,
            common_prefixes,
            next_continuation,
        })
    }

    async fn presigned_get(
        &self,
        key: &str,
        expires_in: std::time::Duration,
    ) -> StoreResult<Option<String>> {
        let config = PresigningConfig::expires_in(expires_in).map_err(|e| StoreError::Service {
            target: self.target(key),
            code: "InvalidPresignExpiry".to_string(),
            message: e.to_string(),
        })?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| self.map_err(key, e))?;
        Ok(Some(request.uri().to_string()))
    }

    /// One CopyObject of the object onto itself with the new metadata
    /// (`REPLACE`, which also needs the content type and cache control
    /// given again), only if it still has the ETag the caller saw. On AWS
    /// the copy raises an `ObjectCreated:Copy` notification like any write.
    async fn replace_metadata(
        &self,
        current: &ObjectMeta,
        metadata: std::collections::BTreeMap<String, String>,
    ) -> StoreResult<ObjectMeta> {
        let key = current.key.as_str();
        let metadata: HashMap<String, String> = lowercase_keys(&metadata);
        let source = format!(
            "{}/{}",
            self.bucket,
            percent_encoding::utf8_percent_encode(key, COPY_SOURCE)
        );
        let mut request = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(key)
            .copy_source(source)
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
            .set_content_type(current.content_type.clone())
            .set_cache_control(current.cache_control.clone())
            .set_metadata(Some(metadata.clone()));
        if let Some(etag) = &current.etag {
            request = request.copy_source_if_match(format!("\"{etag}\""));
        }
        let out = request
            .send()
            .await
            .map_err(|e| match self.map_err(key, e) {
                // `PreconditionFailed`: the ETag no longer matches.
                StoreError::AlreadyExists { .. } => super::object_changed(key),
                other => other,
            })?;
        Ok(ObjectMeta {
            etag: out
                .copy_object_result()
                .and_then(|r| r.e_tag())
                .map(strip_quotes),
            last_modified: Some(crate::clock::now_millis()),
            metadata: metadata.into_iter().collect(),
            ..current.clone()
        })
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.map_err(key, e))?;
        Ok(())
    }
}
