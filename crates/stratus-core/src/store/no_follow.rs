//! Paths inside a local bucket that never go through a symbolic link.
//!
//! A link inside a bucket directory (`photos/x.jpg -> /etc/passwd`, or a
//! folder linked to `/`) would let anyone who can ask for a key read, list or
//! overwrite files outside the bucket. Stratus does not follow links there:
//! every component of the key is checked with `lstat` before it is used, and
//! the final file is opened with `O_NOFOLLOW` (on Unix), so a link swapped in
//! for the file itself after the check is refused by the kernel.
//!
//! The remaining window — an intermediate folder replaced by a link between
//! the check and the open — needs someone who can already write inside the
//! bucket directory at that moment; the bucket root itself may be a link
//! (a data dir on another disk), its contents may not.

use std::fs;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use super::key::validate_key;
use super::StoreError;

/// `root/key` for a valid key, checked to lie under `root` and to pass
/// through no symbolic link among the components that exist today (a write
/// creates the rest).
pub(super) fn object_path(root: &Path, key: &str) -> Result<PathBuf, StoreError> {
    validate_key(key)?;
    let path = root.join(key);
    // The validator already refuses what could escape; this holds even if a
    // platform parses a key in a way the validator did not foresee.
    let under_root = path
        .strip_prefix(root)
        .is_ok_and(|rel| rel.components().all(|c| matches!(c, Component::Normal(_))));
    if !under_root {
        return Err(StoreError::InvalidKey {
            key: key.escape_debug().to_string(),
            reason: "the key resolves outside the bucket",
        });
    }
    refuse_links(root, key, &path)?;
    Ok(path)
}

/// Errors if any existing component of `path` below `root` is a link.
pub(super) fn refuse_links(root: &Path, key: &str, path: &Path) -> Result<(), StoreError> {
    let Ok(rel) = path.strip_prefix(root) else {
        return Err(StoreError::InvalidKey {
            key: key.escape_debug().to_string(),
            reason: "the key resolves outside the bucket",
        });
    };
    let mut at = root.to_path_buf();
    for component in rel.components() {
        at.push(component);
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(StoreError::Symlink {
                    key: key.to_string(),
                })
            }
            Ok(_) => {}
            // Nothing further exists, so nothing further can be a link.
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                return Ok(())
            }
            Err(e) => {
                return Err(StoreError::Io {
                    key: key.to_string(),
                    message: e.to_string(),
                })
            }
        }
    }
    Ok(())
}

/// Opens a checked object path for reading without following a link at the
/// last component (the kernel refuses with `ELOOP`).
pub(super) fn open_read(key: &str, path: &Path) -> Result<fs::File, StoreError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return StoreError::Symlink {
                key: key.to_string(),
            };
        }
        match e.kind() {
            ErrorKind::NotFound | ErrorKind::NotADirectory => StoreError::NotFound {
                key: key.to_string(),
            },
            _ => StoreError::Io {
                key: key.to_string(),
                message: e.to_string(),
            },
        }
    })
}
