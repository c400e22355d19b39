//! One runner per campaign across processes: an OS file lock beside the
//! database. The OS releases it when its holder exits or is killed, so a
//! crashed runner never blocks the next one (no stale heartbeat to wait out).

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use fs4::fs_std::FileExt;
use stratus_core::db::Db;

use crate::{Error, Result};

/// Held while this process runs the campaign; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct RunLock {
    _file: Option<File>,
}

/// `<database dir>/campaign-runs/<id>.lock`; `None` for an in-memory
/// database, which no other process can see anyway.
fn lock_path(db: &Db, campaign_id: &str) -> Option<PathBuf> {
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
    Some(dir.join(format!("{name}.lock")))
}

fn open(path: &PathBuf) -> Result<File> {
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

/// Takes the campaign's run lock, or says another process is running it.
pub(crate) fn acquire(db: &Db, campaign_id: &str) -> Result<RunLock> {
    let Some(path) = lock_path(db, campaign_id) else {
        return Ok(RunLock { _file: None });
    };
    let file = open(&path)?;
    match file.try_lock_exclusive() {
        Ok(true) => Ok(RunLock { _file: Some(file) }),
        Ok(false) => Err(Error::RunnerBusy(campaign_id.to_string())),
        Err(source) => Err(Error::Io {
            context: format!("cannot lock {}", path.display()),
            source,
        }),
    }
}

/// Whether some process (this one included) is running the campaign now.
pub fn is_held(db: &Db, campaign_id: &str) -> Result<bool> {
    match acquire(db, campaign_id) {
        Ok(_released_on_drop) => Ok(false),
        Err(Error::RunnerBusy(_)) => Ok(true),
        Err(e) => Err(e),
    }
}
