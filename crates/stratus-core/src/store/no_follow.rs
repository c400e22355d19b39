//! Paths inside a local bucket that never go through a symbolic link.
//!
//! A link inside a bucket directory (`photos/x.jpg -> /etc/passwd`, or a
//! folder linked to `/`) would let anyone who can ask for a key read, list or
//! overwrite files outside the bucket. Stratus does not follow links there.
//!
//! Reads: on Linux an object is opened with one `openat2` from the bucket
//! folder with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`: the kernel walks
//! the key and refuses a link at any component, with no window between a
//! check and the open. Where `openat2` is missing (kernels before 5.6) or
//! refused (a seccomp filter), and on other platforms, every component is
//! checked with `lstat` first and the file is opened with `O_NOFOLLOW`, so a
//! link swapped in for the file itself after the check is still refused.
//!
//! A hit may first try the same `openat2` with `RESOLVE_CACHED` on the
//! async worker: it succeeds only if no component needs the disk.
//!
//! Writes, deletes and listings take the `lstat` walk. Its remaining window
//! — an intermediate folder replaced by a link between the check and the
//! use — needs someone who can already write inside the bucket directory at
//! that moment; the bucket root itself may be a link (a data dir on another
//! disk), its contents may not.

use std::fs;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use super::key::validate_key;
use super::StoreError;

#[cfg(target_os = "linux")]
mod beneath;

/// An object's file, open for reading, and its metadata from that open
/// file (so both describe the same version of the object).
pub(super) struct OpenedObject {
    pub file: fs::File,
    pub meta: fs::Metadata,
}

/// Opens the object at `key` for reading through no link. `None` if there
/// is no object there (nothing, or a folder or other non-file).
pub(super) fn open_object(root: &Path, key: &str) -> Result<Option<OpenedObject>, StoreError> {
    let file = match open_file(root, key) {
        Ok(file) => file,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata().map_err(|e| open_error(key, e))?;
    if !meta.is_file() {
        return Ok(None);
    }
    Ok(Some(OpenedObject { file, meta }))
}

/// [`open_object`] if the kernel can do it without waiting for a disk
/// (Linux: every component of the path in its lookup cache). `None`: not
/// now, or not an object, or refused; [`open_object`] tells which.
#[cfg(target_os = "linux")]
pub(super) fn open_object_now(root: &Path, key: &str) -> Option<OpenedObject> {
    validate_key(key).ok()?;
    let file = beneath::open_cached(root, key)?;
    let meta = file.metadata().ok()?;
    meta.is_file().then_some(OpenedObject { file, meta })
}

#[cfg(not(target_os = "linux"))]
pub(super) fn open_object_now(_root: &Path, _key: &str) -> Option<OpenedObject> {
    None
}

#[cfg(target_os = "linux")]
fn open_file(root: &Path, key: &str) -> Result<fs::File, StoreError> {
    validate_key(key)?;
    match beneath::open(root, key) {
        beneath::Opened::File(file) => Ok(file),
        beneath::Opened::Failed(e) => Err(open_error(key, e)),
        beneath::Opened::Unavailable => open_by_walk(root, key),
        // EPERM: a seccomp filter, or the file's own permissions. If the
        // plain open works, it was the filter: stop asking for openat2.
        beneath::Opened::Refused => {
            let file = open_by_walk(root, key)?;
            beneath::mark_unavailable();
            Ok(file)
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn open_file(root: &Path, key: &str) -> Result<fs::File, StoreError> {
    open_by_walk(root, key)
}

/// The portable way: `lstat` every component, then open with `O_NOFOLLOW`.
fn open_by_walk(root: &Path, key: &str) -> Result<fs::File, StoreError> {
    open_read(key, &object_path(root, key)?)
}

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
        return Err(outside(key));
    }
    refuse_links(root, key, &path)?;
    Ok(path)
}

/// Errors if any existing component of `path` below `root` is a link.
pub(super) fn refuse_links(root: &Path, key: &str, path: &Path) -> Result<(), StoreError> {
    let Ok(rel) = path.strip_prefix(root) else {
        return Err(outside(key));
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
        // Non-blocking: a FIFO put in the bucket must not hang the reader.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path).map_err(|e| open_error(key, e))
}

/// What a failed open means for a reader of `key`.
fn open_error(key: &str, e: std::io::Error) -> StoreError {
    #[cfg(unix)]
    match e.raw_os_error() {
        // A link where the walk allows none.
        Some(libc::ELOOP) => {
            return StoreError::Symlink {
                key: key.to_string(),
            }
        }
        // `RESOLVE_BENEATH` refused a way out of the bucket.
        Some(libc::EXDEV) => return outside(key),
        _ => {}
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
}

fn outside(key: &str) -> StoreError {
    StoreError::InvalidKey {
        key: key.escape_debug().to_string(),
        reason: "the key resolves outside the bucket",
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::io::Read;
    use std::os::unix::fs::symlink;

    use super::*;

    /// A bucket with a real file, a file link and a folder link pointing out.
    fn bucket() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("secret.txt"), "root:x:0:0").unwrap();
        let root = dir.path().join("bucket");
        fs::create_dir_all(root.join("photos")).unwrap();
        fs::write(root.join("photos/real.jpg"), "real").unwrap();
        symlink(outside.join("secret.txt"), root.join("photos/link.jpg")).unwrap();
        symlink(&outside, root.join("escape")).unwrap();
        (dir, root)
    }

    fn read(mut file: fs::File) -> String {
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        text
    }

    /// The fallback for kernels or sandboxes without `openat2` keeps the rule.
    #[test]
    fn the_walk_refuses_links_too() {
        let (_dir, root) = bucket();
        assert_eq!(
            read(open_by_walk(&root, "photos/real.jpg").unwrap()),
            "real"
        );
        for key in ["photos/link.jpg", "escape/secret.txt"] {
            let err = open_by_walk(&root, key).unwrap_err();
            assert_eq!(err.code(), "symlink", "{key}: {err}");
        }
    }

    #[test]
    fn objects_open_through_no_link_and_folders_are_not_objects() {
        let (_dir, root) = bucket();
        let opened = open_object(&root, "photos/real.jpg").unwrap().unwrap();
        assert_eq!(opened.meta.len(), 4);
        assert_eq!(read(opened.file), "real");
        for key in ["photos/link.jpg", "escape/secret.txt"] {
            let err = open_object(&root, key).err().unwrap();
            assert_eq!(err.code(), "symlink", "{key}: {err}");
        }
        assert!(open_object(&root, "photos").unwrap().is_none());
        assert!(open_object(&root, "photos/missing.jpg").unwrap().is_none());
        assert!(open_object(&root, "photos/real.jpg/under")
            .unwrap()
            .is_none());
    }

    /// The bucket folder itself may be a link (a data dir on another disk).
    #[test]
    fn the_bucket_root_may_be_a_link() {
        let (dir, root) = bucket();
        let linked = dir.path().join("linked-bucket");
        symlink(&root, &linked).unwrap();
        let opened = open_object(&linked, "photos/real.jpg").unwrap().unwrap();
        assert_eq!(read(opened.file), "real");
        let err = open_object(&linked, "escape/secret.txt").err().unwrap();
        assert_eq!(err.code(), "symlink", "{err}");
    }

    /// A FIFO planted in the bucket is not an object and does not hang.
    #[test]
    fn a_fifo_is_not_an_object() {
        let (_dir, root) = bucket();
        let made = std::process::Command::new("mkfifo")
            .arg(root.join("photos/pipe.jpg"))
            .status()
            .unwrap();
        assert!(made.success());
        assert!(open_object(&root, "photos/pipe.jpg").unwrap().is_none());
    }
}
