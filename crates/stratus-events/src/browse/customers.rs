//! Finding a customer for the support screen: by id, by email or name in the
//! customer directory, or by free text over their events. The directory is
//! the `customers` table of the profile database (shared schema in
//! stratus-core, filled by campaign imports); events alone are enough when it
//! is empty. A customer is a person of the identity graph (`sync/identity`):
//! found by any of their ids, summarised over all of them.

use std::collections::HashSet;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::browse::facets::with_time_limit;
use crate::browse::filter::fts_query;
use crate::browse::person::{directory_entry, person_ids};
use crate::error::{Error, Result};
use crate::sync::identity::graph::person_of;

/// Most customers one search returns.
pub const MAX_MATCHES: usize = 25;

/// How a customer was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchedBy {
    /// The customer id starts with the query.
    Id,
    /// The directory's email contains the query.
    Email,
    /// The directory's name contains the query.
    Name,
    /// One of the customer's events contains every word of the query.
    Text,
}

/// One customer as the search results and the timeline header show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerSummary {
    /// The person id (see `sync/identity/graph.rs`); the timeline takes it
    /// or any other id of the person.
    pub distinct_id: String,
    /// How many ids the person has (1 when no link joined any).
    pub ids: u64,
    pub name: Option<String>,
    pub email: Option<String>,
    /// IANA zone: the directory's, else the `context.tz` of the customer's
    /// latest event that has one; `None` when neither says.
    pub time_zone: Option<String>,
    /// Where `time_zone` came from: `directory` or `events`.
    pub time_zone_source: Option<&'static str>,
    pub events: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub matched_by: MatchedBy,
}

/// How long the free-text part of a search may take over a big cache.
const TEXT_SEARCH_LIMIT: Duration = Duration::from_millis(1500);

/// Customers matching `query`, best kind of match first (id, email, name,
/// text), at most `limit` (capped at [`MAX_MATCHES`]). An empty query finds
/// nobody.
pub fn search_customers(
    conn: &Connection,
    query: &str,
    limit: usize,
) -> Result<Vec<CustomerSummary>> {
    let query = query.trim();
    let limit = limit.clamp(1, MAX_MATCHES);
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let directory = has_directory(conn)?;
    let mut found: Vec<(String, MatchedBy)> = Vec::new();
    let mut seen = HashSet::new();
    let mut take = |ids: Vec<String>, by: MatchedBy, found: &mut Vec<(String, MatchedBy)>| {
        for id in ids {
            if found.len() < limit && seen.insert(id.clone()) {
                found.push((id, by));
            }
        }
    };

    take(
        ids_with_prefix(conn, query, limit, directory)?,
        MatchedBy::Id,
        &mut found,
    );
    if directory && found.len() < limit {
        let pattern = format!("%{}%", escape_like(query));
        for (column, by) in [("email", MatchedBy::Email), ("name", MatchedBy::Name)] {
            let sql = format!(
                "SELECT id FROM customers WHERE {column} LIKE ?1 ESCAPE '\\' ORDER BY id LIMIT ?2"
            );
            let persons = column_ids(conn, &sql, &pattern, limit)?
                .iter()
                .map(|id| person_of(conn, id))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            take(persons, by, &mut found);
        }
    }
    if found.len() < limit {
        if let Some(fts) = fts_query(query) {
            match text_matches(conn, &fts, limit) {
                Ok(ids) => take(ids, MatchedBy::Text, &mut found),
                // Over a huge cache the text part may run out of time: the
                // id, email and name matches found so far are still answers.
                Err(Error::QueryTimeout(_)) if !found.is_empty() => {}
                Err(e) => return Err(e),
            }
        }
    }
    found
        .into_iter()
        .map(|(id, by)| summary(conn, &id, by, directory))
        .collect()
}

/// Customers with an event containing every word of the FTS query.
fn text_matches(conn: &Connection, fts: &str, limit: usize) -> Result<Vec<String>> {
    with_time_limit(conn, TEXT_SEARCH_LIMIT, || {
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT person FROM events
             WHERE person IS NOT NULL
               AND rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?1)
             LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![fts, limit as i64], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
    })
}

/// The summary of the customer `distinct_id` (any of their ids) is, or
/// `None` when neither the directory nor the events know the id.
pub fn customer_summary(conn: &Connection, distinct_id: &str) -> Result<Option<CustomerSummary>> {
    let directory = has_directory(conn)?;
    let person = person_of(conn, distinct_id)?;
    let found = summary(conn, &person, MatchedBy::Id, directory)?;
    let known = found.events > 0 || found.name.is_some() || found.email.is_some();
    Ok(known.then_some(found))
}

/// The summary of the person `id` (a person id).
fn summary(
    conn: &Connection,
    id: &str,
    matched_by: MatchedBy,
    directory: bool,
) -> Result<CustomerSummary> {
    let ids = person_ids(conn, id)?;
    let (name, email, directory_tz) = if directory {
        directory_entry(conn, &ids)?
            .map(|d| (d.name, d.email, d.time_zone))
            .unwrap_or((None, None, None))
    } else {
        (None, None, None)
    };
    let (events, first_ts, last_ts) = conn.query_row(
        "SELECT count(*), min(ts), max(ts) FROM events WHERE person = ?1",
        [id],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?)),
    )?;
    let (time_zone, time_zone_source) = match directory_tz {
        Some(tz) => (Some(tz), Some("directory")),
        None => {
            // Newest first over the customer's index: stops at the first hit.
            let from_events: Option<String> = conn
                .query_row(
                    "SELECT json_extract(extra, '$.context.tz') AS tz FROM events
                     WHERE person = ?1 AND tz IS NOT NULL ORDER BY ts DESC LIMIT 1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?;
            let source = from_events.as_ref().map(|_| "events");
            (from_events, source)
        }
    };
    Ok(CustomerSummary {
        distinct_id: id.to_string(),
        ids: ids.len() as u64,
        name,
        email,
        time_zone,
        time_zone_source,
        events,
        first_ts,
        last_ts,
        matched_by,
    })
}

/// Persons with an id starting with `prefix`: person ids and linked ids
/// (by index range, exact case), and directory ids (their persons).
fn ids_with_prefix(
    conn: &Connection,
    prefix: &str,
    limit: usize,
    directory: bool,
) -> Result<Vec<String>> {
    let upper = format!("{prefix}\u{10FFFF}");
    let mut stmt = conn.prepare_cached(
        "SELECT person FROM events WHERE person >= ?1 AND person < ?2
         GROUP BY person ORDER BY person LIMIT ?3",
    )?;
    let mut ids = stmt
        .query_map(params![prefix, upper, limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    let mut linked = conn.prepare_cached(
        "SELECT DISTINCT person FROM identities WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3",
    )?;
    ids.extend(
        linked
            .query_map(params![prefix, upper, limit as i64], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?,
    );
    if directory {
        let more = column_ids(
            conn,
            "SELECT id FROM customers WHERE id LIKE ?1 ESCAPE '\\' ORDER BY id LIMIT ?2",
            &format!("{}%", escape_like(prefix)),
            limit,
        )?;
        for id in more {
            ids.push(person_of(conn, &id)?);
        }
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

fn column_ids(conn: &Connection, sql: &str, pattern: &str, limit: usize) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![pattern, limit as i64], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
}

fn has_directory(conn: &Connection) -> Result<bool> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'customers'",
        [],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// `%`, `_` and `\` typed by a user are text, not wildcards.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_typed_by_a_user_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(escape_like("ann@example.com"), "ann@example.com");
    }
}
