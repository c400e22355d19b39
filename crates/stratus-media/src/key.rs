//! Keys of originals and of their variants. A variant of `products/shoe.jpg`
//! made with preset `thumb` as WebP lives at
//! `variants/products/shoe.jpg/thumb.webp`: every variant of an original is
//! under one folder, so they are purged with one listing and invalidated on
//! a CDN with one wildcard path, and the public URL of a variant can be its
//! key (see docs/production.md).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use stratus_core::store::{validate_key, StoreError};

use crate::error::MediaError;

/// Folder that holds every variant; originals may not live under it.
pub const VARIANTS_PREFIX: &str = "variants/";

/// What stays readable in a URL segment; everything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The public URL of a stored variant: `<base>/<variant key>`, each
/// segment percent-encoded. Behind the CDN this is a plain hit on the
/// bucket; `stratus serve` and the function answer the same path (making it
/// on a miss), so one URL works in every setup.
pub fn variant_url(base: &str, variant_key: &str) -> String {
    let key = variant_key
        .split('/')
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    format!("{}/{key}", base.trim_end_matches('/'))
}

/// S3's limit on key length, in bytes.
const MAX_KEY_BYTES: usize = 1024;

/// Checks an original's key with the store's one validator (see
/// [`stratus_core::store::validate_key`]: relative, no `.`/`..`/empty
/// segments, a conservative character set, no Windows drive, stream or
/// device names), with room left for the variant prefix and extension, and
/// not under `variants/`.
pub fn validate_original_key(key: &str) -> Result<(), MediaError> {
    let refuse = |reason| {
        Err(MediaError::InvalidKey {
            key: key.escape_debug().to_string(),
            reason,
        })
    };
    if let Err(StoreError::InvalidKey { reason, .. }) = validate_key(key) {
        return refuse(reason);
    }
    // Leave room for `variants/<name>/` and `.<ext>` around it.
    if key.len() > MAX_KEY_BYTES - 80 {
        return refuse("the key is too long");
    }
    // Any case: on a case-insensitive disk `Variants/` is the same folder.
    let prefix = key.get(..VARIANTS_PREFIX.len());
    if prefix.is_some_and(|p| p.eq_ignore_ascii_case(VARIANTS_PREFIX)) {
        return refuse("`variants/` holds made variants, not originals");
    }
    Ok(())
}

/// The variant key for an original made by preset (or canonical spec) `name`
/// in the concrete output format `ext`. Names never hold a `/`, so the last
/// segment is the variant and the rest the original: one key, one meaning.
pub fn variant_key(name: &str, original: &str, ext: &str) -> Result<String, MediaError> {
    validate_original_key(original)?;
    if name.is_empty() || name.contains('/') {
        return Err(MediaError::InvalidKey {
            key: name.escape_debug().to_string(),
            reason: "a variant name is one segment",
        });
    }
    Ok(format!("{}{name}.{ext}", variants_folder(original)))
}

/// The folder holding every variant of `original` (its direct children;
/// deeper keys are variants of originals in a folder of that name).
pub fn variants_folder(original: &str) -> String {
    format!("{VARIANTS_PREFIX}{original}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_url_is_its_key_under_the_base() {
        assert_eq!(
            variant_url(
                "https://d111.cloudfront.net/",
                "variants/summer 2026/shoe #1.jpg/card.webp"
            ),
            "https://d111.cloudfront.net/variants/summer%202026/shoe%20%231.jpg/card.webp"
        );
    }

    #[test]
    fn variant_keys_stay_under_variants() {
        assert_eq!(
            variant_key("thumb", "products/shoe.jpg", "webp").unwrap(),
            "variants/products/shoe.jpg/thumb.webp"
        );
        assert_eq!(
            variant_key("480x320-cover-q80.webp", "a.jpg", "webp").unwrap(),
            "variants/a.jpg/480x320-cover-q80.webp.webp"
        );
        // An original in a folder named like another original: no clash.
        assert_ne!(
            variant_key("thumb", "a.jpg/thumb.webp", "webp").unwrap(),
            variant_key("thumb", "a.jpg", "webp").unwrap()
        );
        assert_eq!(
            variant_key("a/b", "x.jpg", "webp").unwrap_err().code(),
            "invalid_key"
        );
        for bad in [
            "",
            "/abs.jpg",
            "a//b.jpg",
            "../x.jpg",
            "a/./b.jpg",
            "variants/thumb/x.jpg",
            "a\u{0}b.jpg",
            "a\\b.jpg",
            "dir/",
            "C:/Users/x/a.jpg",
            "a.jpg:stream",
            "NUL.jpg",
            ".STRATUS/meta/a.jpg.json",
        ] {
            let err = variant_key("thumb", bad, "jpeg").unwrap_err();
            assert_eq!(err.code(), "invalid_key", "{bad:?}");
        }
    }
}
