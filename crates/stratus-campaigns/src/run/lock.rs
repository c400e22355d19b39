//! One runner per campaign across processes: OS file locks beside the
//! database. The OS releases them when their holder exits or is killed, so a
//! crashed runner never blocks the next one (no stale heartbeat to wait out).
//!
//! Two files, so that looking never gets in the way of running:
//! - `<id>.runner`: runners take it exclusively and never wait for it; the
//!   loser of two runners gets [`Error::RunnerBusy`]. Observers never touch it.
//! - `<id>.lock`: the runner holds it exclusively for the whole run;
//!   [`is_held`] only *tries* a shared lock on it for an instant. A runner
//!   that finds an observer there waits that instant out instead of failing
//!   (with a single lock file, a `campaign status` that happened to be
//!   looking made a starting `campaign launch` fail as "busy").

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;
use stratus_core::db::Db;

use crate::{Error, Result};

/// Held while this process runs the campaign; dropping it releases the locks.
#[derive(Debug)]
pub(crate) struct RunLock {
    _files: Option<(File, File)>,
}

/// `<database dir>/campaign-runs/<id>`; `None` for an in-memory database,
/// which no other process can see anyway.
fn lock_stem(db: &Db, campaign_id: &str) -> Option<PathBuf> {
    let dir = db.path()?.parent()?.join("campaign-runs");
    // Ids are UUIDs; anything else is made file-name safe.
    let name: String = campaign_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(dir.join(name))
}

fn open(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            context: format!("cannot create {}", dir.display()),
            source,
        })?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|source| Error::Io {
            context: format!("cannot open the run lock {}", path.display()),
            source,
        })
}

fn lock_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        context: format!("cannot lock {}", path.display()),
        source,
    }
}

/// Takes the campaign's run lock, or says another process is running it.
pub(crate) fn acquire(db: &Db, campaign_id: &str) -> Result<RunLock> {
    let Some(stem) = lock_stem(db, campaign_id) else {
        return Ok(RunLock { _files: None });
    };
    let runner_path = stem.with_extension("runner");
    let runner = open(&runner_path)?;
    match runner.try_lock_exclusive() {
        Ok(true) => {}
        Ok(false) => return Err(Error::RunnerBusy(campaign_id.to_string())),
        Err(source) => return Err(lock_error(&runner_path, source)),
    }
    // Only observers can hold this one now, each for an instant.
    let held_path = stem.with_extension("lock");
    let held = open(&held_path)?;
    FileExt::lock_exclusive(&held).map_err(|source| lock_error(&held_path, source))?;
    Ok(RunLock {
        _files: Some((runner, held)),
    })
}

/// Whether some process (this one included) is running the campaign now.
pub fn is_held(db: &Db, campaign_id: &str) -> Result<bool> {
    let Some(stem) = lock_stem(db, campaign_id) else {
        return Ok(false);
    };
    let held_path = stem.with_extension("lock");
    let held = open(&held_path)?;
    // fs4's, not std's inherent `File::try_lock_shared` (a different result type).
    match FileExt::try_lock_shared(&held) {
        // Released when `held` is dropped.
        Ok(true) => Ok(false),
        Ok(false) => Ok(true),
        Err(source) => Err(lock_error(&held_path, source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Processes looking (`campaign status`, the app's list) while a
    /// runner starts must never make it fail as "busy".
    #[test]
    fn looking_never_makes_a_starting_runner_busy() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("p.sqlite")).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let lookers: Vec<_> = (0..3)
            .map(|_| {
                let (db, stop) = (db.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        is_held(&db, "c1").unwrap();
                    }
                })
            })
            .collect();
        let mut busy = 0;
        for _ in 0..2_000 {
            match acquire(&db, "c1") {
                Ok(_running) => assert!(is_held(&db, "c1").unwrap(), "held while running"),
                Err(Error::RunnerBusy(_)) => busy += 1,
                Err(e) => panic!("{e}"),
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for l in lookers {
            l.join().unwrap();
        }
        assert_eq!(busy, 0, "a runner was turned away by someone only looking");
        let _running = acquire(&db, "c1").unwrap();
        assert!(matches!(acquire(&db, "c1"), Err(Error::RunnerBusy(_))));
        assert!(!is_held(&db, "c2").unwrap());
    }
}
