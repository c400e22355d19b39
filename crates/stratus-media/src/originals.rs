//! Originals: uploading (checked to be an image within limits before it is
//! stored) and listing by prefix, with the variants folder left out.

use bytes::Bytes;
use stratus_core::store::{ListPage, ListRequest, ObjectMeta, ObjectStore, PutOptions};

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
