//! The `ObjectStore` port: what Stratus needs from S3, and two implementations
//! of it — [`S3Store`] on aws-sdk-s3 and [`LocalStore`] on a local directory.
//!
//! Both pass the same contract suite (`tests/store_contract.rs`), so a
//! capability written against the trait behaves the same in demo mode and in
//! the cloud.

mod error;
mod gated;
mod key;
mod local;
mod no_follow;
mod s3;
mod types;

use std::io::Cursor;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

pub use error::StoreError;
pub use gated::GatedStore;
pub use key::validate_key;
pub use local::{LocalStore, READ_WHOLE_UP_TO};
pub(crate) use s3::error_chain as error_chain_of;
pub use s3::{error_chain, MultipartPolicy, S3Store};
pub use types::{ByteRange, ListPage, ListRequest, ObjectMeta, PutOptions};

pub type StoreResult<T> = Result<T, StoreError>;

/// A streamed object body.
pub type ObjectReader = Pin<Box<dyn AsyncRead + Send>>;

/// An object's bytes: already in memory (a small local object is read
/// whole where it is opened), or a stream.
pub enum ObjectBody {
    Loaded(Cursor<Bytes>),
    Stream(ObjectReader),
}

impl AsyncRead for ObjectBody {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ObjectBody::Loaded(cursor) => Pin::new(cursor).poll_read(cx, buf),
            ObjectBody::Stream(reader) => reader.as_mut().poll_read(cx, buf),
        }
    }
}

/// What [`ObjectStore::replace_metadata`] answers when the object was
/// replaced after the caller looked at it.
pub fn object_changed(key: &str) -> StoreError {
    StoreError::Service {
        target: key.to_string(),
        code: "ObjectChanged".to_string(),
        message: "it was replaced meanwhile; look at it again and retry".to_string(),
    }
}

/// An object being read: its metadata and its bytes.
pub struct GetObject {
    pub meta: ObjectMeta,
    pub body: ObjectBody,
}

impl GetObject {
    /// An object whose body is a stream.
    pub fn streamed(meta: ObjectMeta, body: ObjectReader) -> Self {
        GetObject {
            meta,
            body: ObjectBody::Stream(body),
        }
    }

    /// An object whose body was read already.
    pub fn loaded(meta: ObjectMeta, bytes: Bytes) -> Self {
        GetObject {
            meta,
            body: ObjectBody::Loaded(Cursor::new(bytes)),
        }
    }

    /// Reads the whole body into memory (what is left of it). For objects a
    /// caller knows are small; a loaded body is handed over without a copy.
    pub async fn bytes(self) -> StoreResult<Bytes> {
        let mut reader = match self.body {
            ObjectBody::Loaded(cursor) => {
                let at = usize::try_from(cursor.position()).unwrap_or(usize::MAX);
                let bytes = cursor.into_inner();
                return Ok(bytes.slice(at.min(bytes.len())..));
            }
            ObjectBody::Stream(reader) => reader,
        };
        let mut buf = Vec::with_capacity(usize::try_from(self.meta.size).unwrap_or(0));
        reader
            .read_to_end(&mut buf)
            .await
            .map_err(|e| StoreError::Io {
                key: self.meta.key.clone(),
                message: e.to_string(),
            })?;
        Ok(Bytes::from(buf))
    }
}

/// One bucket of objects. Keys are `/`-separated; listing is lexicographic by
/// UTF-8 bytes, as in S3.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// A short human description: `s3://bucket` or the local directory.
    fn location(&self) -> String;

    /// Streams an object, or the given byte range of it.
    async fn get(&self, key: &str, range: Option<ByteRange>) -> StoreResult<GetObject>;

    /// Stores an object. With `options.if_none_match`, fails with
    /// [`StoreError::AlreadyExists`] instead of replacing an existing key.
    async fn put(&self, key: &str, body: Bytes, options: PutOptions) -> StoreResult<ObjectMeta>;

    /// Metadata of an object, `None` if it does not exist.
    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>>;

    /// One page of keys under a prefix, after `start_after`.
    async fn list(&self, request: ListRequest) -> StoreResult<ListPage>;

    /// Deletes an object; deleting a missing key is not an error (as in S3).
    async fn delete(&self, key: &str) -> StoreResult<()>;

    /// A URL anyone may GET the object from until `expires_in` has passed,
    /// for handing large objects to a client instead of relaying them.
    /// `None` when the store has no such URLs (a local directory).
    async fn presigned_get(
        &self,
        _key: &str,
        _expires_in: std::time::Duration,
    ) -> StoreResult<Option<String>> {
        Ok(None)
    }

    /// Replaces an object's user metadata, keeping its bytes, content type
    /// and cache control. `current` is the object as the caller last saw
    /// it (from [`ObjectStore::head`]): if it has been replaced since (its
    /// ETag differs), nothing is written and the answer is
    /// [`object_changed`]. S3 does it with one CopyObject onto itself; this
    /// default reads the object and puts it back, which is enough for a
    /// local directory (a replacement landing between the two steps is
    /// overwritten: one desktop's race).
    async fn replace_metadata(
        &self,
        current: &ObjectMeta,
        metadata: std::collections::BTreeMap<String, String>,
    ) -> StoreResult<ObjectMeta> {
        let object = self.get(&current.key, None).await?;
        if object.meta.etag != current.etag {
            return Err(object_changed(&current.key));
        }
        let options = PutOptions {
            content_type: object.meta.content_type.clone(),
            cache_control: object.meta.cache_control.clone(),
            metadata,
            if_none_match: false,
        };
        let bytes = object.bytes().await?;
        self.put(&current.key, bytes, options).await
    }

    /// Whole object in memory; a convenience over [`ObjectStore::get`].
    async fn get_bytes(&self, key: &str) -> StoreResult<Bytes> {
        self.get(key, None).await?.bytes().await
    }
}
