//! Reads that never wait for a disk: `preadv2(RWF_NOWAIT)` takes bytes that
//! are in the page cache and answers "not now" for the rest, so a hit can
//! be read on an async worker and anything else goes to the blocking pool.

use std::fs::File;
use std::io::IoSliceMut;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::io::{Errno, ReadWriteFlags};

/// Set once the filesystem turned out not to take `RWF_NOWAIT` for reads.
static UNSUPPORTED: AtomicBool = AtomicBool::new(false);

/// `len` bytes at `start` if all of them are in the page cache now.
pub(super) fn read(file: &File, start: u64, len: u64) -> Option<Vec<u8>> {
    if UNSUPPORTED.load(Ordering::Relaxed) {
        return None;
    }
    let mut buf = vec![0; usize::try_from(len).ok()?];
    let mut filled = 0;
    while filled < buf.len() {
        let at = start + filled as u64;
        match rustix::io::preadv2(
            file,
            &mut [IoSliceMut::new(&mut buf[filled..])],
            at,
            ReadWriteFlags::NOWAIT,
        ) {
            // Cut short meanwhile: the blocking read tells what is there.
            Ok(0) => return None,
            Ok(n) => filled += n,
            Err(Errno::INTR) => {}
            Err(Errno::OPNOTSUPP) => {
                UNSUPPORTED.store(true, Ordering::Relaxed);
                return None;
            }
            // EAGAIN: not all in memory; anything else: let the pool see it.
            Err(_) => return None,
        }
    }
    Some(buf)
}
