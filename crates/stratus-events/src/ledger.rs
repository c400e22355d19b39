//! The database side of sync: the ledger of ingested objects, the watermark,
//! and the one transaction per object that makes a crash a clean retry.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use stratus_core::clock::now_millis;

use crate::batch_reader::ParsedBatch;

/// What one object's transaction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ingested {
    pub lines: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub bad_lines: u64,
}

/// ETags of ledger rows with keys after `after` (all when `None`).
pub fn ledger_etags(
    conn: &Connection,
    after: Option<&str>,
) -> rusqlite::Result<HashMap<String, String>> {
    let mut stmt = conn.prepare("SELECT key, etag FROM sync_ledger WHERE key > ?1")?;
    let rows = stmt.query_map([after.unwrap_or("")], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// The watermark of a source prefix.
pub fn watermark(conn: &Connection, source: &str) -> rusqlite::Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT watermark FROM sync_state WHERE source = ?1",
            [source],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// Inserts one object's events, its bad lines and its ledger row, and moves
/// the watermark, in ONE transaction: after a crash the object is either
/// wholly ingested (and skipped next time) or not at all (and retried).
/// A re-ingest (changed ETag) replaces the object's bad lines; its events
/// collapse on `event_id`.
pub fn ingest_object(
    conn: &mut Connection,
    source: &str,
    key: &str,
    etag: &str,
    size: u64,
    batch: &ParsedBatch,
) -> rusqlite::Result<Ingested> {
    let tx = conn.transaction()?;
    let now = now_millis();
    let mut done = Ingested {
        lines: batch.lines as u64,
        bad_lines: batch.bad.len() as u64,
        ..Ingested::default()
    };
    tx.execute("DELETE FROM bad_lines WHERE object_key = ?1", [key])?;
    // New rows get rowids above the current maximum (INTEGER PRIMARY KEY
    // without AUTOINCREMENT, one writer): they are the ones to index.
    let last_rowid: i64 = tx.query_row("SELECT coalesce(max(rowid), 0) FROM events", [], |r| {
        r.get(0)
    })?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO events (event_id, ts, received_at, event, type, distinct_id,
                 anonymous_id, session_id, url, properties, raw, object_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        for r in &batch.rows {
            let n = insert.execute(params![
                r.event_id,
                r.ts,
                r.received_at,
                r.event,
                r.kind,
                r.distinct_id,
                r.anonymous_id,
                r.session_id,
                r.url,
                r.properties,
                r.raw,
                key
            ])?;
            done.inserted += n as u64;
        }
        done.duplicates = batch.rows.len() as u64 - done.inserted;
        // One bulk FTS insert per object rather than a trigger per row
        // (migration 0006); same transaction, so a crash drops both.
        if done.inserted > 0 {
            tx.prepare_cached(
                "INSERT INTO events_fts (rowid, event, properties, url)
                 SELECT rowid, event, properties, url FROM events WHERE rowid > ?1",
            )?
            .execute([last_rowid])?;
        }
        let mut bad = tx.prepare_cached(
            "INSERT OR REPLACE INTO bad_lines (object_key, line_number, reason, raw, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for b in &batch.bad {
            bad.execute(params![key, b.line_number as i64, b.reason, b.raw, now])?;
        }
        if let Some(reason) = &batch.corrupt {
            bad.execute(params![key, 0_i64, reason, "", now])?;
            done.bad_lines = 1;
        }
    }
    tx.execute(
        "INSERT INTO sync_ledger (key, etag, size, lines, inserted, bad_lines, status, ingested_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, size = excluded.size,
             lines = excluded.lines, inserted = excluded.inserted, bad_lines = excluded.bad_lines,
             status = excluded.status, ingested_at = excluded.ingested_at",
        params![
            key,
            etag,
            i64::try_from(size).unwrap_or(i64::MAX),
            done.lines as i64,
            done.inserted as i64,
            done.bad_lines as i64,
            if batch.corrupt.is_some() {
                "corrupt"
            } else {
                "ingested"
            },
            now
        ],
    )?;
    tx.execute(
        "INSERT INTO sync_state (source, watermark) VALUES (?1, ?2)
         ON CONFLICT (source) DO UPDATE SET watermark =
             CASE WHEN watermark IS NULL OR excluded.watermark > watermark
                  THEN excluded.watermark ELSE watermark END",
        params![source, key],
    )?;
    tx.commit()?;
    Ok(done)
}

/// Records the end of a run for the status panel.
pub fn record_run(conn: &Connection, source: &str, error: Option<&str>) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sync_state (source, last_sync_at, last_error) VALUES (?1, ?2, ?3)
         ON CONFLICT (source) DO UPDATE SET last_sync_at = excluded.last_sync_at,
             last_error = excluded.last_error",
        params![source, now_millis(), error],
    )?;
    Ok(())
}

/// What the sync status panel shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    pub watermark: Option<String>,
    pub last_sync_at: Option<i64>,
    pub last_error: Option<String>,
    pub objects: u64,
    pub events: u64,
    pub bad_lines: u64,
}

/// The cache's sync state for a source prefix.
pub fn sync_status(conn: &Connection, source: &str) -> rusqlite::Result<SyncStatus> {
    let (watermark, last_sync_at, last_error) = conn
        .query_row(
            "SELECT watermark, last_sync_at, last_error FROM sync_state WHERE source = ?1",
            [source],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .unwrap_or((None, None, None));
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    Ok(SyncStatus {
        watermark,
        last_sync_at,
        last_error,
        objects: count("SELECT count(*) FROM sync_ledger")? as u64,
        events: count("SELECT count(*) FROM events")? as u64,
        bad_lines: count("SELECT count(*) FROM bad_lines")? as u64,
    })
}
