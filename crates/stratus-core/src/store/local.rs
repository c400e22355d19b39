//! `LocalStore`: a bucket as a directory. Objects are plain files at their key,
//! so a demo folder can be browsed with a file manager; Stratus's metadata
//! (content type, user metadata, ETag) sits beside them under `.stratus/meta`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Read, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use bytes::Bytes;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::key::{validate_key, RESERVED_DIR};
use super::no_follow;
use super::{
    ByteRange, GetObject, ListPage, ListRequest, ObjectMeta, ObjectStore, PutOptions, StoreError,
    StoreResult,
};

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
}

/// Metadata stored beside an object. `size` and `mtime_ns` tie it to one
/// version of the file: if the file was changed by hand, the sidecar is stale
/// and ignored.
#[derive(Debug, Serialize, Deserialize)]
struct Sidecar {
    size: u64,
    mtime_ns: u128,
    etag: String,
    content_type: Option<String>,
    cache_control: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
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
        Ok(LocalStore { root })
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
        self.write_sidecar(key, &sidecar)?;
        Ok(meta_from(key, &file_meta, Some(sidecar)))
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

    /// The sidecar of a key if it describes the file as it is now.
    fn fresh_sidecar(&self, key: &str, file_meta: &fs::Metadata) -> Option<Sidecar> {
        let raw = fs::read(self.sidecar_path(key)).ok()?;
        let sidecar: Sidecar = serde_json::from_slice(&raw).ok()?;
        (sidecar.size == file_meta.len() && sidecar.mtime_ns == mtime_ns(file_meta))
            .then_some(sidecar)
    }

    fn head_blocking(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        let path = self.object_path(key)?;
        let file_meta = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => m,
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                return Ok(None)
            }
            Err(e) => return Err(io_error(key, e)),
        };
        let sidecar = match self.fresh_sidecar(key, &file_meta) {
            Some(s) => s,
            None => {
                // Perhaps a put has just placed the file and is writing its
                // sidecar: wait for it. Otherwise the file was put here by
                // hand: describe it and remember the description.
                let _describing = self.lock(Lock::Describing, key)?;
                if let Some(sidecar) = self.fresh_sidecar(key, &file_meta) {
                    return Ok(Some(meta_from(key, &file_meta, Some(sidecar))));
                }
                let mut content = Vec::new();
                no_follow::open_read(key, &path)?
                    .read_to_end(&mut content)
                    .map_err(|e| io_error(key, e))?;
                let sidecar = Sidecar {
                    size: file_meta.len(),
                    mtime_ns: mtime_ns(&file_meta),
                    etag: hex::encode(Md5::digest(&content)),
                    content_type: None,
                    cache_control: None,
                    metadata: BTreeMap::new(),
                };
                // Best effort: a read-only bucket still answers heads.
                let _ = self.write_sidecar(key, &sidecar);
                sidecar
            }
        };
        Ok(Some(meta_from(key, &file_meta, Some(sidecar))))
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
                    let sidecar = self.fresh_sidecar(&key, &file_meta);
                    page.objects.push(meta_from(&key, &file_meta, sidecar));
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
        let meta = self.head(key).await?.ok_or_else(|| StoreError::NotFound {
            key: key.to_string(),
        })?;
        let opened = {
            let key = key.to_string();
            self.blocking(move |s| no_follow::open_read(&key, &s.object_path(&key)?))
                .await?
        };
        let mut file = tokio::fs::File::from_std(opened);
        let body: super::ObjectReader = match range {
            None => Box::pin(file),
            Some(r) => {
                if r.start >= meta.size || r.end.is_some_and(|end| end < r.start) {
                    return Err(StoreError::InvalidRange {
                        key: key.to_string(),
                    });
                }
                let end = r.end.unwrap_or(meta.size - 1).min(meta.size - 1);
                file.seek(SeekFrom::Start(r.start))
                    .await
                    .map_err(|e| io_error(key, e))?;
                Box::pin(file.take(end - r.start + 1))
            }
        };
        Ok(GetObject { meta, body })
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

fn meta_from(key: &str, file_meta: &fs::Metadata, sidecar: Option<Sidecar>) -> ObjectMeta {
    let last_modified = file_meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok());
    let (etag, content_type, cache_control, metadata) = match sidecar {
        Some(s) => (Some(s.etag), s.content_type, s.cache_control, s.metadata),
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

fn mtime_ns(file_meta: &fs::Metadata) -> u128 {
    file_meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0)
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
