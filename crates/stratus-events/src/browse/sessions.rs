//! A customer's sessions, for the timeline's session list: every session of
//! the person (all their ids, see `sync/identity`).

use rusqlite::Connection;
use serde::Serialize;

use crate::browse::rows::MAX_PAGE;
use crate::error::Result;

/// One session of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionSummary {
    pub session_id: String,
    pub first_ts: i64,
    pub last_ts: i64,
    pub events: u64,
    /// The url of the session's first event with one (the landing page).
    pub landing_url: Option<String>,
}

/// The sessions of the person `distinct_id` (any of their ids) belongs to, most recent first, keyset-paged on
/// (last_ts, session_id). Events without a `session_id` are not grouped.
pub fn sessions(
    conn: &Connection,
    distinct_id: &str,
    before: Option<(i64, &str)>,
    limit: usize,
) -> Result<Vec<SessionSummary>> {
    let limit = i64::try_from(limit.clamp(1, MAX_PAGE)).unwrap_or(100);
    // (i64::MAX, "") sorts after every real session.
    let (last_ts, last_id) = before.unwrap_or((i64::MAX, ""));
    let mut stmt = conn.prepare_cached(
        "SELECT session_id, min(ts), max(ts), count(*),
                (SELECT url FROM events f WHERE f.person = e.person
                   AND f.session_id = e.session_id AND f.url IS NOT NULL ORDER BY ts LIMIT 1)
         FROM events e
         WHERE person = coalesce((SELECT person FROM identities WHERE id = ?1), ?1)
           AND session_id IS NOT NULL
         GROUP BY session_id
         HAVING (max(ts), session_id) < (?3, ?2)
         ORDER BY max(ts) DESC, session_id DESC
         LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        rusqlite::params![distinct_id, last_id, last_ts, limit],
        |r| {
            Ok(SessionSummary {
                session_id: r.get(0)?,
                first_ts: r.get(1)?,
                last_ts: r.get(2)?,
                events: r.get::<_, i64>(3)? as u64,
                landing_url: r.get(4)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
