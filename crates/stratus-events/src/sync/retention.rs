//! Retention: the cache keeps recent events, not the bucket's whole history.
//! What to keep is a profile setting, a small JSON file in the profile's
//! folder (no migration, readable by hand: [`load_retention`],
//! [`save_retention`]); [`prune`] deletes what is beyond it, applied after
//! every sync ([`apply_retention`]).

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use stratus_core::clock::now_millis;
use stratus_core::db::Db;

/// What to keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Drop events whose `ts` is older than this many days.
    pub max_age_days: Option<u32>,
    /// Keep at most this many events (the newest). A row count is the size
    /// cap: rows are of similar size and counting is exact and cheap,
    /// unlike the file size, which SQLite only gives back on VACUUM.
    pub max_events: Option<u64>,
}

/// Rows deleted per transaction, so a big prune never blocks the writer long.
const CHUNK: i64 = 10_000;

/// Deletes events beyond the retention; returns how many. The FTS index
/// follows through its trigger. The ledger is kept, so pruned events are
/// not synced back.
pub fn prune(conn: &mut Connection, retention: Retention, now_ms: i64) -> rusqlite::Result<u64> {
    let mut cutoff: Option<i64> = retention
        .max_age_days
        .map(|d| now_ms - i64::from(d) * 86_400_000);
    if let Some(max) = retention.max_events {
        // The ts of the newest event beyond the cap; everything at or older goes.
        let beyond: Option<i64> = conn
            .query_row(
                "SELECT ts FROM events ORDER BY ts DESC, rowid DESC LIMIT 1 OFFSET ?1",
                [i64::try_from(max).unwrap_or(i64::MAX)],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(ts) = beyond {
            let by_size = ts + 1;
            cutoff = Some(cutoff.map_or(by_size, |c| c.max(by_size)));
        }
    }
    let Some(cutoff) = cutoff else { return Ok(0) };
    let mut deleted = 0;
    loop {
        let tx = conn.transaction()?;
        let n = tx.execute(
            "DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE ts < ?1 LIMIT ?2)",
            params![cutoff, CHUNK],
        )?;
        deleted += n as u64;
        let last = (n as i64) < CHUNK;
        if last {
            // Every event of these runs had ts <= max_ts < cutoff: all gone.
            tx.execute("DELETE FROM event_ranges WHERE max_ts < ?1", [cutoff])?;
        }
        tx.commit()?;
        if last {
            return Ok(deleted);
        }
    }
}

/// Why the retention setting could not be read or saved.
#[derive(Debug, thiserror::Error)]
pub enum RetentionSettingError {
    #[error("{0}")]
    Invalid(String),

    #[error("{path} is not a retention setting ({reason}); fix or delete it")]
    Unreadable { path: String, reason: String },

    #[error("I/O error on the retention setting: {0}")]
    Io(#[from] std::io::Error),
}

impl RetentionSettingError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RetentionSettingError::Invalid(_) => "invalid_retention",
            RetentionSettingError::Unreadable { .. } => "retention_unreadable",
            RetentionSettingError::Io(_) => "io",
        }
    }
}

impl stratus_core::CodedError for RetentionSettingError {
    fn code(&self) -> &str {
        RetentionSettingError::code(self)
    }
}

type Result<T> = std::result::Result<T, RetentionSettingError>;

const FILE: &str = "events-retention.json";

/// Oldest and largest limits a user may set: a day to ten years, a thousand
/// to a billion events.
const DAYS: std::ops::RangeInclusive<u32> = 1..=3650;
const EVENTS: std::ops::RangeInclusive<u64> = 1_000..=1_000_000_000;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    max_age_days: Option<u32>,
    max_events: Option<u64>,
}

fn path(profile_dir: &Path) -> PathBuf {
    profile_dir.join(FILE)
}

/// The profile's retention; none (keep everything) when never set. A file
/// that cannot be read is an error, not a silent "keep everything".
pub fn load_retention(profile_dir: &Path) -> Result<Retention> {
    let file = path(profile_dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Retention::default()),
        Err(e) => return Err(e.into()),
    };
    let stored: Stored =
        serde_json::from_str(&text).map_err(|e| RetentionSettingError::Unreadable {
            path: file.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(Retention {
        max_age_days: stored.max_age_days,
        max_events: stored.max_events,
    })
}

/// Checks the limits and saves them for the profile.
pub fn save_retention(profile_dir: &Path, retention: Retention) -> Result<()> {
    if let Some(days) = retention.max_age_days.filter(|d| !DAYS.contains(d)) {
        return Err(RetentionSettingError::Invalid(format!(
            "keep events for {days} days: choose 1 to 3650 days, or no age limit"
        )));
    }
    if let Some(n) = retention.max_events.filter(|n| !EVENTS.contains(n)) {
        return Err(RetentionSettingError::Invalid(format!(
            "keep at most {n} events: choose 1,000 to 1,000,000,000, or no size limit"
        )));
    }
    std::fs::create_dir_all(profile_dir)?;
    let stored = Stored {
        max_age_days: retention.max_age_days,
        max_events: retention.max_events,
    };
    let text = serde_json::to_string_pretty(&stored)
        .map_err(|e| RetentionSettingError::Invalid(e.to_string()))?;
    // Written whole, then renamed over the old one.
    let tmp = profile_dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path(profile_dir))?;
    Ok(())
}

/// Prunes the cache to `retention` (nothing when it sets no limit);
/// returns how many events went. A failure is the events crate's (its code kept).
pub async fn apply_retention(db: &Db, retention: Retention) -> crate::Result<u64> {
    if retention == Retention::default() {
        return Ok(0);
    }
    let now = now_millis();
    db.call(move |c| Ok(prune(c, retention, now)?)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_round_trips_and_bad_limits_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_retention(dir.path()).unwrap(), Retention::default());
        let keep = Retention {
            max_age_days: Some(90),
            max_events: Some(2_000_000),
        };
        save_retention(dir.path(), keep).unwrap();
        assert_eq!(load_retention(dir.path()).unwrap(), keep);

        let zero_days = Retention {
            max_age_days: Some(0),
            max_events: None,
        };
        let err = save_retention(dir.path(), zero_days).unwrap_err();
        assert!(err.to_string().contains("1 to 3650"), "{err}");
        assert_eq!(
            load_retention(dir.path()).unwrap(),
            keep,
            "the old setting stays"
        );

        std::fs::write(dir.path().join(FILE), "not json").unwrap();
        assert!(load_retention(dir.path()).is_err());
    }
}
