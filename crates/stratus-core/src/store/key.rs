//! Object keys that can be stored under a local directory without escaping it.

use super::StoreError;

/// S3's own limit on key length, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// Checks that a key is safe to map onto a file path: relative, no `.` or `..`
/// segments, no empty segments, no NUL/control characters, no backslashes, at
/// most 1024 bytes, and not inside Stratus's own bookkeeping folder.
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    let refuse = |reason| {
        Err(StoreError::InvalidKey {
            key: key.escape_debug().to_string(),
            reason,
        })
    };
    if key.is_empty() {
        return refuse("the key is empty");
    }
    if key.len() > MAX_KEY_BYTES {
        return refuse("the key is longer than 1024 bytes");
    }
    if key.starts_with('/') {
        return refuse("absolute keys are not allowed");
    }
    if key.chars().any(|c| c.is_control()) {
        return refuse("control characters (including NUL) are not allowed");
    }
    if key.contains('\\') {
        return refuse("backslashes are not allowed");
    }
    if key.ends_with('/') {
        return refuse("a key cannot end with `/` here (folders exist only as prefixes)");
    }
    for segment in key.split('/') {
        match segment {
            "" => return refuse("empty path segments (`//`) are not allowed"),
            "." | ".." => return refuse("`.` and `..` segments are not allowed"),
            _ => {}
        }
    }
    if key.split('/').next() == Some(super::local::RESERVED_DIR) {
        return refuse("the `.stratus` folder is reserved for Stratus's own bookkeeping");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_keys() {
        for key in [
            "a",
            "photos/2024/shoe.jpg",
            "ünïcode/ключ.png",
            "a b/c+d=e.txt",
            "..hidden",
            "a..b/c",
        ] {
            assert!(validate_key(key).is_ok(), "{key}");
        }
    }

    #[test]
    fn refuses_keys_that_could_escape_or_confuse_the_filesystem() {
        let long = "k".repeat(1025);
        for key in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a//b",
            "a/",
            "a\0b",
            "a\nb",
            "a\\b",
            ".stratus/meta",
            long.as_str(),
        ] {
            let err = validate_key(key).expect_err(key);
            assert_eq!(err.code(), "invalid_key");
        }
    }
}
