//! The collector's local spool, for a long-running server (`stratus serve`):
//! a request's events are appended to a write-ahead segment on local disk
//! and flushed to it (`fdatasync`) before the request is answered, so
//! "accepted" survives a kill of the server. Sealed segments wait in a
//! bounded queue on disk, and an uploader writes them to the bucket off
//! the request path, retrying while the bucket is unreachable. When the
//! queue is full, requests are refused at once (the caller answers 503 with
//! `Retry-After`). The next start seals whatever a crash left open and
//! uploads it.
//!
//! - [`segment`]: the files and their record format;
//! - [`writer`]: the group-commit writer thread;
//! - [`uploader`]: the task that empties the queue into the bucket.

mod segment;
mod uploader;
mod writer;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use fs4::fs_std::FileExt;
use stratus_core::store::ObjectStore;
use tokio::sync::{oneshot, watch, Notify};
use tokio::task::JoinHandle;

use crate::collector::RequestLines;
pub use uploader::RetryPolicy;
use writer::{Command, Writer};

/// Why the spool did not take a request's events.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error(
        "the collector's queue of unwritten batches is full ({queued} of {limit} bytes) while the bucket is not taking them; retry later"
    )]
    Full { queued: u64, limit: u64 },

    #[error("the collector could not write its spool on local disk: {0}")]
    Write(String),

    #[error("another `stratus serve` is using the collector spool at {0}")]
    Locked(PathBuf),

    #[error("cannot open the collector spool at {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("the collector spool is closed")]
    Closed,
}

impl SpoolError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SpoolError::Full { .. } => "collector_busy",
            SpoolError::Write(_) | SpoolError::Closed => "spool_unavailable",
            SpoolError::Locked(_) | SpoolError::Open { .. } => "spool_open",
        }
    }
}

/// Where the spool lives and how much it may hold.
#[derive(Debug, Clone)]
pub struct SpoolConfig {
    pub dir: PathBuf,
    /// Bytes of events on disk not yet in the bucket before requests are refused.
    pub max_queue_bytes: u64,
    /// A segment is sealed (queued for upload) once its first record is this old…
    pub seal_after: Duration,
    /// …or once it is this large.
    pub seal_bytes: u64,
    pub retry: RetryPolicy,
}

impl SpoolConfig {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SpoolConfig {
            dir: dir.into(),
            max_queue_bytes: 256 * 1024 * 1024,
            seal_after: Duration::from_secs(5),
            seal_bytes: 4 * 1024 * 1024,
            retry: RetryPolicy::default(),
        }
    }
}

/// State shared by the handle, the writer thread and the uploader.
pub(crate) struct Shared {
    /// Bytes in open and sealed segments: what is accepted but not yet in the bucket.
    queued: watch::Sender<u64>,
    /// Wakes the uploader when a segment is sealed.
    sealed: Notify,
    /// The uploader's current pause after failures (0 while writes succeed).
    pause_ms: AtomicU64,
}

/// The spool of one collector. Dropping it seals the open segment and
/// returns once the writer thread has stopped.
pub struct Spool {
    config: SpoolConfig,
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
    writer: Option<std::thread::JoinHandle<()>>,
    /// Held for the spool's lifetime: one server per spool directory.
    _lock: File,
}

impl Drop for Spool {
    fn drop(&mut self) {
        // Closing the channel tells the writer to seal its open segment and
        // stop. It is joined before the lock is released (the fields drop
        // after this), so the next spool on this directory never finds a
        // segment being sealed under it while it recovers.
        let (closed, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.commands, closed));
        if let Some(writer) = self.writer.take() {
            if writer.join().is_err() {
                tracing::error!("the collector spool's writer thread panicked");
            }
        }
    }
}

impl Spool {
    /// Opens (or creates) the spool directory, takes its lock, seals the
    /// segments a previous run left open, and starts the writer thread.
    /// Call [`Spool::start_uploader`] to have the queue written out.
    pub fn open(config: SpoolConfig) -> Result<Spool, SpoolError> {
        let dir = config.dir.clone();
        let open_error = |source| SpoolError::Open {
            path: dir.clone(),
            source,
        };
        fs::create_dir_all(&dir).map_err(open_error)?;
        let lock = File::create(dir.join("lock")).map_err(open_error)?;
        if !FileExt::try_lock_exclusive(&lock).map_err(open_error)? {
            return Err(SpoolError::Locked(dir));
        }
        let queued = recover(&dir).map_err(open_error)?;
        if queued > 0 {
            tracing::info!(
                bytes = queued,
                "collector spool holds events from an earlier run; they will be written to the bucket"
            );
        }
        let shared = Arc::new(Shared {
            queued: watch::Sender::new(queued),
            sealed: Notify::new(),
            pause_ms: AtomicU64::new(0),
        });
        let (commands, receiver) = mpsc::channel();
        let writer = Writer::new(
            dir.clone(),
            Arc::clone(&shared),
            config.seal_after,
            config.seal_bytes,
        );
        let writer = std::thread::Builder::new()
            .name("collector-spool".into())
            .spawn(move || writer.run(receiver))
            .map_err(open_error)?;
        Ok(Spool {
            config,
            shared,
            commands,
            writer: Some(writer),
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.config.dir
    }

    /// Accepted bytes not yet in the bucket.
    pub fn queued_bytes(&self) -> u64 {
        *self.shared.queued.borrow()
    }

    /// `Err(Full)` while the queue is at its limit: checked before a
    /// request's body is even read, so a full queue is answered at once.
    pub fn check_room(&self) -> Result<(), SpoolError> {
        let queued = self.queued_bytes();
        if queued >= self.config.max_queue_bytes {
            return Err(SpoolError::Full {
                queued,
                limit: self.config.max_queue_bytes,
            });
        }
        Ok(())
    }

    /// How long a refused client should wait: the uploader's current pause,
    /// at least a second.
    pub fn retry_after(&self) -> Duration {
        let pause = Duration::from_millis(self.shared.pause_ms.load(Ordering::Relaxed));
        pause.max(Duration::from_secs(1))
    }

    /// Appends a request's lines and returns once they are on disk.
    pub async fn append(&self, lines: &RequestLines) -> Result<(), SpoolError> {
        if lines.event_lines + lines.bad_lines == 0 {
            return Ok(());
        }
        self.check_room()?;
        let (done, answer) = oneshot::channel();
        self.commands
            .send(Command::Append {
                records: segment::records(lines),
                done,
            })
            .map_err(|_| SpoolError::Closed)?;
        answer
            .await
            .map_err(|_| SpoolError::Closed)?
            .map_err(SpoolError::Write)
    }

    /// Queues the open segment for upload now (shutdown, tests).
    pub async fn seal(&self) -> Result<(), SpoolError> {
        let (done, answer) = oneshot::channel();
        self.commands
            .send(Command::Seal { done })
            .map_err(|_| SpoolError::Closed)?;
        answer
            .await
            .map_err(|_| SpoolError::Closed)?
            .map_err(SpoolError::Write)
    }

    /// Starts writing sealed segments to `store`; runs until aborted.
    pub fn start_uploader(&self, store: Arc<dyn ObjectStore>) -> JoinHandle<()> {
        tokio::spawn(uploader::run(
            self.config.dir.clone(),
            Arc::clone(&self.shared),
            store,
            self.config.retry,
        ))
    }

    /// Seals the open segment and waits up to `within` for the uploader to
    /// empty the queue. True when everything accepted is in the bucket;
    /// otherwise the rest stays on disk for the next start.
    pub async fn drain(&self, within: Duration) -> Result<bool, SpoolError> {
        self.seal().await?;
        let mut queued = self.shared.queued.subscribe();
        let emptied = tokio::time::timeout(within, queued.wait_for(|q| *q == 0)).await;
        Ok(matches!(emptied, Ok(Ok(_))))
    }
}

/// Seals every segment a previous run left open (its torn last record, if
/// any, is dropped when read) and returns the bytes waiting.
fn recover(dir: &Path) -> std::io::Result<u64> {
    let mut queued = 0;
    let mut renamed = false;
    for (name, size) in segment::list(dir)? {
        if name.sealed {
            queued += size;
        } else if size == 0 {
            fs::remove_file(name.path(dir))?;
        } else {
            fs::rename(name.path(dir), name.sealed().path(dir))?;
            renamed = true;
            queued += size;
        }
    }
    if renamed {
        segment::sync_dir(dir)?;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_event() -> RequestLines {
        RequestLines {
            events: b"{\"event\":\"Clicked\"}\n".to_vec(),
            event_lines: 1,
            bad: Vec::new(),
            bad_lines: 0,
        }
    }

    // A restart in one process (tests, an embedding server): the next spool
    // opens right after the drop and must find the previous one's segment
    // sealed, not being renamed under its recovery (which failed `open`
    // with NotFound now and then when the lock was released first).
    #[tokio::test]
    async fn a_spool_opened_right_after_a_drop_finds_the_last_segment_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let mut queued = 0;
        for _ in 0..50 {
            let spool = Spool::open(SpoolConfig::new(dir.path())).unwrap();
            assert_eq!(spool.queued_bytes(), queued, "every earlier event waits");
            spool.append(&one_event()).await.unwrap();
            queued = spool.queued_bytes();
            drop(spool);
            assert!(
                segment::list(dir.path())
                    .unwrap()
                    .iter()
                    .all(|(name, _)| name.sealed),
                "the drop sealed the open segment before returning"
            );
        }
    }
}
