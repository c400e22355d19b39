//! Facet counts for the filter sidebar: by event name and by day, and the
//! top values of a chosen property key (with the keys seen, to choose
//! from), each under a time limit so a broad filter over millions of rows
//! cannot freeze the screen.

use std::sync::mpsc;
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};
use serde::Serialize;

use crate::browse::filter::{property_path, EventFilter};
use crate::error::{Error, Result};

/// How facets are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FacetOptions {
    /// Past this, the query is interrupted and [`Error::QueryTimeout`] returned.
    pub time_limit: Duration,
    /// Days are cut at midnight of this offset from UTC (the customer's or
    /// the viewer's zone), in minutes.
    pub utc_offset_minutes: i32,
    /// Most event names returned (the most frequent).
    pub top_events: usize,
}

impl Default for FacetOptions {
    fn default() -> Self {
        FacetOptions {
            time_limit: Duration::from_millis(1500),
            utc_offset_minutes: 0,
            top_events: 50,
        }
    }
}

/// Counts of the filtered events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Most frequent first.
    pub by_event: Vec<(String, u64)>,
    /// `YYYY-MM-DD`, oldest first.
    pub by_day: Vec<(String, u64)>,
}

/// Facet counts of the events matching `filter`.
pub fn facets(conn: &Connection, filter: &EventFilter, options: FacetOptions) -> Result<Facets> {
    let sql = filter.to_sql()?;
    let offset_ms = i64::from(options.utc_offset_minutes) * 60_000;
    let by_event_sql = format!(
        "SELECT event, count(*) FROM events{} GROUP BY event ORDER BY 2 DESC, 1 LIMIT {}",
        sql.clause,
        options.top_events.max(1)
    );
    let by_day_sql = format!(
        "SELECT strftime('%Y-%m-%d', (ts + {offset_ms}) / 1000, 'unixepoch') AS day, count(*)
         FROM events{} GROUP BY day ORDER BY day",
        sql.clause
    );
    with_time_limit(conn, options.time_limit, || {
        let count = |text: &str| -> rusqlite::Result<Vec<(String, u64)>> {
            let mut stmt = conn.prepare(text)?;
            let rows = stmt.query_map(params_from_iter(sql.params.iter()), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?;
            rows.collect()
        };
        Ok(Facets {
            by_event: count(&by_event_sql)?,
            by_day: count(&by_day_sql)?,
        })
    })
}

/// The top values of one property over the filtered events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PropertyFacet {
    pub key: String,
    /// `(value as text, events)`, most frequent first. The text is what a
    /// property filter compares (`true` is `1`), so a value can be clicked
    /// into the filter as is; a JSON `null` is `null`.
    pub values: Vec<(String, u64)>,
    /// Events of the filter.
    pub events: u64,
    /// Of those, events that carry the key.
    pub with_key: u64,
}

/// How many of the newest filtered events [`property_keys`] looks at.
pub const KEY_SAMPLE: usize = 5_000;

/// The top `options.top_events` values of property `key` over the events
/// matching `filter` (the filter's own property matches apply first).
pub fn property_values(
    conn: &Connection,
    filter: &EventFilter,
    key: &str,
    options: FacetOptions,
) -> Result<PropertyFacet> {
    let path = SqlValue::Text(property_path(key)?);
    let mut having = filter.to_sql()?;
    // Params in text order: the SELECT's path, the filter's, the AND's path.
    having.and("json_type(properties, ?) IS NOT NULL", [path.clone()]);
    let values_sql = format!(
        "SELECT coalesce(CAST(json_extract(properties, ?) AS TEXT), 'null') AS v, count(*)
         FROM events{} GROUP BY v ORDER BY 2 DESC, 1 LIMIT {}",
        having.clause,
        options.top_events.max(1)
    );
    let values_params: Vec<SqlValue> = std::iter::once(path.clone()).chain(having.params).collect();
    let all = filter.to_sql()?;
    let totals_sql = format!(
        "SELECT count(*), count(json_type(properties, ?)) FROM events{}",
        all.clause
    );
    let totals_params: Vec<SqlValue> = std::iter::once(path).chain(all.params).collect();
    with_time_limit(conn, options.time_limit, || {
        let mut stmt = conn.prepare(&values_sql)?;
        let values = stmt
            .query_map(params_from_iter(values_params.iter()), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let (events, with_key) =
            conn.query_row(&totals_sql, params_from_iter(totals_params.iter()), |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })?;
        Ok(PropertyFacet {
            key: key.to_string(),
            values,
            events,
            with_key,
        })
    })
}

/// Property keys of the filtered events, most used first: counted over the
/// newest [`KEY_SAMPLE`] of them (one index walk, whatever the cache size),
/// to offer as the keys to facet by.
pub fn property_keys(
    conn: &Connection,
    filter: &EventFilter,
    options: FacetOptions,
) -> Result<Vec<(String, u64)>> {
    let sql = filter.to_sql()?;
    let text = format!(
        "SELECT j.key, count(*) FROM
           (SELECT properties FROM events{} ORDER BY ts DESC LIMIT {KEY_SAMPLE}) AS e,
           json_each(e.properties) AS j
         GROUP BY j.key ORDER BY 2 DESC, 1 LIMIT {}",
        sql.clause,
        options.top_events.max(1)
    );
    with_time_limit(conn, options.time_limit, || {
        let mut stmt = conn.prepare(&text)?;
        let rows = stmt.query_map(params_from_iter(sql.params.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        rows.collect()
    })
}

/// Runs `work`, interrupting the connection's statements if it takes longer
/// than `limit`. The watchdog is stopped and joined before returning, so it
/// can never interrupt a later statement.
pub(crate) fn with_time_limit<T>(
    conn: &Connection,
    limit: Duration,
    work: impl FnOnce() -> rusqlite::Result<T>,
) -> Result<T> {
    let handle = conn.get_interrupt_handle();
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(limit) {
            handle.interrupt();
            true
        } else {
            false
        }
    });
    let outcome = work();
    let _ = done.send(());
    let fired = watchdog.join().unwrap_or(false);
    match outcome {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if fired && e.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            Err(Error::QueryTimeout(limit.as_millis() as u64))
        }
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_past_its_time_limit_is_interrupted_with_a_timeout_error() {
        let conn = Connection::open_in_memory().unwrap();
        let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
        let err = with_time_limit(&conn, Duration::from_millis(50), || {
            conn.query_row(endless, [], |r| r.get::<_, i64>(0))
        })
        .unwrap_err();
        assert_eq!(err.code(), "query_timeout");
        // The watchdog is gone: the connection works for the next statement.
        let one: i64 = conn.query_row("SELECT 1", [], |r| r.get(0)).unwrap();
        assert_eq!(one, 1);
        let quick = with_time_limit(&conn, Duration::from_secs(5), || {
            conn.query_row("SELECT 2", [], |r| r.get::<_, i64>(0))
        });
        assert_eq!(quick.unwrap(), 2);
    }
}
