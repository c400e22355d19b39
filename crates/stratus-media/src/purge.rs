//! Deleting an original's variants: when the original is replaced or
//! deleted (every made variant is stale then) and when an editor asks. All
//! of them sit in one folder (see [`crate::key`]), so this is one listing
//! and a delete per variant; the next request makes them again.

use stratus_core::store::{ListRequest, ObjectStore};

use crate::error::Result;
use crate::key::{validate_original_key, variants_folder};

/// Deletes every stored variant of `original` and returns their keys.
/// Variants of originals inside a folder of the same name are not touched.
pub async fn purge_variants(store: &dyn ObjectStore, original: &str) -> Result<Vec<String>> {
    validate_original_key(original)?;
    let folder = variants_folder(original);
    // The whole listing first: deleting while paging would move the pages.
    let mut keys = Vec::new();
    let mut continuation = None;
    loop {
        let page = store
            .list(ListRequest {
                delimiter: Some('/'),
                continuation,
                ..ListRequest::prefix(folder.clone())
            })
            .await?;
        keys.extend(page.objects.into_iter().map(|o| o.key));
        match page.next_continuation {
            Some(next) => continuation = Some(next),
            None => break,
        }
    }
    for key in &keys {
        store.delete(key).await?;
    }
    Ok(keys)
}
