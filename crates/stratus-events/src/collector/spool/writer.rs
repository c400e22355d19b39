//! The spool's writer: one thread owns the open segment. Requests hand it
//! their records and wait; it takes every request that is waiting, writes
//! them in one go and makes them durable with one `fdatasync` (group
//! commit), then answers them all. So a burst of concurrent requests costs
//! one disk flush, not one each, and no request is answered before its
//! events are on disk.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::segment::{sync_dir, SegmentName};
use super::Shared;

/// Records a group takes before it is written, so one huge burst is still
/// flushed in bounded steps.
const GROUP_BYTES: usize = 8 * 1024 * 1024;

/// How often segments that could not be sealed are tried again.
const ORPHAN_RETRY: Duration = Duration::from_secs(5);

/// What the writer is asked to do. Errors travel as text: one failed write
/// answers every request of its group.
pub(super) enum Command {
    Append {
        records: Vec<u8>,
        done: oneshot::Sender<Result<(), String>>,
    },
    Seal {
        done: oneshot::Sender<Result<(), String>>,
    },
}

struct OpenSegment {
    name: SegmentName,
    file: File,
    len: u64,
    since: Instant,
}

pub(super) struct Writer {
    pub dir: PathBuf,
    pub shared: Arc<Shared>,
    pub seal_after: Duration,
    pub seal_bytes: u64,
    open: Option<OpenSegment>,
    /// Segments left open by a failed write whose seal failed too: their
    /// records were acknowledged, so they are sealed (and uploaded) as soon
    /// as the disk lets us, not only at the next start.
    orphans: Vec<SegmentName>,
}

impl Writer {
    pub fn new(dir: PathBuf, shared: Arc<Shared>, seal_after: Duration, seal_bytes: u64) -> Self {
        Writer {
            dir,
            shared,
            seal_after,
            seal_bytes,
            open: None,
            orphans: Vec::new(),
        }
    }

    /// Serves commands until every sender is gone, then seals what is open.
    pub fn run(mut self, commands: Receiver<Command>) {
        loop {
            self.seal_orphans();
            let mut wait = match &self.open {
                Some(open) => self.seal_after.saturating_sub(open.since.elapsed()),
                None => Duration::from_secs(3600),
            };
            if !self.orphans.is_empty() {
                wait = wait.min(ORPHAN_RETRY);
            }
            let first = match commands.recv_timeout(wait) {
                Ok(command) => command,
                Err(RecvTimeoutError::Timeout) => {
                    self.seal_logged();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.seal_logged();
                    return;
                }
            };
            let mut group = Vec::new();
            let mut seals = Vec::new();
            let mut bytes = 0;
            let mut next = Some(first);
            while let Some(command) = next.take() {
                match command {
                    Command::Append { records, done } => {
                        bytes += records.len();
                        group.push((records, done));
                    }
                    Command::Seal { done } => seals.push(done),
                }
                if bytes < GROUP_BYTES {
                    next = commands.try_recv().ok();
                }
            }
            if !group.is_empty() {
                let result = self
                    .append(group.iter().map(|(r, _)| r.as_slice()))
                    .map_err(|e| e.to_string());
                for (_, done) in group {
                    // The request may have gone away; its events are kept anyway.
                    let _ = done.send(result.clone());
                }
            }
            let due = self.open.as_ref().is_some_and(|open| {
                open.len >= self.seal_bytes || open.since.elapsed() >= self.seal_after
            });
            if due || !seals.is_empty() {
                let result = self.seal().map_err(|e| e.to_string());
                if let Err(e) = &result {
                    tracing::warn!(error = %e, "cannot seal the collector spool segment");
                }
                for done in seals {
                    let _ = done.send(result.clone());
                }
            }
        }
    }

    /// Writes a group and makes it durable. On failure the segment is cut
    /// back to its last durable length and closed, so a later write never
    /// follows a torn record.
    fn append<'a>(&mut self, group: impl Iterator<Item = &'a [u8]>) -> Result<(), io::Error> {
        let open = self.open_segment()?;
        let mut written = 0u64;
        let result = (|| {
            for records in group {
                open.file.write_all(records)?;
                written += records.len() as u64;
            }
            open.file.sync_data()
        })();
        match result {
            Ok(()) => {
                open.len += written;
                self.shared.queued.send_modify(|q| *q += written);
                Ok(())
            }
            Err(e) => {
                let len = open.len;
                if let Err(cut) = open.file.set_len(len) {
                    tracing::warn!(error = %cut, "cannot cut back a failed spool write");
                }
                // Start a fresh segment for the next write; this one stays
                // on disk as `.open` if it cannot be sealed, and the next
                // start seals it.
                if let Err(seal) = self.seal() {
                    tracing::warn!(error = %seal, "cannot seal the collector spool segment; retrying");
                    if let Some(open) = self.open.take() {
                        self.orphans.push(open.name);
                    }
                }
                Err(e)
            }
        }
    }

    fn open_segment(&mut self) -> io::Result<&mut OpenSegment> {
        if self.open.is_none() {
            let name = SegmentName::new_open();
            let file = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(name.path(&self.dir))?;
            sync_dir(&self.dir)?;
            self.open = Some(OpenSegment {
                name,
                file,
                len: 0,
                since: Instant::now(),
            });
        }
        self.open
            .as_mut()
            .ok_or_else(|| io::Error::other("no open spool segment"))
    }

    /// Closes the open segment and queues it for upload (an empty one is
    /// just removed).
    fn seal(&mut self) -> io::Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let from = open.name.path(&self.dir);
        if open.len == 0 {
            drop(open.file);
            return fs::remove_file(&from);
        }
        let result = (|| {
            open.file.sync_all()?;
            fs::rename(&from, open.name.sealed().path(&self.dir))?;
            sync_dir(&self.dir)
        })();
        if result.is_err() {
            // Keep it open for a later try rather than lose track of it
            // (a timed try waits another `seal_after`).
            self.open = Some(OpenSegment {
                since: Instant::now(),
                ..open
            });
        } else {
            self.shared.sealed.notify_one();
        }
        result
    }

    /// Tries again to seal the segments a failed write left open.
    fn seal_orphans(&mut self) {
        let dir = self.dir.clone();
        let before = self.orphans.len();
        self.orphans.retain(|name| {
            let result =
                fs::rename(name.path(&dir), name.sealed().path(&dir)).and_then(|()| sync_dir(&dir));
            if let Err(e) = &result {
                tracing::warn!(error = %e, "cannot seal a collector spool segment yet");
            }
            result.is_err()
        });
        if self.orphans.len() < before {
            self.shared.sealed.notify_one();
        }
    }

    fn seal_logged(&mut self) {
        if let Err(e) = self.seal() {
            tracing::warn!(error = %e, "cannot seal the collector spool segment");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A write that failed and whose segment could not be sealed either
    /// leaves acknowledged records in an open segment: it is sealed as soon
    /// as the disk lets it, not only at the next start.
    #[test]
    fn a_segment_that_could_not_be_sealed_is_sealed_when_the_disk_lets_it() {
        let dir = tempfile::tempdir().unwrap();
        let shared = Arc::new(Shared {
            queued: tokio::sync::watch::Sender::new(0),
            sealed: tokio::sync::Notify::new(),
            pause_ms: Default::default(),
        });
        let mut writer = Writer::new(
            dir.path().to_path_buf(),
            shared,
            Duration::from_secs(60),
            1 << 20,
        );
        let name = SegmentName::new_open();
        let records = b"{\"event_id\":\"acknowledged\"}\n";
        fs::write(name.path(dir.path()), records).unwrap();
        // Something stands where the sealed segment goes: the rename fails.
        let blocker = name.sealed().path(dir.path());
        fs::create_dir(&blocker).unwrap();
        fs::write(blocker.join("in-the-way"), b"").unwrap();
        writer.orphans.push(name);

        writer.seal_orphans();
        assert_eq!(writer.orphans, [name], "kept for the next try");
        assert!(name.path(dir.path()).exists());

        fs::remove_dir_all(&blocker).unwrap();
        writer.seal_orphans();
        assert!(writer.orphans.is_empty());
        assert_eq!(fs::read(name.sealed().path(dir.path())).unwrap(), records);
        assert!(!name.path(dir.path()).exists());
    }
}
