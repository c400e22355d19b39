//! Facet counts for the filter sidebar: by event name and by day, under a
//! time limit so a broad filter over millions of rows cannot freeze the screen.

use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{params_from_iter, Connection};
use serde::Serialize;

use crate::browse::filter::EventFilter;
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
