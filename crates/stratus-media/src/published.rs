//! The preset catalog as one small JSON object in the media bucket, so the
//! deployed function makes what the editor saved: the app publishes it on
//! Save, a deploy carries the current set, and the function reads it with a
//! short cache ([`PublishedPresets`], over core's
//! [`stratus_core::published::PublishedObject`]). The object sits under `variants/`
//! (which holds only what Stratus writes and is never an original); its
//! name has no image extension, so it is never taken for a variant. It is
//! as public as the variants are: preset names and sizes are in every URL
//! anyway.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use stratus_core::published::{Published, PublishedObject};
use stratus_core::store::{ObjectMeta, ObjectStore, PutOptions, StoreError};

use crate::error::{MediaError, Result};
use crate::preset::PresetCatalog;
use crate::spec::VariantSpec;

/// Where the published catalog lives in the media bucket.
pub const PUBLISHED_PRESETS_KEY: &str = "variants/.presets.json";

/// How long the function trusts its copy before it asks again.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(60);

/// The object's format (version 1). Specs are stored in their canonical
/// text, so a reader checks them like the editor's Save does.
#[derive(Debug, Serialize, Deserialize)]
struct PublishedDoc {
    version: u32,
    presets: BTreeMap<String, String>,
    allowed_specs: Vec<String>,
}

/// The catalog as the published JSON text.
pub fn to_json(catalog: &PresetCatalog) -> Vec<u8> {
    let published = PublishedDoc {
        version: 1,
        presets: catalog
            .presets()
            .iter()
            .map(|(name, spec)| (name.clone(), spec.to_string()))
            .collect(),
        allowed_specs: catalog.extra_specs().iter().cloned().collect(),
    };
    // A map of strings always serializes.
    serde_json::to_vec_pretty(&published).unwrap_or_default()
}

/// A catalog from published JSON, every name and spec checked.
pub fn from_json(bytes: &[u8]) -> Result<PresetCatalog> {
    let unreadable = |reason: String| MediaError::InvalidSpec {
        spec: PUBLISHED_PRESETS_KEY.to_string(),
        reason,
    };
    let published: PublishedDoc =
        serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
    checked(published)
}

/// A document's catalog, every name and spec checked like the editor's Save.
fn checked(published: PublishedDoc) -> Result<PresetCatalog> {
    let unreadable = |reason: String| MediaError::InvalidSpec {
        spec: PUBLISHED_PRESETS_KEY.to_string(),
        reason,
    };
    if published.version != 1 {
        return Err(unreadable(format!(
            "version {} is newer than this function (1)",
            published.version
        )));
    }
    let mut presets = Vec::with_capacity(published.presets.len());
    for (name, spec) in published.presets {
        presets.push((name, VariantSpec::parse(&spec)?));
    }
    PresetCatalog::from_parts(presets, published.allowed_specs)
}

/// Writes the catalog to the bucket (the app's Save, a deploy).
pub async fn publish(store: &dyn ObjectStore, catalog: &PresetCatalog) -> Result<ObjectMeta> {
    let options = PutOptions {
        content_type: Some("application/json".into()),
        // The function reads it through the store, not through a cache.
        cache_control: Some("no-cache".into()),
        ..PutOptions::default()
    };
    Ok(store
        .put(
            PUBLISHED_PRESETS_KEY,
            Bytes::from(to_json(catalog)),
            options,
        )
        .await?)
}

/// The published catalog, if one was published.
pub async fn read_published(store: &dyn ObjectStore) -> Result<Option<PresetCatalog>> {
    match store.get_bytes(PUBLISHED_PRESETS_KEY).await {
        Ok(bytes) => from_json(&bytes).map(Some),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A published catalog that passed the checks while it was read, so a
/// broken one counts as unreadable and the last good one is kept.
#[derive(Debug, Deserialize)]
#[serde(try_from = "PublishedDoc")]
struct CheckedCatalog(PresetCatalog);

impl TryFrom<PublishedDoc> for CheckedCatalog {
    type Error = MediaError;

    fn try_from(doc: PublishedDoc) -> Result<Self> {
        checked(doc).map(CheckedCatalog)
    }
}

/// The function's view of the published catalog: read at most once per
/// `refresh`; until one is published, the catalog it started with. A
/// published object that cannot be read or checked keeps the last good
/// catalog (logged), so a bad publish never takes images down.
pub struct PublishedPresets {
    object: PublishedObject<CheckedCatalog>,
    fallback: Arc<PresetCatalog>,
}

impl PublishedPresets {
    pub fn new(store: Arc<dyn ObjectStore>, fallback: PresetCatalog, refresh: Duration) -> Self {
        PublishedPresets {
            object: PublishedObject::new(store, PUBLISHED_PRESETS_KEY, refresh),
            fallback: Arc::new(fallback),
        }
    }

    /// The catalog to answer with now.
    pub async fn current(&self) -> Arc<PresetCatalog> {
        match self.object.current().await {
            Ok(Published::Value(checked)) => Arc::new(checked.0.clone()),
            // Never published, or broken with nothing good before it.
            Ok(Published::Missing) | Err(_) => Arc::clone(&self.fallback),
        }
    }
}

/// Where a function gets its catalog: fixed when it starts (`stratus
/// serve` loads the profile's) or published in the bucket (on Lambda).
pub enum CatalogSource {
    Fixed(Arc<PresetCatalog>),
    Published(PublishedPresets),
}

impl CatalogSource {
    pub fn fixed(catalog: PresetCatalog) -> Self {
        CatalogSource::Fixed(Arc::new(catalog))
    }

    /// The catalog to answer this request with.
    pub async fn current(&self) -> Arc<PresetCatalog> {
        match self {
            CatalogSource::Fixed(catalog) => Arc::clone(catalog),
            CatalogSource::Published(published) => published.current().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_survives_the_round_trip() {
        let mut catalog = PresetCatalog::default();
        catalog.allow_spec(&VariantSpec::parse("100x_-inside-q70.webp").unwrap());
        catalog.remove_preset("hero").unwrap();
        assert_eq!(from_json(&to_json(&catalog)).unwrap(), catalog);
    }

    #[test]
    fn a_published_object_is_checked_like_the_editors_save() {
        for (text, why) in [
            (
                r#"{"version":1,"presets":{"Bad Name":"10x10-cover.jpeg"},"allowed_specs":[]}"#,
                "name",
            ),
            (
                r#"{"version":1,"presets":{"x":"10x10-sideways.jpeg"},"allowed_specs":[]}"#,
                "spec",
            ),
            (
                r#"{"version":2,"presets":{},"allowed_specs":[]}"#,
                "version",
            ),
            ("not json", "json"),
        ] {
            assert!(from_json(text.as_bytes()).is_err(), "{why}: {text}");
        }
    }
}
