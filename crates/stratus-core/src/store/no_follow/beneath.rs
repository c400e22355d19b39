//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`: the kernel walks a key
//! from the bucket folder and refuses any link on the way, in one call.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{Mode, OFlags, ResolveFlags};

/// Set once `openat2` turned out to be missing or filtered in this process,
/// so later reads go straight to the portable walk.
static UNAVAILABLE: AtomicBool = AtomicBool::new(false);

/// Set once `RESOLVE_CACHED` (Linux 5.12) turned out to be unknown here.
static NO_CACHED_LOOKUP: AtomicBool = AtomicBool::new(false);

const READ_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW)
    // A FIFO planted in the bucket must not hang the reader.
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY);

pub(super) enum Opened {
    File(File),
    Failed(io::Error),
    /// No `openat2` here (ENOSYS): use the walk.
    Unavailable,
    /// EPERM: a seccomp filter, or the file's permissions; the caller tells.
    Refused,
}

/// Opens `key` under `root` for reading. The root itself is opened by path
/// (it may be a link) on every call, so a bucket folder moved or recreated
/// meanwhile is seen as the path names it now.
pub(super) fn open(root: &Path, key: &str) -> Opened {
    if UNAVAILABLE.load(Ordering::Relaxed) {
        return Opened::Unavailable;
    }
    let dir = match rustix::fs::open(
        root,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(dir) => dir,
        Err(e) => return Opened::Failed(e.into()),
    };
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS;
    match rustix::fs::openat2(&dir, key, READ_FLAGS, Mode::empty(), resolve) {
        Ok(fd) => Opened::File(File::from(fd)),
        Err(rustix::io::Errno::NOSYS) => {
            mark_unavailable();
            Opened::Unavailable
        }
        Err(rustix::io::Errno::PERM) => Opened::Refused,
        Err(e) => Opened::Failed(e.into()),
    }
}

/// Like [`open`], but only if the kernel can do it without waiting for a
/// disk: the root and every component of the key must be in its lookup
/// cache (`RESOLVE_CACHED`, the way io_uring tries an open inline). `None`
/// means "not now" (or refused): [`open`] on the blocking pool decides.
pub(super) fn open_cached(root: &Path, key: &str) -> Option<File> {
    if UNAVAILABLE.load(Ordering::Relaxed) || NO_CACHED_LOOKUP.load(Ordering::Relaxed) {
        return None;
    }
    let dir = match rustix::fs::openat2(
        rustix::fs::CWD,
        root,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::CACHED,
    ) {
        Ok(dir) => dir,
        // An unknown resolve flag: a kernel before 5.12.
        Err(rustix::io::Errno::INVAL) => {
            NO_CACHED_LOOKUP.store(true, Ordering::Relaxed);
            return None;
        }
        Err(_) => return None,
    };
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::CACHED;
    let fd = rustix::fs::openat2(&dir, key, READ_FLAGS, Mode::empty(), resolve).ok()?;
    Some(File::from(fd))
}

pub(super) fn mark_unavailable() {
    if !UNAVAILABLE.swap(true, Ordering::Relaxed) {
        tracing::info!("openat2 is not available here: local buckets check each folder of a key with lstat instead");
    }
}
