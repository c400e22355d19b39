//! The rows pages are made of: an event as the table shows it, the keyset
//! cursor where a page ends, and the page's SELECT. Shared by the plain
//! pages (`page.rs`) and the full-text ones (`search.rs`), below both.

use rusqlite::types::Value as SqlValue;
use rusqlite::Row;
use serde::Serialize;

use crate::browse::filter::SqlFilter;
use crate::error::{Error, Result};

/// Most rows one page may ask for.
pub const MAX_PAGE: usize = 1000;

/// One event as the table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    pub rowid: i64,
    pub event_id: String,
    /// Unix ms, skew-corrected.
    pub ts: i64,
    pub event: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub distinct_id: Option<String>,
    pub anonymous_id: Option<String>,
    pub session_id: Option<String>,
    pub url: Option<String>,
    /// Flat JSON object, as text.
    pub properties: String,
}

pub(crate) const RECORD_COLUMNS: &str =
    "rowid, event_id, ts, event, type, distinct_id, anonymous_id, session_id, url, properties";

pub(crate) fn record(r: &Row<'_>) -> rusqlite::Result<EventRecord> {
    Ok(EventRecord {
        rowid: r.get(0)?,
        event_id: r.get(1)?,
        ts: r.get(2)?,
        event: r.get(3)?,
        kind: r.get(4)?,
        distinct_id: r.get(5)?,
        anonymous_id: r.get(6)?,
        session_id: r.get(7)?,
        url: r.get(8)?,
        properties: r.get(9)?,
    })
}

/// Where a page ends: the (ts, rowid) of its last row. Opaque to callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub ts: i64,
    pub rowid: i64,
}

impl Cursor {
    pub fn encode(self) -> String {
        format!("{}:{}", self.ts, self.rowid)
    }

    /// Narrows `sql` to the rows after this cursor, in page order.
    pub(crate) fn bound(self, sql: &mut SqlFilter) {
        sql.and(
            "(ts, rowid) < (?, ?)",
            [SqlValue::Integer(self.ts), SqlValue::Integer(self.rowid)],
        );
    }

    pub fn decode(s: &str) -> Result<Cursor> {
        let bad = || Error::InvalidCursor(s.to_string());
        let (ts, rowid) = s.split_once(':').ok_or_else(bad)?;
        Ok(Cursor {
            ts: ts.parse().map_err(|_| bad())?,
            rowid: rowid.parse().map_err(|_| bad())?,
        })
    }
}

/// The SELECT of up to `limit` rows matching `sql`, in page order (newest first).
pub(crate) fn page_query(sql: &SqlFilter, limit: usize) -> String {
    format!(
        "SELECT {RECORD_COLUMNS} FROM events{} ORDER BY ts DESC, rowid DESC LIMIT {limit}",
        sql.clause
    )
}
