//! Keyset pages (never OFFSET) of the filtered events, newest first: the
//! event table and, with a `distinct_id`, a customer's timeline.

use rusqlite::{params_from_iter, Connection};
use serde::Serialize;

use crate::browse::filter::{fts_query, EventFilter};
use crate::browse::rows::{page_query, record, Cursor, EventRecord, MAX_PAGE};
use crate::browse::search::search_rows;
use crate::error::Result;

/// One page of events, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventPage {
    pub events: Vec<EventRecord>,
    /// Pass to get the next (older) page; `None` on the last page.
    pub next: Option<String>,
}

/// Events matching `filter`, newest first, after `cursor`. With a
/// `distinct_id` this is the customer timeline: no hidden time window, it
/// pages back to the customer's first event. Pages already seen stay stable
/// while new events arrive (they sort before the first page).
pub fn events_page(
    conn: &Connection,
    filter: &EventFilter,
    cursor: Option<&str>,
    limit: usize,
) -> Result<EventPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let cursor = cursor.map(Cursor::decode).transpose()?;
    // One row more than asked tells whether there is a next page.
    // A search over everyone walks the sync runs (search.rs). Within one
    // customer or session the matches are few and the runs many: there one
    // pass over all matches, intersected with the customer's rows, is
    // cheaper (measured at 1M events: 8 ms p50 against 117 ms walking runs).
    let walk_runs = filter
        .search
        .as_deref()
        .and_then(fts_query)
        .filter(|_| filter.distinct_id.is_none() && filter.session_id.is_none());
    let mut events = if let Some(query) = walk_runs {
        search_rows(conn, filter, &query, cursor, limit + 1)?
    } else {
        let mut sql = filter.to_sql()?;
        if let Some(c) = cursor {
            c.bound(&mut sql);
        }
        let mut stmt = conn.prepare_cached(&page_query(&sql, limit + 1))?;
        let rows = stmt.query_map(params_from_iter(sql.params), record)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let next = if events.len() > limit {
        events.truncate(limit);
        events.last().map(|e| {
            Cursor {
                ts: e.ts,
                rowid: e.rowid,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(EventPage { events, next })
}
