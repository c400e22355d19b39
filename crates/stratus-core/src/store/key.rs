//! Object keys that can be stored under a local directory without escaping
//! it — on any operating system. This is the one key validator: the local
//! store, the image function and the desktop app's image protocol all use it,
//! and it refuses the same keys on Linux as on Windows, so a bucket written on
//! one is safe to serve on the other.

use super::StoreError;

/// S3's own limit on key length, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// The folder inside each local bucket that holds Stratus's bookkeeping.
pub(crate) const RESERVED_DIR: &str = ".stratus";

/// ASCII punctuation a key segment may hold besides letters and digits. Left
/// out on purpose: `/` (the separator), `\` `:` `*` `?` `"` `<` `>` `|`
/// (path syntax or invalid on Windows: drives `C:`, NTFS streams `a:b`).
const ASCII_PUNCTUATION: &str = " !#$%&'()+,-.;=@[]^_`{}~";

/// Device names Windows opens instead of a file, whatever the extension
/// (`NUL.jpg` is the null device).
const WINDOWS_DEVICES: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];

/// Checks that a key is safe to map onto a file path on every platform:
/// relative; `/`-separated segments that are not empty, `.` or `..`; each
/// segment made of letters, digits and a conservative set of punctuation
/// (no drive letters, stream names, control, bidi or zero-width characters);
/// no segment that Windows reads as a device (`CON`, `nul.txt`, `COM1`…) or
/// that it would silently trim (a trailing `.` or space); at most 1024 bytes;
/// and not inside Stratus's own bookkeeping folder (`.stratus`, any case).
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    key_problem(key).map_or(Ok(()), |reason| {
        Err(StoreError::InvalidKey {
            key: key.escape_debug().to_string(),
            reason,
        })
    })
}

/// Why `key` is refused, if it is.
fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        return Some("the key is empty");
    }
    if key.len() > MAX_KEY_BYTES {
        return Some("the key is longer than 1024 bytes");
    }
    if key.starts_with('/') {
        return Some("absolute keys are not allowed");
    }
    if key.ends_with('/') {
        return Some("a key cannot end with `/` here (folders exist only as prefixes)");
    }
    for segment in key.split('/') {
        if let Some(reason) = segment_problem(segment) {
            return Some(reason);
        }
    }
    let first = key.split('/').next().unwrap_or_default();
    if first.eq_ignore_ascii_case(RESERVED_DIR) {
        return Some("the `.stratus` folder is reserved for Stratus's own bookkeeping");
    }
    None
}

fn segment_problem(segment: &str) -> Option<&'static str> {
    match segment {
        "" => return Some("empty path segments (`//`) are not allowed"),
        "." | ".." => return Some("`.` and `..` segments are not allowed"),
        _ => {}
    }
    // The longest file name of common filesystems (ext4, NTFS, APFS).
    if segment.len() > 255 {
        return Some("a path segment is longer than 255 bytes");
    }
    if let Some(c) = segment.chars().find(|&c| !allowed_char(c)) {
        return Some(match c {
            '\\' => "backslashes are not allowed",
            ':' => "`:` is not allowed (drive letters and NTFS streams)",
            c if c.is_control() => "control characters (including NUL) are not allowed",
            _ => "only letters, digits, spaces and `!#$%&'()+,-.;=@[]^_`{}~` are allowed in a key",
        });
    }
    if segment.ends_with('.') || segment.ends_with(' ') {
        return Some("a path segment cannot end with `.` or a space (Windows drops them)");
    }
    if is_windows_device(segment) {
        return Some("Windows device names (CON, PRN, AUX, NUL, COM1-9, LPT1-9) are not allowed");
    }
    None
}

fn allowed_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || ASCII_PUNCTUATION.contains(c);
    }
    // Letters of every script are fine; invisible and direction-changing
    // characters would let two keys look alike.
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF0}'..='\u{FFFF}'))
}

/// `CON`, `nul.jpg`, `Com1.tar.gz`, `LPT9 `, `COM¹`: the part before the
/// first dot, case-insensitive, trailing spaces ignored.
fn is_windows_device(segment: &str) -> bool {
    let stem = segment.split('.').next().unwrap_or_default().trim_end();
    let upper = stem.to_ascii_uppercase();
    if WINDOWS_DEVICES.contains(&upper.as_str()) {
        return true;
    }
    let numbered = |prefix: &str| {
        upper.strip_prefix(prefix).is_some_and(|n| {
            matches!(
                n,
                "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
            )
        })
    };
    numbered("COM") || numbered("LPT")
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
            "summer 2026/shoe #1 (v2).jpg",
            "console/controller.jpg",
            "com10.jpg",
            "nullable/lpt.png",
            ".stratusfan/a.jpg",
            "x/.stratus/a.jpg",
            "日本/写真.jpeg",
        ] {
            assert!(validate_key(key).is_ok(), "{key}: {:?}", validate_key(key));
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
            "..\\..\\x",
            ".stratus/meta",
            long.as_str(),
        ] {
            let err = validate_key(key).expect_err(key);
            assert_eq!(err.code(), "invalid_key");
        }
    }

    #[test]
    fn refuses_windows_escapes_on_every_platform() {
        let long_segment = "s".repeat(256);
        for key in [
            // Drives: `root.join("C:/…")` replaces the root on Windows.
            "C:/Users/x/a.jpg",
            "C:x",
            "c:",
            "photos/D:/a.jpg",
            // NTFS alternate data streams.
            "a.jpg:stream",
            "a.jpg::$DATA",
            // UNC and device paths arrive as backslashes or `?`.
            "\\\\server\\share\\a.jpg",
            "//?/C:/a.jpg",
            // Device names, with or without extension, any case, any depth.
            "CON",
            "con",
            "NUL.jpg",
            "photos/nul.tar.gz",
            "aux",
            "PRN.txt",
            "com1",
            "COM9.png",
            "lpt1",
            "Lpt3.jpg",
            "COM¹",
            "CON .jpg",
            // Names Windows trims into another name.
            "a.jpg.",
            "a.jpg ",
            "photos./a.jpg",
            // Characters invalid on Windows.
            "a*b.jpg",
            "a?b.jpg",
            "a\"b.jpg",
            "a<b.jpg",
            "a>b.jpg",
            "a|b.jpg",
            // The bookkeeping folder in another case.
            ".STRATUS/meta/x.json",
            long_segment.as_str(),
            ".Stratus/tmp/x",
            // Invisible or direction-changing characters.
            "a\u{202E}gpj.exe",
            "a\u{200B}.jpg",
            "a\u{FEFF}.jpg",
        ] {
            let err = validate_key(key).expect_err(key);
            assert_eq!(err.code(), "invalid_key", "{key}");
        }
    }
}
