//! Originals replaced or removed outside the app (straight into S3 with
//! another tool): the bucket's notification reaches the function, which
//! deletes each original's variants and asks the CDN to forget their paths,
//! so the next request remakes them from the new original. The app and the
//! CLI purge on upload themselves; the notification that follows finds
//! nothing left to delete, which costs one listing.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::Serialize;
use stratus_core::store::ObjectStore;
use stratus_media::key::{validate_original_key, variant_url, variants_folder};
use stratus_media::{purge_variants, MediaError};

/// A CDN in front of the bucket (CloudFront with the default wiring).
#[async_trait]
pub trait Cdn: Send + Sync {
    /// Forgets every cached object under these paths (`/variants/<key>/*`).
    async fn invalidate(&self, paths: &[String]) -> Result<(), String>;
}

/// What one notification changed.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// The originals whose variants were purged.
    pub originals: Vec<String>,
    /// How many stored variants were deleted.
    pub variants_deleted: usize,
    /// The CDN paths invalidated (none without a CDN).
    pub invalidated: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("could not purge the variants of {original}: {source}")]
    Purge {
        original: String,
        source: MediaError,
    },
    #[error("the CDN did not take the invalidation of {paths:?}: {reason}")]
    Invalidate { paths: Vec<String>, reason: String },
}

impl ChangeError {
    pub fn code(&self) -> &'static str {
        match self {
            ChangeError::Purge { .. } => "purge_failed",
            ChangeError::Invalidate { .. } => "invalidation_failed",
        }
    }
}

/// One notification record: which key changed and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectChange {
    /// S3's event name, e.g. `ObjectCreated:Put`, `ObjectRemoved:Delete`.
    pub event: String,
    /// The key as S3 sends it in a notification: form-encoded.
    pub encoded_key: String,
}

/// The originals a batch of notification records is about: created
/// (replaced) or removed keys, decoded, once each. Variants (the function's
/// own writes notify too), Stratus's own settings objects and keys that are
/// not valid originals are left out.
pub fn changed_originals(changes: &[ObjectChange]) -> Vec<String> {
    let keys: BTreeSet<String> = changes
        .iter()
        .filter(|c| c.event.starts_with("ObjectCreated:") || c.event.starts_with("ObjectRemoved:"))
        .filter_map(|c| decode_key(&c.encoded_key))
        .filter(|key| validate_original_key(key).is_ok())
        .collect();
    keys.into_iter().collect()
}

/// S3 notifications carry keys form-encoded (`+` for a space).
fn decode_key(encoded: &str) -> Option<String> {
    let spaced = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|k| k.into_owned())
}

/// Deletes the variants of each original, then invalidates their CDN paths
/// in one request. A failure is returned so that Lambda retries the event
/// (the purge is idempotent).
pub async fn purge_changed(
    store: &dyn ObjectStore,
    cdn: Option<&dyn Cdn>,
    originals: &[String],
) -> Result<Purged, ChangeError> {
    let mut purged = Purged::default();
    for original in originals {
        let deleted =
            purge_variants(store, original)
                .await
                .map_err(|source| ChangeError::Purge {
                    original: original.clone(),
                    source,
                })?;
        purged.variants_deleted += deleted.len();
        purged.originals.push(original.clone());
    }
    if let (Some(cdn), false) = (cdn, originals.is_empty()) {
        let paths: Vec<String> = originals.iter().map(|o| cdn_path(o)).collect();
        cdn.invalidate(&paths)
            .await
            .map_err(|reason| ChangeError::Invalidate {
                paths: paths.clone(),
                reason,
            })?;
        purged.invalidated = paths;
    }
    Ok(purged)
}

/// The one wildcard path that covers every variant of `original` (they
/// share a folder; see `stratus_media::key`), percent-encoded as the URL a
/// browser asked for.
pub fn cdn_path(original: &str) -> String {
    format!("{}*", variant_url("", &variants_folder(original)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(event: &str, key: &str) -> ObjectChange {
        ObjectChange {
            event: event.into(),
            encoded_key: key.into(),
        }
    }

    #[test]
    fn only_originals_that_changed_are_purged_once_each() {
        let changes = [
            change("ObjectCreated:Put", "photos/summer+sale/a%C3%A9.jpg"),
            change("ObjectRemoved:Delete", "photos/old.jpg"),
            change("ObjectCreated:CompleteMultipartUpload", "photos/old.jpg"),
            // The function's own writes notify too.
            change("ObjectCreated:Put", "variants/photos/old.jpg/thumb.jpeg"),
            change("ObjectRestore:Completed", "photos/cold.jpg"),
            change("ObjectCreated:Put", "photos/../escape.jpg"),
        ];
        assert_eq!(
            changed_originals(&changes),
            ["photos/old.jpg", "photos/summer sale/aé.jpg"]
        );
    }

    #[test]
    fn one_wildcard_path_per_original_as_the_browser_asks_for_it() {
        assert_eq!(
            cdn_path("photos/summer sale/aé.jpg"),
            "/variants/photos/summer%20sale/a%C3%A9.jpg/*"
        );
    }
}
