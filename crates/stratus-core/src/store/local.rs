//! `LocalStore`: a bucket as a directory. Objects are plain files at their key,
//! so a demo folder can be browsed with a file manager; Stratus's metadata
//! (content type, user metadata, ETag) sits beside them under `.stratus/meta`.
//!
//! A read is one trip to the blocking pool: open the object through no link
//! (one `openat2` on Linux, see [`no_follow`]), `fstat` it, take its sidecar
//! from the cache when it was read for this very file version, and read a
//! body of up to [`READ_WHOLE_UP_TO`] into memory, so the answer needs no
//! further trip. Larger bodies stream from the open file.
//!
//! A hit of a small object that nothing in needs the disk (path in the
//! kernel's lookup cache, sidecar in ours, bytes in the page cache) makes
//! no trip at all: on Linux it is tried first on the caller's thread with
//! calls that answer "not now" instead of waiting (`RESOLVE_CACHED`,
//! `RWF_NOWAIT`), and anything else goes to the pool.

#[cfg(target_os = "linux")]
mod nowait;
mod sidecar;

use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::io::AsyncReadExt;

use self::sidecar::{mtime_ns, Sidecar, SidecarCache};
use super::key::{validate_key, RESERVED_DIR};
use super::no_follow::{self, OpenedObject};
use super::{
    ByteRange, GetObject, ListPage, ListRequest, ObjectMeta, ObjectStore, PutOptions, StoreError,
    StoreResult,
};

/// Bodies up to this size (or ranges of this length) are read whole in the
/// blocking call that opens the object; larger ones stream from the file.
pub const READ_WHOLE_UP_TO: u64 = 1024 * 1024;

/// Hits up to this size may be read on the caller's (async) thread when
/// their bytes are in memory: a copy of this size takes microseconds.
const READ_NOW_UP_TO: u64 = 256 * 1024;

/// The two holders of the placing lock (see [`LocalStore::lock`]).
#[derive(Debug, Clone, Copy)]
enum Lock {
    Placing,
    Describing,
}

/// A bucket kept in a local directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    sidecars: Arc<SidecarCache>,
}

impl LocalStore {
    /// Opens (and creates if needed) a bucket directory.
    pub fn open(root: impl Into<PathBuf>) -> StoreResult<Self> {
        let root = root.into();
        for dir in [
            root.join(RESERVED_DIR).join("meta"),
            root.join(RESERVED_DIR).join("tmp"),
        ] {
            fs::create_dir_all(&dir).map_err(|e| StoreError::Io {
                key: dir.display().to_string(),
                message: e.to_string(),
            })?;
        }
        Ok(LocalStore {
            root,
            sidecars: Arc::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of a key: valid, under the root, and reached through no link.
    fn object_path(&self, key: &str) -> StoreResult<PathBuf> {
        no_follow::object_path(&self.root, key)
    }

    fn sidecar_path(&self, key: &str) -> PathBuf {
        self.root
            .join(RESERVED_DIR)
            .join("meta")
            .join(format!("{key}.json"))
    }

    /// Takes the bucket's placing lock (a file under `.stratus`, so it
    /// holds across processes): exclusive while a put places an object and
    /// writes its sidecar, shared while a reader that found no sidecar for
    /// a file looks again before describing the file itself. Without it, a
    /// reader between the two steps of a put would describe the new object
    /// without its metadata, and a conditional create's loser would take
    /// the winner's variant for a stale one. Released when dropped.
    fn lock(&self, kind: Lock, key: &str) -> StoreResult<fs::File> {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join(RESERVED_DIR).join("placing.lock"))
            .map_err(|e| io_error(key, e))?;
        let locked = match kind {
            Lock::Placing => file.lock(),
            Lock::Describing => file.lock_shared(),
        };
        locked.map_err(|e| io_error(key, e))?;
        Ok(file)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(LocalStore) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || work(this))
            .await
            .map_err(|e| StoreError::Io {
                key: String::new(),
                message: format!("store worker failed: {e}"),
            })?
    }

    fn put_blocking(
        &self,
        key: &str,
        body: &[u8],
        options: &PutOptions,
    ) -> StoreResult<ObjectMeta> {
        let path = self.object_path(key)?;
        let io = |e: std::io::Error| io_error(key, e);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| match e.kind() {
                ErrorKind::NotADirectory | ErrorKind::AlreadyExists => StoreError::InvalidKey {
                    key: key.to_string(),
                    reason: "a parent of this key is already an object (a file cannot also be a folder here)",
                },
                _ => io(e),
            })?;
            // `create_dir_all` follows links in folders that already existed:
            // check again now that the whole path exists.
            no_follow::refuse_links(&self.root, key, parent)?;
        }
        if path.is_dir() {
            return Err(StoreError::InvalidKey {
                key: key.to_string(),
                reason: "this key is already a folder of other objects",
            });
        }
        // Write to a temp file in the same bucket, then move it into place, so
        // a reader never sees half an object and a crash leaves no torn file.
        let mut tmp = tempfile::NamedTempFile::new_in(self.root.join(RESERVED_DIR).join("tmp"))
            .map_err(io)?;
        tmp.write_all(body).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        // From the moment the object is in place until its sidecar is, a
        // reader must not describe it (see `head_blocking`).
        let _placing = self.lock(Lock::Placing, key)?;
        if options.if_none_match {
            // A hard link fails atomically if the target exists: a conditional
            // create that holds across processes, like S3's `If-None-Match: *`.
            match fs::hard_link(tmp.path(), &path) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    return Err(StoreError::AlreadyExists {
                        key: key.to_string(),
                    })
                }
                Err(e) => return Err(io(e)),
            }
        } else {
            tmp.persist(&path).map_err(|e| io(e.error))?;
        }
        let etag = hex::encode(Md5::digest(body));
        let file_meta = fs::symlink_metadata(&path).map_err(io)?;
        let sidecar = Sidecar {
            size: file_meta.len(),
            mtime_ns: mtime_ns(&file_meta),
            etag,
            content_type: options.content_type.clone(),
            cache_control: options.cache_control.clone(),
            metadata: lower_keys(&options.metadata),
        };
        self.sidecars.forget(key);
        self.write_sidecar(key, &sidecar)?;
        Ok(meta_from(key, &file_meta, Some(&sidecar)))
    }

    fn write_sidecar(&self, key: &str, sidecar: &Sidecar) -> StoreResult<()> {
        let path = self.sidecar_path(key);
        let io = |e: std::io::Error| io_error(key, e);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io)?;
        }
        let json = serde_json::to_vec(sidecar).map_err(|e| StoreError::Io {
            key: key.to_string(),
            message: e.to_string(),
        })?;
        let mut tmp = tempfile::NamedTempFile::new_in(self.root.join(RESERVED_DIR).join("tmp"))
            .map_err(io)?;
        tmp.write_all(&json).map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// The sidecar file of a key if it describes the file as it is now.
    fn fresh_sidecar(&self, key: &str, file_meta: &fs::Metadata) -> Option<Sidecar> {
        let raw = fs::read(self.sidecar_path(key)).ok()?;
        let sidecar: Sidecar = serde_json::from_slice(&raw).ok()?;
        sidecar.describes(file_meta).then_some(sidecar)
    }

    /// The sidecar of an open object: cached for this file version, read
    /// from its file, or (a file put here by hand) made from the content.
    fn sidecar_of(&self, key: &str, opened: &OpenedObject) -> StoreResult<Arc<Sidecar>> {
        if let Some(sidecar) = self.sidecars.get(key, &opened.meta) {
            return Ok(sidecar);
        }
        let sidecar = match self.fresh_sidecar(key, &opened.meta) {
            Some(sidecar) => sidecar,
            None => {
                // Perhaps a put has just placed the file and is writing its
                // sidecar: wait for it (see `lock`). Otherwise the file was
                // put here by hand: describe it and remember the description.
                let _describing = self.lock(Lock::Describing, key)?;
                if let Some(sidecar) = self.fresh_sidecar(key, &opened.meta) {
                    let sidecar = Arc::new(sidecar);
                    self.sidecars
                        .insert(key, &opened.meta, Arc::clone(&sidecar));
                    return Ok(sidecar);
                }
                let content = read_range(key, &opened.file, 0, opened.meta.len())?;
                let sidecar = Sidecar {
                    size: opened.meta.len(),
                    mtime_ns: mtime_ns(&opened.meta),
                    etag: hex::encode(Md5::digest(&content)),
                    content_type: None,
                    cache_control: None,
                    metadata: BTreeMap::new(),
                };
                // Best effort: a read-only bucket still answers reads.
                let _ = self.write_sidecar(key, &sidecar);
                sidecar
            }
        };
        let sidecar = Arc::new(sidecar);
        self.sidecars
            .insert(key, &opened.meta, Arc::clone(&sidecar));
        Ok(sidecar)
    }

    fn head_blocking(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        let Some(opened) = no_follow::open_object(&self.root, key)? else {
            return Ok(None);
        };
        let sidecar = self.sidecar_of(key, &opened)?;
        Ok(Some(meta_from(key, &opened.meta, Some(&sidecar))))
    }

    /// A whole GET in one blocking call: open, `fstat`, metadata, and the
    /// body itself when it is small.
    fn get_blocking(&self, key: &str, range: Option<ByteRange>) -> StoreResult<GetObject> {
        let opened =
            no_follow::open_object(&self.root, key)?.ok_or_else(|| StoreError::NotFound {
                key: key.to_string(),
            })?;
        let sidecar = self.sidecar_of(key, &opened)?;
        let meta = meta_from(key, &opened.meta, Some(&sidecar));
        let (start, len) = span(key, meta.size, range)?;
        if len <= READ_WHOLE_UP_TO {
            let bytes = read_range(key, &opened.file, start, len)?;
            return Ok(GetObject::loaded(meta, Bytes::from(bytes)));
        }
        let mut file = opened.file;
        file.seek(SeekFrom::Start(start))
            .map_err(|e| io_error(key, e))?;
        let body = tokio::fs::File::from_std(file).take(len);
        Ok(GetObject::streamed(meta, Box::pin(body)))
    }

    /// A GET answered on this thread, if nothing in it has to wait: see the
    /// module's notes. `None`: ask the blocking pool, which also gives the
    /// errors (a missing key, a link, a bad range).
    fn get_now(&self, key: &str, range: Option<ByteRange>) -> Option<GetObject> {
        let opened = no_follow::open_object_now(&self.root, key)?;
        let sidecar = self.sidecars.get(key, &opened.meta)?;
        let meta = meta_from(key, &opened.meta, Some(&sidecar));
        let (start, len) = span(key, meta.size, range).ok()?;
        if len > READ_NOW_UP_TO {
            return None;
        }
        let bytes = read_now(&opened.file, start, len)?;
        Some(GetObject::loaded(meta, Bytes::from(bytes)))
    }

    fn delete_blocking(&self, key: &str) -> StoreResult<()> {
        let path = self.object_path(key)?;
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {}
            // A folder is not an object: nothing to delete, as in S3.
            Err(_) if path.is_dir() => return Ok(()),
            Err(e) => return Err(io_error(key, e)),
        }
        self.sidecars.forget(key);
        let _ = fs::remove_file(self.sidecar_path(key));
        // Drop folders left empty, as S3 has no empty "folders" either.
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == self.root || fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    fn list_blocking(&self, request: &ListRequest) -> StoreResult<ListPage> {
        // Walk only the directory that the prefix names; a prefix may end in
        // the middle of a file name, so start at its last complete folder.
        let base = match request.prefix.rfind('/') {
            Some(i) => &request.prefix[..=i],
            None => "",
        };
        let mut keys = Vec::new();
        if !base.is_empty() && validate_key(base.trim_end_matches('/')).is_err() {
            return Ok(ListPage::default());
        }
        let base_dir = self.root.join(base);
        // A linked folder is not listed (and its contents are not objects).
        if no_follow::refuse_links(&self.root, base, &base_dir).is_err() {
            return Ok(ListPage::default());
        }
        collect_keys(&base_dir, base, &mut keys).map_err(|e| io_error(&request.prefix, e))?;
        keys.retain(|k| k.starts_with(&request.prefix));
        keys.sort_unstable();

        let mut page = ListPage::default();
        let mut entries = 0usize;
        let mut last_entry: Option<String> = None;
        for key in keys {
            if let Some(after) = &request.start_after {
                if key.as_str() <= after.as_str() {
                    continue;
                }
            }
            if let Some(token) = &request.continuation {
                if key.as_str() <= token.as_str()
                    || (token.ends_with('/') && key.starts_with(token.as_str()))
                {
                    continue;
                }
            }
            let folder = request.delimiter.and_then(|d| {
                let rest = &key[request.prefix.len()..];
                rest.find(d)
                    .map(|i| format!("{}{}", request.prefix, &rest[..i + d.len_utf8()]))
            });
            if entries == request.limit {
                page.next_continuation = last_entry;
                return Ok(page);
            }
            match folder {
                Some(folder) => {
                    if page.common_prefixes.last() != Some(&folder) {
                        page.common_prefixes.push(folder.clone());
                        last_entry = Some(folder);
                        entries += 1;
                    }
                }
                None => {
                    let path = self.root.join(&key);
                    let Ok(file_meta) = fs::symlink_metadata(&path) else {
                        continue;
                    };
                    let sidecar = self.sidecars.get(&key, &file_meta).or_else(|| {
                        let sidecar = Arc::new(self.fresh_sidecar(&key, &file_meta)?);
                        self.sidecars.insert(&key, &file_meta, Arc::clone(&sidecar));
                        Some(sidecar)
                    });
                    page.objects
                        .push(meta_from(&key, &file_meta, sidecar.as_deref()));
                    last_entry = Some(key);
                    entries += 1;
                }
            }
        }
        Ok(page)
    }
}

#[async_trait]
impl ObjectStore for LocalStore {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> StoreResult<GetObject> {
        if let Some(hit) = self.get_now(key, range) {
            return Ok(hit);
        }
        let key = key.to_string();
        self.blocking(move |s| s.get_blocking(&key, range)).await
    }

    async fn put(&self, key: &str, body: Bytes, options: PutOptions) -> StoreResult<ObjectMeta> {
        let key = key.to_string();
        self.blocking(move |s| s.put_blocking(&key, &body, &options))
            .await
    }

    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        let key = key.to_string();
        self.blocking(move |s| s.head_blocking(&key)).await
    }

    async fn list(&self, request: ListRequest) -> StoreResult<ListPage> {
        self.blocking(move |s| s.list_blocking(&request)).await
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let key = key.to_string();
        self.blocking(move |s| s.delete_blocking(&key)).await
    }
}

fn collect_keys(dir: &Path, key_prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
            return Ok(())
        }
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        // Names that are not UTF-8 cannot be keys; skip them rather than fail the listing.
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if key_prefix.is_empty() && name == RESERVED_DIR {
            continue;
        }
        let key = format!("{key_prefix}{name}");
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            collect_keys(&entry.path(), &format!("{key}/"), out)?;
        } else if file_type.is_file() {
            out.push(key);
        }
    }
    Ok(())
}

fn meta_from(key: &str, file_meta: &fs::Metadata, sidecar: Option<&Sidecar>) -> ObjectMeta {
    let last_modified = file_meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok());
    let (etag, content_type, cache_control, metadata) = match sidecar {
        Some(s) => (
            Some(s.etag.clone()),
            s.content_type.clone(),
            s.cache_control.clone(),
            s.metadata.clone(),
        ),
        None => (None, None, None, BTreeMap::new()),
    };
    ObjectMeta {
        key: key.to_string(),
        size: file_meta.len(),
        etag,
        last_modified,
        content_type,
        cache_control,
        metadata,
    }
}

/// Where a read starts and how many bytes it takes, for an object of `size`.
fn span(key: &str, size: u64, range: Option<ByteRange>) -> StoreResult<(u64, u64)> {
    let Some(r) = range else {
        return Ok((0, size));
    };
    if r.start >= size || r.end.is_some_and(|end| end < r.start) {
        return Err(StoreError::InvalidRange {
            key: key.to_string(),
        });
    }
    let end = r.end.unwrap_or(size - 1).min(size - 1);
    Ok((r.start, end - r.start + 1))
}

#[cfg(target_os = "linux")]
fn read_now(file: &fs::File, start: u64, len: u64) -> Option<Vec<u8>> {
    nowait::read(file, start, len)
}

#[cfg(not(target_os = "linux"))]
fn read_now(_file: &fs::File, _start: u64, _len: u64) -> Option<Vec<u8>> {
    None
}

/// `len` bytes from `start` (fewer if the file was cut short meanwhile).
fn read_range(key: &str, file: &fs::File, start: u64, len: u64) -> StoreResult<Vec<u8>> {
    let mut buf = vec![0; usize::try_from(len).unwrap_or(0)];
    let mut filled = 0;
    while filled < buf.len() {
        match read_at(file, &mut buf[filled..], start + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(key, e)),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

#[cfg(unix)]
fn read_at(file: &fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

fn lower_keys(metadata: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    metadata
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect()
}

fn io_error(key: &str, e: std::io::Error) -> StoreError {
    StoreError::Io {
        key: key.to_string(),
        message: e.to_string(),
    }
}

#[cfg(test)]
#[cfg(target_os = "linux")]
mod tests {
    use super::*;

    /// A repeated hit of a small object is answered without the blocking
    /// pool; a replaced one is not (its sidecar must be read first), and
    /// the pool then gives the new version.
    #[tokio::test]
    async fn a_warm_hit_needs_no_trip_to_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path().join("bucket")).unwrap();
        let key = "variants/a.jpg/thumb.jpeg";
        store
            .put(key, Bytes::from_static(b"first"), PutOptions::default())
            .await
            .unwrap();
        assert!(store.get_now(key, None).is_none(), "sidecar not read yet");
        store.get(key, None).await.unwrap();
        let hit = store.get_now(key, None).expect("a warm hit");
        assert_eq!(
            hit.meta.etag.as_deref(),
            Some(hex::encode(Md5::digest(b"first")).as_str())
        );
        assert_eq!(hit.bytes().await.unwrap(), Bytes::from_static(b"first"));
        let range = Some(ByteRange {
            start: 1,
            end: Some(2),
        });
        let part = store.get_now(key, range).expect("a warm range");
        assert_eq!(part.bytes().await.unwrap(), Bytes::from_static(b"ir"));

        LocalStore::open(dir.path().join("bucket"))
            .unwrap()
            .put(key, Bytes::from_static(b"second"), PutOptions::default())
            .await
            .unwrap();
        assert!(store.get_now(key, None).is_none(), "replaced: read afresh");
        let got = store.get(key, None).await.unwrap();
        assert_eq!(got.bytes().await.unwrap(), Bytes::from_static(b"second"));
    }
}
