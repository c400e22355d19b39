//! Keys of originals and of their variants. A variant of `products/shoe.jpg`
//! made with preset `thumb` as WebP lives at
//! `variants/thumb/products/shoe.jpg.webp`.

use crate::error::MediaError;

/// Folder that holds every variant; originals may not live under it.
pub const VARIANTS_PREFIX: &str = "variants/";

/// S3's limit on key length, in bytes.
const MAX_KEY_BYTES: usize = 1024;

/// Checks an original's key: relative, no empty, `.` or `..` segments, no
/// control characters or backslashes, bounded length, not under `variants/`.
pub fn validate_original_key(key: &str) -> Result<(), MediaError> {
    let refuse = |reason| {
        Err(MediaError::InvalidKey {
            key: key.escape_debug().to_string(),
            reason,
        })
    };
    if key.is_empty() {
        return refuse("the key is empty");
    }
    // Leave room for `variants/<name>/` and `.<ext>` around it.
    if key.len() > MAX_KEY_BYTES - 80 {
        return refuse("the key is too long");
    }
    if key.starts_with('/') || key.ends_with('/') {
        return refuse("keys do not start or end with `/`");
    }
    if key.chars().any(|c| c.is_control() || c == '\\') {
        return refuse("control characters and backslashes are not allowed");
    }
    if key
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return refuse("empty, `.` and `..` path segments are not allowed");
    }
    if key.starts_with(VARIANTS_PREFIX) {
        return refuse("`variants/` holds made variants, not originals");
    }
    Ok(())
}

/// The variant key for an original made by preset (or canonical spec) `name`
/// in the concrete output format `ext`.
pub fn variant_key(name: &str, original: &str, ext: &str) -> Result<String, MediaError> {
    validate_original_key(original)?;
    Ok(format!("{VARIANTS_PREFIX}{name}/{original}.{ext}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_keys_stay_under_variants() {
        assert_eq!(
            variant_key("thumb", "products/shoe.jpg", "webp").unwrap(),
            "variants/thumb/products/shoe.jpg.webp"
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
        ] {
            let err = variant_key("thumb", bad, "jpeg").unwrap_err();
            assert_eq!(err.code(), "invalid_key", "{bad:?}");
        }
    }
}
