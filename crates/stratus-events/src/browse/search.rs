//! A page of full-text matches, newest first, without gathering every match.
//!
//! `rowid IN (SELECT rowid FROM events_fts WHERE … MATCH …)` builds the whole
//! set of matches before the first row comes out: 90k rowids for a common
//! word at 1M events, 100–300 ms, ten times that at 10M. Rowids are handed
//! out in sync order, and each sync transaction records the ts span of the
//! rowids it added (`event_ranges`, migration 0007). A page reads those runs
//! newest first, asks FTS5 only for the matches inside each run's rowids,
//! and stops as soon as no run left can hold an event newer than the page's
//! last: exact, and for a common word usually one or two runs. A rare
//! word visits every run, each a small FTS5 query; within one customer the
//! matches are few and a single pass over them is cheaper, so
//! `page::events_page` only walks runs for searches over everyone.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};

use crate::browse::filter::EventFilter;
use crate::browse::rows::{page_query, record, Cursor, EventRecord};
use crate::error::Result;

/// One run of rowids and the ts span of its events.
struct Run {
    first: i64,
    last: i64,
    max_ts: i64,
}

/// Up to `want` events matching `filter` and the FTS5 `query` (the
/// filter's search, already turned into FTS syntax), newest first by
/// (ts, rowid), before `cursor`.
pub(crate) fn search_rows(
    conn: &Connection,
    filter: &EventFilter,
    query: &str,
    cursor: Option<Cursor>,
    want: usize,
) -> Result<Vec<EventRecord>> {
    let rest = EventFilter {
        search: None,
        ..filter.clone()
    };
    let mut sql = rest.to_sql()?;
    if let Some(c) = cursor {
        c.bound(&mut sql);
    }
    sql.and(
        "rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ? AND rowid BETWEEN ? AND ?)",
        [],
    );
    let mut stmt = conn.prepare_cached(&page_query(&sql, want))?;
    // The newest event a page may hold: before the cursor and the filter's end.
    let newest = [cursor.map(|c| c.ts), filter.to_ms.map(|t| t - 1)]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(i64::MAX);
    let mut found: Vec<EventRecord> = Vec::new();
    for run in runs(conn, newest, filter.from_ms.unwrap_or(i64::MIN))? {
        if found.len() >= want && run.max_ts < found[want - 1].ts {
            break;
        }
        let mut params = sql.params.clone();
        params.extend([
            SqlValue::Text(query.to_string()),
            SqlValue::Integer(run.first),
            SqlValue::Integer(run.last),
        ]);
        for row in stmt.query_map(params_from_iter(params), record)? {
            found.push(row?);
        }
        found.sort_by_key(|e| std::cmp::Reverse((e.ts, e.rowid)));
        found.truncate(want);
    }
    Ok(found)
}

/// The runs that may hold events with `from <= ts <= newest`, newest first.
/// Rows past the last recorded run (written by something other than sync)
/// come first as one open run, so nothing is ever missed.
fn runs(conn: &Connection, newest: i64, from: i64) -> Result<Vec<Run>> {
    let covered: i64 = conn.query_row(
        "SELECT coalesce(max(last_rowid), 0) FROM event_ranges",
        [],
        |r| r.get(0),
    )?;
    let mut runs = vec![Run {
        first: covered + 1,
        last: i64::MAX,
        max_ts: i64::MAX,
    }];
    let mut stmt = conn.prepare_cached(
        "SELECT first_rowid, last_rowid, max_ts FROM event_ranges
         WHERE min_ts <= ?1 AND max_ts >= ?2 ORDER BY max_ts DESC",
    )?;
    let listed = stmt.query_map([newest, from], |r| {
        Ok(Run {
            first: r.get(0)?,
            last: r.get(1)?,
            max_ts: r.get(2)?,
        })
    })?;
    for run in listed {
        runs.push(run?);
    }
    Ok(runs)
}
