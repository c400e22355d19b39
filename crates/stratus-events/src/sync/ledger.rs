//! The database side of sync: the ledger of ingested objects, the watermark,
//! and the one transaction per object that makes a crash a clean retry.

use rusqlite::{params, Connection, OptionalExtension};
use stratus_core::clock::now_millis;

use crate::collector::batch_key::future_from;
use crate::sync::batch_reader::ParsedBatch;
use crate::sync::identity::graph::{apply_links, person_expression};

/// What one object's transaction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ingested {
    pub lines: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub bad_lines: u64,
}

/// The keys among `listed` (key, ETag) that the ledger does not hold with
/// that ETag: new or changed objects. One indexed lookup per listed key, so
/// the cost follows the listing, not the size of the ledger.
pub fn not_ingested<'a>(
    conn: &Connection,
    listed: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> rusqlite::Result<std::collections::HashSet<String>> {
    let mut stmt = conn.prepare_cached("SELECT etag FROM sync_ledger WHERE key = ?1")?;
    let mut todo = std::collections::HashSet::new();
    for (key, etag) in listed {
        let known: Option<String> = stmt.query_row([key], |r| r.get(0)).optional()?;
        if known.as_deref() != Some(etag) {
            todo.insert(key.to_string());
        }
    }
    Ok(todo)
}

/// When the source was last listed completely (Unix ms), if ever.
pub fn last_full_listing(conn: &Connection, source: &str) -> rusqlite::Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT last_full_at FROM sync_state WHERE source = ?1",
            [source],
            |r| r.get::<_, Option<i64>>(0),
        )
        .optional()?
        .flatten())
}

/// Records a complete listing whose every object is now ingested; `at` is
/// when the listing started (objects written after it are not covered).
pub fn record_full_listing(conn: &Connection, source: &str, at: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sync_state (source, last_full_at) VALUES (?1, ?2)
         ON CONFLICT (source) DO UPDATE SET last_full_at = excluded.last_full_at",
        params![source, at],
    )?;
    Ok(())
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

/// A downloaded and parsed batch object, ready to ingest.
#[derive(Debug)]
pub struct FetchedObject {
    pub key: String,
    pub etag: String,
    /// Compressed bytes.
    pub size: u64,
    pub batch: ParsedBatch,
    /// The key is in the batch layout and not from the future, so it may
    /// become the watermark (see [`crate::collector::batch_key::key_place`]).
    pub moves_watermark: bool,
}

/// Inserts the events, bad lines and ledger rows of `objects` and moves the
/// watermark, in ONE transaction: after a crash each object is either wholly
/// ingested (and skipped next time) or not at all (and retried). Sync hands
/// over several objects at once when they are ready, because every commit
/// rewrites the index pages it touched and flushes the FTS index into a new
/// segment: fewer, larger transactions do the same work once.
/// A re-ingest (changed ETag) replaces the object's bad lines; its events
/// collapse on `event_id`.
pub fn ingest_objects(
    conn: &mut Connection,
    source: &str,
    objects: &[FetchedObject],
) -> rusqlite::Result<Vec<Ingested>> {
    let refs: Vec<&FetchedObject> = objects.iter().collect();
    ingest_object_refs(conn, source, &refs)
}

/// [`ingest_objects`] over borrowed objects.
pub fn ingest_object_refs(
    conn: &mut Connection,
    source: &str,
    objects: &[&FetchedObject],
) -> rusqlite::Result<Vec<Ingested>> {
    let tx = conn.transaction()?;
    let now = now_millis();
    // New rows get rowids above the current maximum (INTEGER PRIMARY KEY
    // without AUTOINCREMENT, one writer): they are the ones to index.
    let last_rowid: i64 = tx.query_row("SELECT coalesce(max(rowid), 0) FROM events", [], |r| {
        r.get(0)
    })?;
    let mut done = Vec::with_capacity(objects.len());
    for object in objects {
        done.push(ingest_one(&tx, object, now)?);
    }
    // One bulk FTS insert rather than a trigger per row (migration 0006),
    // and the new rows' ts span for search pages (0007); same transaction,
    // so a crash drops all of it together.
    if done.iter().any(|d| d.inserted > 0) {
        tx.prepare_cached(
            "INSERT INTO events_fts (rowid, event, properties, url)
             SELECT rowid, event, properties, url FROM events WHERE rowid > ?1",
        )?
        .execute([last_rowid])?;
        tx.prepare_cached(
            "INSERT INTO event_ranges (first_rowid, last_rowid, min_ts, max_ts)
             SELECT min(rowid), max(rowid), min(ts), max(ts) FROM events WHERE rowid > ?1",
        )?
        .execute([last_rowid])?;
    }
    if let Some(newest) = objects
        .iter()
        .filter(|o| o.moves_watermark)
        .map(|o| o.key.as_str())
        .max()
    {
        raise_watermark(&tx, source, newest)?;
    }
    tx.commit()?;
    Ok(done)
}

/// Moves the watermark up to `key` (never down).
pub fn raise_watermark(conn: &Connection, source: &str, key: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sync_state (source, watermark) VALUES (?1, ?2)
         ON CONFLICT (source) DO UPDATE SET watermark =
             CASE WHEN watermark IS NULL OR excluded.watermark > watermark
                  THEN excluded.watermark ELSE watermark END",
        params![source, key],
    )?;
    Ok(())
}

/// Moves the watermark down to `key` (never up): objects were written
/// behind it (a backfill, `events gen`), and the next sync lists from there.
pub fn lower_watermark(conn: &Connection, source: &str, key: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sync_state SET watermark = ?2 WHERE source = ?1 AND watermark > ?2",
        params![source, key],
    )?;
    Ok(())
}

/// Forgets the watermark: the next sync lists everything (a watermark that
/// is from the future or out of the layout, written before they were kept
/// out of it).
pub fn clear_watermark(conn: &Connection, source: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sync_state SET watermark = NULL WHERE source = ?1",
        [source],
    )?;
    Ok(())
}

/// One object's rows inside [`ingest_objects`]' transaction. The ledger row
/// comes first: its id is what each event row points back to.
fn ingest_one(tx: &Connection, object: &FetchedObject, now: i64) -> rusqlite::Result<Ingested> {
    let FetchedObject {
        key,
        etag,
        size,
        batch,
        ..
    } = object;
    let mut done = Ingested {
        lines: batch.lines as u64,
        // A cut (truncated, not gzip, too big) is one of them, with its reason.
        bad_lines: batch.bad.len() as u64,
        ..Ingested::default()
    };
    let status = if batch.corrupt.is_some() {
        "corrupt"
    } else {
        "ingested"
    };
    let batch_id: i64 = tx
        .prepare_cached(
            "INSERT INTO sync_ledger (key, etag, size, lines, inserted, bad_lines, status, ingested_at)
             VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7)
             ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, size = excluded.size,
                 lines = excluded.lines, bad_lines = excluded.bad_lines,
                 status = excluded.status, ingested_at = excluded.ingested_at
             RETURNING id",
        )?
        .query_row(
            params![
                key,
                etag,
                i64::try_from(*size).unwrap_or(i64::MAX),
                done.lines as i64,
                done.bad_lines as i64,
                status,
                now
            ],
            |r| r.get(0),
        )?;
    tx.prepare_cached("DELETE FROM bad_lines WHERE object_key = ?1")?
        .execute([key])?;
    // Links first, so the object's own events are inserted with the person
    // they belong to (a link arriving later moves them; see graph.rs).
    let links: Vec<_> = batch.rows.iter().filter_map(|r| r.link.clone()).collect();
    apply_links(tx, &links)?;
    let mut insert = tx.prepare_cached(&format!(
        "INSERT OR IGNORE INTO events (event_id, ts, received_at, event, type, distinct_id,
             anonymous_id, session_id, url, properties, extra, batch, person)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, {})",
        person_expression("?6", "?7")
    ))?;
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
            r.extra,
            batch_id
        ])?;
        done.inserted += n as u64;
    }
    done.duplicates = batch.rows.len() as u64 - done.inserted;
    let mut bad = tx.prepare_cached(
        "INSERT OR REPLACE INTO bad_lines (object_key, line_number, reason, raw, seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for b in &batch.bad {
        bad.execute(params![key, b.line_number as i64, b.reason, b.raw, now])?;
    }
    tx.prepare_cached("UPDATE sync_ledger SET inserted = ?1 WHERE id = ?2")?
        .execute(params![done.inserted as i64, batch_id])?;
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
    /// Ingested objects keyed after `now + skew`: they never move the watermark.
    pub future_keys: OddKeys,
    /// Ingested objects whose keys are not `<prefix>dt=YYYY-MM-DD/hh=HH/…`.
    pub out_of_layout_keys: OddKeys,
}

/// Ingested objects with odd keys: how many, and a few of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OddKeys {
    pub count: u64,
    /// Up to [`ODD_KEY_EXAMPLES`], newest first.
    pub examples: Vec<String>,
}

/// Examples of odd keys the status shows.
pub const ODD_KEY_EXAMPLES: usize = 3;

/// The cache's sync state for a source prefix, odd keys judged against the
/// clock now with the default skew.
pub fn sync_status(conn: &Connection, source: &str) -> rusqlite::Result<SyncStatus> {
    sync_status_at(conn, source, chrono::Utc::now(), crate::sync::ALLOWED_SKEW)
}

/// [`sync_status`] at a given time and skew.
pub fn sync_status_at(
    conn: &Connection,
    source: &str,
    now: chrono::DateTime<chrono::Utc>,
    skew: chrono::Duration,
) -> rusqlite::Result<SyncStatus> {
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
        future_keys: odd_keys(
            conn,
            &format!("{LAYOUT_CONDITION} AND key >= ?2"),
            source,
            &future_from(source, now, skew),
        )?,
        out_of_layout_keys: odd_keys(
            conn,
            &format!("key >= ?1 AND NOT ({LAYOUT_CONDITION})"),
            source,
            "",
        )?,
    })
}

/// A ledger key in the batch layout under `?1` (the source prefix), as
/// [`crate::collector::batch_key::key_place`] has it.
const LAYOUT_CONDITION: &str = "substr(key, 1, length(?1)) = ?1
    AND substr(key, length(?1) + 1) GLOB 'dt=[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/hh=[0-9][0-9]/*'";

/// Ledger keys under the source matching `condition` (with `?1` the source
/// and `?2` the parameter).
fn odd_keys(
    conn: &Connection,
    condition: &str,
    source: &str,
    parameter: &str,
) -> rusqlite::Result<OddKeys> {
    let under = "substr(key, 1, length(?1)) = ?1";
    let count: i64 = conn.query_row(
        &format!("SELECT count(*) FROM sync_ledger WHERE {under} AND {condition} AND ?2 = ?2"),
        params![source, parameter],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT key FROM sync_ledger WHERE {under} AND {condition} AND ?2 = ?2
         ORDER BY key DESC LIMIT {ODD_KEY_EXAMPLES}"
    ))?;
    let examples = stmt
        .query_map(params![source, parameter], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(OddKeys {
        count: count as u64,
        examples,
    })
}
