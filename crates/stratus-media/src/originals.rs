//! Originals: uploading (checked to be an image within limits before it is
//! stored), listing by prefix with the variants folder left out, deleting
//! and moving. Every change purges the variants made from what was there;
//! on AWS the bucket's notification also invalidates their CDN paths
//! (`stratus-gateway/src/original_changes.rs`).

use bytes::Bytes;
use stratus_core::store::{ListPage, ListRequest, ObjectMeta, ObjectStore, PutOptions, StoreError};

use crate::error::{MediaError, Result};
use crate::key::{validate_original_key, VARIANTS_PREFIX};
use crate::pipeline::{probe, Limits};
use crate::purge::purge_variants;

/// Stores an original after checking its key and that its header is a
/// readable image within the limits, so a broken upload fails now, with the
/// file's name, rather than on the first page view. Replacing an original
/// purges the variants made from the old one.
pub async fn upload_original(
    store: &dyn ObjectStore,
    key: &str,
    bytes: Bytes,
    limits: &Limits,
) -> Result<ObjectMeta> {
    validate_original_key(key)?;
    let (format, _, _) = probe(key, &bytes, limits)?;
    let content_type = format.to_mime_type().to_string();
    let stored = store
        .put(
            key,
            bytes,
            PutOptions {
                content_type: Some(content_type),
                ..PutOptions::default()
            },
        )
        .await?;
    purge_variants(store, key).await?;
    Ok(stored)
}

/// One page of originals under `prefix`, folder by folder; `variants/` is hidden.
pub async fn list_originals(
    store: &dyn ObjectStore,
    prefix: &str,
    continuation: Option<String>,
    limit: usize,
) -> Result<ListPage> {
    let mut page = store
        .list(
            ListRequest::prefix(prefix)
                .with_delimiter('/')
                .continue_from(continuation)
                .limit(limit),
        )
        .await?;
    page.common_prefixes.retain(|p| p != VARIANTS_PREFIX);
    page.objects.retain(|o| !o.key.starts_with(VARIANTS_PREFIX));
    Ok(page)
}

/// Every original key under `prefix` (all folders deep), in key order.
pub async fn all_originals(store: &dyn ObjectStore, prefix: &str) -> Result<Vec<String>> {
    if prefix.starts_with(VARIANTS_PREFIX) {
        return Err(MediaError::InvalidKey {
            key: prefix.to_string(),
            reason: "`variants/` holds made variants, not originals",
        });
    }
    let mut keys = Vec::new();
    let mut request = ListRequest::prefix(prefix);
    loop {
        let page = store.list(request.clone()).await?;
        keys.extend(
            page.objects
                .into_iter()
                .map(|o| o.key)
                .filter(|k| !k.starts_with(VARIANTS_PREFIX)),
        );
        match page.next_continuation {
            Some(token) => request = request.continue_from(Some(token)),
            None => return Ok(keys),
        }
    }
}

/// What deleting an original removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub original: String,
    /// Keys of the variants purged with it.
    pub variants: Vec<String>,
}

/// Deletes an original and purges its variants. The original goes first: a
/// render in flight checks that its original is still there before storing,
/// so no variant of a deleted original is left behind. Deleting what is
/// already gone is `original_not_found` (after a purge of any variants left
/// over, so a second try finishes the job).
pub async fn delete_original(store: &dyn ObjectStore, key: &str) -> Result<Deleted> {
    validate_original_key(key)?;
    let existed = store.head(key).await?.is_some();
    if existed {
        store.delete(key).await?;
    }
    let variants = purge_variants(store, key).await?;
    if !existed && variants.is_empty() {
        return Err(MediaError::OriginalNotFound(key.to_string()));
    }
    Ok(Deleted {
        original: key.to_string(),
        variants,
    })
}

/// What moving an original did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: String,
    pub to: String,
    /// Keys of the old key's variants, purged (the new key's are made on
    /// their first request).
    pub variants: Vec<String>,
}

/// Renames (moves) an original: copied to `to` with its content type and
/// metadata, never over an existing original (`original_exists`), then
/// deleted at `from` with its variants purged. Variants left under `to`
/// by an earlier original of that name are purged too, so none is served
/// from the wrong picture. Originals past the byte limit are refused, as
/// the copy passes through memory.
pub async fn move_original(
    store: &dyn ObjectStore,
    from: &str,
    to: &str,
    limits: &Limits,
) -> Result<Moved> {
    validate_original_key(from)?;
    validate_original_key(to)?;
    if from == to {
        return Err(MediaError::InvalidKey {
            key: to.to_string(),
            reason: "the new key is the original's own",
        });
    }
    let source = readable_original(store, from, limits).await?;
    let bytes = store.get_bytes(from).await.map_err(|e| match e {
        StoreError::NotFound { .. } => MediaError::OriginalNotFound(from.to_string()),
        other => other.into(),
    })?;
    let options = PutOptions {
        content_type: source.content_type,
        cache_control: source.cache_control,
        metadata: source.metadata,
        if_none_match: true,
    };
    store.put(to, bytes, options).await.map_err(|e| match e {
        StoreError::AlreadyExists { .. } => MediaError::OriginalExists(to.to_string()),
        other => other.into(),
    })?;
    purge_variants(store, to).await?;
    store.delete(from).await?;
    let variants = purge_variants(store, from).await?;
    Ok(Moved {
        from: from.to_string(),
        to: to.to_string(),
        variants,
    })
}

/// An original's metadata before it is read whole into memory: refused
/// when it does not exist or is past the byte limit.
pub(crate) async fn readable_original(
    store: &dyn ObjectStore,
    key: &str,
    limits: &Limits,
) -> Result<ObjectMeta> {
    let meta = store
        .head(key)
        .await?
        .ok_or_else(|| MediaError::OriginalNotFound(key.to_string()))?;
    if meta.size > limits.max_source_bytes {
        return Err(MediaError::TooLarge {
            key: key.to_string(),
            bytes: meta.size,
            limit: limits.max_source_bytes,
        });
    }
    Ok(meta)
}
