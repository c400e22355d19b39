//! Named presets and the allow-list: which specs may be made on demand.
//! Arbitrary sizes are a cost and storage attack, so an unsigned URL gets
//! only presets and a profile's short list of extra canonical specs; a
//! signed URL may ask for any canonical spec ([`PresetCatalog::resolve_for`]).

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::params;
use stratus_core::db::Db;

use crate::error::MediaError;
use crate::spec::{Fit, Format, Gravity, VariantSpec};

/// Who asks for a variant: an unsigned URL, or one whose signature was
/// checked (valid and not expired) before the catalog is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Unsigned,
    Signed,
}

/// A profile's presets and allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetCatalog {
    presets: BTreeMap<String, VariantSpec>,
    /// Canonical specs allowed besides the presets.
    extra_specs: BTreeSet<String>,
}

impl Default for PresetCatalog {
    /// `thumb`, `card`, `hero`, a WebP and an AVIF preset, and `card-auto`
    /// (the best format the client accepts).
    fn default() -> Self {
        let preset = |w, h, fit, format, q| VariantSpec {
            width: w,
            height: h,
            fit,
            gravity: Gravity::Centre,
            enlarge: false,
            format,
            quality: q,
        };
        let presets = BTreeMap::from([
            (
                "thumb".to_string(),
                preset(Some(160), Some(160), Fit::Cover, Format::Jpeg, Some(75)),
            ),
            (
                "card".to_string(),
                preset(Some(480), Some(320), Fit::Cover, Format::Jpeg, Some(80)),
            ),
            (
                "hero".to_string(),
                preset(Some(1600), None, Fit::Inside, Format::Jpeg, Some(80)),
            ),
            (
                "card-webp".to_string(),
                preset(Some(480), Some(320), Fit::Cover, Format::Webp, Some(80)),
            ),
            (
                "hero-avif".to_string(),
                preset(Some(1600), None, Fit::Inside, Format::Avif, Some(60)),
            ),
            (
                "card-auto".to_string(),
                preset(Some(480), Some(320), Fit::Cover, Format::Auto, Some(80)),
            ),
        ]);
        PresetCatalog {
            presets,
            extra_specs: BTreeSet::new(),
        }
    }
}

impl PresetCatalog {
    pub fn empty() -> Self {
        PresetCatalog {
            presets: BTreeMap::new(),
            extra_specs: BTreeSet::new(),
        }
    }

    pub fn presets(&self) -> &BTreeMap<String, VariantSpec> {
        &self.presets
    }

    pub fn extra_specs(&self) -> &BTreeSet<String> {
        &self.extra_specs
    }

    /// Adds or replaces a preset.
    pub fn set_preset(&mut self, name: &str, spec: VariantSpec) -> Result<(), MediaError> {
        validate_preset_name(name)?;
        self.presets.insert(name.to_string(), spec);
        Ok(())
    }

    pub fn remove_preset(&mut self, name: &str) -> Result<(), MediaError> {
        self.presets
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| MediaError::UnknownPreset(name.to_string()))
    }

    /// Allows a canonical spec to be made on demand.
    pub fn allow_spec(&mut self, spec: &VariantSpec) {
        self.extra_specs.insert(spec.to_string());
    }

    pub fn disallow_spec(&mut self, spec: &str) {
        self.extra_specs.remove(spec);
    }

    /// A whole catalog from edited parts (the editor's Save): every preset
    /// name and spec is checked, and allowed specs must be canonical.
    pub fn from_parts(
        presets: Vec<(String, VariantSpec)>,
        allowed_specs: Vec<String>,
    ) -> Result<Self, MediaError> {
        let mut catalog = PresetCatalog::empty();
        for (name, spec) in presets {
            if catalog.presets.contains_key(&name) {
                return Err(MediaError::InvalidSpec {
                    spec: name,
                    reason: "two presets have this name".to_string(),
                });
            }
            catalog.set_preset(&name, spec)?;
        }
        for text in allowed_specs {
            let spec = VariantSpec::parse(text.trim())?;
            catalog.allow_spec(&spec);
        }
        Ok(catalog)
    }

    /// What a request's `<preset-or-spec>` segment means, if an unsigned URL
    /// may have it made ([`PresetCatalog::resolve_for`] with [`Access::Unsigned`]).
    pub fn resolve(&self, name: &str) -> Result<VariantSpec, MediaError> {
        self.resolve_for(name, Access::Unsigned)
    }

    /// What a request's `<preset-or-spec>` segment means, if `access` may
    /// have it made: a preset or an allow-listed canonical spec for anyone;
    /// any other canonical spec only for a validly signed URL (the signer
    /// vouches for the size, so it is not a cost attack).
    pub fn resolve_for(&self, name: &str, access: Access) -> Result<VariantSpec, MediaError> {
        if let Some(spec) = self.presets.get(name) {
            return Ok(*spec);
        }
        if access == Access::Signed {
            // Only the canonical spelling parses, so one spec keeps one key.
            return VariantSpec::parse(name);
        }
        // Only a canonical spelling can be on the list, so a spec spelled
        // another way is refused rather than made under a second key.
        let spec =
            VariantSpec::parse(name).map_err(|_| MediaError::UnknownPreset(name.to_string()))?;
        if self.extra_specs.contains(name) {
            Ok(spec)
        } else {
            Err(MediaError::NotAllowed {
                spec: name.to_string(),
                allowed: self.presets.keys().cloned().collect::<Vec<_>>().join(", "),
            })
        }
    }

    /// Loads the profile's catalog; the defaults until one was saved.
    pub async fn load(db: &Db) -> stratus_core::Result<Self> {
        db.call(|c| {
            let saved: i64 = c.query_row("SELECT count(*) FROM media_presets", [], |r| r.get(0))?;
            if saved == 0 {
                return Ok(PresetCatalog::default());
            }
            let mut catalog = PresetCatalog::empty();
            let mut stmt =
                c.prepare("SELECT name, spec, allowed_only FROM media_presets ORDER BY name")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                ))
            })?;
            for row in rows {
                let (name, spec, allowed_only) = row?;
                // A row that no longer parses (hand-edited database) is skipped, not fatal.
                let Ok(parsed) = VariantSpec::parse(&spec) else {
                    tracing::warn!("skipping unreadable preset `{name}`: `{spec}`");
                    continue;
                };
                if allowed_only {
                    catalog.extra_specs.insert(spec);
                } else {
                    catalog.presets.insert(name, parsed);
                }
            }
            Ok(catalog)
        })
        .await
    }

    /// Saves the whole catalog in one transaction.
    pub async fn save(&self, db: &Db) -> stratus_core::Result<()> {
        let catalog = self.clone();
        db.call(move |c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM media_presets", [])?;
            for (name, spec) in &catalog.presets {
                tx.execute(
                    "INSERT INTO media_presets (name, spec, allowed_only) VALUES (?1, ?2, 0)",
                    params![name, spec.to_string()],
                )?;
            }
            for spec in &catalog.extra_specs {
                tx.execute(
                    "INSERT INTO media_presets (name, spec, allowed_only) VALUES (?1, ?1, 1)",
                    params![spec],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }
}

fn validate_preset_name(name: &str) -> Result<(), MediaError> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(MediaError::InvalidSpec {
            spec: name.to_string(),
            reason: "preset names are 1–32 characters of a–z, 0–9 and `-`".to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_resolve_and_other_specs_need_the_allow_list() {
        let mut catalog = PresetCatalog::default();
        assert_eq!(
            catalog.resolve("thumb").unwrap().to_string(),
            "160x160-cover-q75.jpeg"
        );
        let err = catalog.resolve("300x300-cover-q80.jpeg").unwrap_err();
        assert_eq!(err.code(), "spec_not_allowed");
        assert!(err.to_string().contains("thumb"), "{err}");
        assert_eq!(
            catalog.resolve("huge").unwrap_err().code(),
            "unknown_preset"
        );

        let spec = VariantSpec::parse("300x300-cover-q80.jpeg").unwrap();
        catalog.allow_spec(&spec);
        assert_eq!(catalog.resolve("300x300-cover-q80.jpeg").unwrap(), spec);
        assert!(catalog.set_preset("Bad Name", spec).is_err());
    }

    /// The rule the image function asks for every request: who may have
    /// which spec made.
    #[test]
    fn unsigned_urls_get_presets_and_the_allow_list_signed_urls_any_canonical_spec() {
        let mut catalog = PresetCatalog::default();
        let allowed = VariantSpec::parse("300x300-cover-q80.jpeg").unwrap();
        catalog.allow_spec(&allowed);
        let thumb = "160x160-cover-q75.jpeg";
        for access in [Access::Unsigned, Access::Signed] {
            assert_eq!(
                catalog.resolve_for("thumb", access).unwrap().to_string(),
                thumb,
                "{access:?}: a preset"
            );
            assert_eq!(
                catalog
                    .resolve_for("300x300-cover-q80.jpeg", access)
                    .unwrap(),
                allowed,
                "{access:?}: an allow-listed spec"
            );
        }

        let other = "1200x900-contain-q90.webp";
        let denied = catalog.resolve_for(other, Access::Unsigned).unwrap_err();
        assert_eq!(denied.code(), "spec_not_allowed", "unsigned: not listed");
        assert_eq!(
            catalog
                .resolve_for(other, Access::Signed)
                .unwrap()
                .to_string(),
            other,
            "signed: any canonical spec"
        );

        // A second spelling of a spec would be a second key: refused for both.
        let spelled_otherwise = "1200x900-contain-q90.WEBP";
        assert_eq!(
            catalog
                .resolve_for(spelled_otherwise, Access::Unsigned)
                .unwrap_err()
                .code(),
            "unknown_preset"
        );
        assert_eq!(
            catalog
                .resolve_for(spelled_otherwise, Access::Signed)
                .unwrap_err()
                .code(),
            "invalid_spec"
        );
        assert_eq!(
            catalog
                .resolve_for("huge", Access::Signed)
                .unwrap_err()
                .code(),
            "invalid_spec",
            "signed: an unknown name is not a spec either"
        );
        assert_eq!(
            catalog
                .resolve("1200x900-contain-q90.webp")
                .unwrap_err()
                .code(),
            "spec_not_allowed",
            "resolve is the unsigned rule"
        );
    }

    #[tokio::test]
    async fn the_catalog_survives_a_save_and_load() {
        let db = Db::open_in_memory().unwrap();
        assert_eq!(
            PresetCatalog::load(&db).await.unwrap(),
            PresetCatalog::default()
        );
        let mut catalog = PresetCatalog::default();
        catalog.remove_preset("hero-avif").unwrap();
        catalog
            .set_preset("square", VariantSpec::parse("512x512-contain.png").unwrap())
            .unwrap();
        catalog.allow_spec(&VariantSpec::parse("100x_-inside-q70.webp").unwrap());
        catalog.save(&db).await.unwrap();
        assert_eq!(PresetCatalog::load(&db).await.unwrap(), catalog);
    }
}
