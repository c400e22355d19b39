//! A local object's metadata (content type, user metadata, ETag), kept in a
//! JSON sidecar under `.stratus/meta/<key>.json`, and a cache of the
//! sidecars read, so a hit of an unchanged object reads no sidecar file.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

/// Metadata stored beside an object. `size` and `mtime_ns` tie it to one
/// version of the file: if the file was changed by hand, the sidecar is stale
/// and ignored.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Sidecar {
    pub size: u64,
    pub mtime_ns: u128,
    pub etag: String,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

impl Sidecar {
    /// Whether this sidecar was written for the file as it is now.
    pub fn describes(&self, file_meta: &fs::Metadata) -> bool {
        self.size == file_meta.len() && self.mtime_ns == mtime_ns(file_meta)
    }
}

/// One version of a file, as `stat` tells it. Any write to the file, a
/// replacement by rename (a new inode) or a hand edit, changes it: size,
/// mtime, or ctime, which no one can set back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileVersion {
    size: u64,
    mtime_ns: u128,
    #[cfg(unix)]
    inode: (u64, u64),
    #[cfg(unix)]
    ctime: (i64, i64),
}

impl FileVersion {
    fn of(file_meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        FileVersion {
            size: file_meta.len(),
            mtime_ns: mtime_ns(file_meta),
            #[cfg(unix)]
            inode: (file_meta.dev(), file_meta.ino()),
            #[cfg(unix)]
            ctime: (file_meta.ctime(), file_meta.ctime_nsec()),
        }
    }
}

/// Sidecars already read, by key, each valid only for the file version it
/// was read for: a hit compares the version with the `fstat` of the file it
/// opened, so an object replaced by another process (a new inode, size,
/// mtime or ctime) is read afresh at once.
#[derive(Default)]
pub(super) struct SidecarCache {
    entries: Mutex<HashMap<String, (FileVersion, Arc<Sidecar>)>>,
}

/// Enough for every variant a busy demo serves; past it the cache starts
/// over rather than tracking use (a miss costs one small file read).
const CACHE_ENTRIES: usize = 16 * 1024;

impl SidecarCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (FileVersion, Arc<Sidecar>)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached sidecar of `key` if it was read for this very file version.
    pub fn get(&self, key: &str, file_meta: &fs::Metadata) -> Option<Arc<Sidecar>> {
        let version = FileVersion::of(file_meta);
        self.entries()
            .get(key)
            .filter(|(cached, _)| *cached == version)
            .map(|(_, sidecar)| Arc::clone(sidecar))
    }

    pub fn insert(&self, key: &str, file_meta: &fs::Metadata, sidecar: Arc<Sidecar>) {
        let version = FileVersion::of(file_meta);
        let mut entries = self.entries();
        if entries.len() >= CACHE_ENTRIES && !entries.contains_key(key) {
            entries.clear();
        }
        entries.insert(key.to_string(), (version, sidecar));
    }

    /// Drops what is known of `key` (this process wrote or deleted it).
    pub fn forget(&self, key: &str) {
        self.entries().remove(key);
    }
}

impl std::fmt::Debug for SidecarCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SidecarCache")
            .field("entries", &self.entries().len())
            .finish()
    }
}

pub(super) fn mtime_ns(file_meta: &fs::Metadata) -> u128 {
    file_meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
