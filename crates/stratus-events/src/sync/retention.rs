//! Retention: the cache keeps recent events, not the whole history in S3.

use rusqlite::{params, Connection, OptionalExtension};

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
