//! Behaviour tests: `did "Order Completed" within 30d`, `did "$pageview" at
//! least 3 times within 7d`, read from the events cache.
//!
//! The cache is not this crate's: `stratus-events` writes it. It lives in
//! the same profile database as `customers`, in tables whose schema is
//! stratus-core's migrations (`events.event`, `ts`, `person`;
//! `identities.id`, `person`; `sync_state`), so a behaviour test reads it in
//! SQL, as the events crate reads `customers` for its customer search
//! (`browse/customers.rs`) — neither crate imports the other. Why SQL and
//! not a port the app implements: the test is one subquery of the segment's
//! one statement, so every place a segment is evaluated (the live count,
//! the dry run, a local, scheduled or cloud launch, the demo seed, the CLI)
//! gets it with no argument to pass along, and a launch freezes the audience
//! from one consistent read inside its transaction.
//!
//! A customer is a person of the identity graph: their row's `id` may be any
//! of the person's ids (a user id, an anonymous id), and the test counts the
//! events of the whole person (`events.person`), so pre-login events and
//! every device count.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

/// The most times a count may ask for: far above any real count, and far
/// below where SQL integers would wrap.
pub const MAX_TIMES: i64 = 1_000_000_000;

/// How often the person must have done the event in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    /// `did "X"` (at least once) or `did "X" at least N times`.
    AtLeast(i64),
    /// `did "X" at most N times` (never counts too).
    AtMost(i64),
}

/// One behaviour test: the event (by its exact cached name), how often, and
/// how far back (`None`: everything the cache holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Did {
    pub event: String,
    pub times: Times,
    /// Milliseconds before now.
    pub within: Option<i64>,
}

impl Did {
    /// The condition over `customers`: one grouped read of the events named
    /// `event` in the window (index `events_by_name` (event, ts)), evaluated
    /// once per statement, then the customer's person looked up in
    /// `identities` by primary key.
    pub(crate) fn sql(&self, now: i64, params: &mut Vec<Value>) -> String {
        let (threshold, negate) = match self.times {
            Times::AtLeast(n) => (n, false),
            // "at most N" is "not at least N + 1": people with no event in
            // the window are in it, and they are in no group.
            Times::AtMost(n) => (n + 1, true),
        };
        params.push(Value::Text(self.event.clone()));
        let window = match self.within {
            Some(millis) => {
                params.push(Value::Integer(now.saturating_sub(millis)));
                " AND ts >= ?"
            }
            None => "",
        };
        params.push(Value::Integer(threshold));
        let test = format!(
            "(coalesce((SELECT person FROM identities WHERE id = customers.id), customers.id) IN \
             (SELECT person FROM events WHERE event = ?{window} AND person IS NOT NULL \
             GROUP BY person HAVING count(*) >= ?))"
        );
        if negate {
            format!("(NOT {test})")
        } else {
            test
        }
    }
}

/// How old the events cache a behaviour test read is: shown beside the
/// count, because a cache that was never synced (or not for days) makes
/// `did` match nobody and `not did` match everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventsCacheAge {
    /// Unix ms of the newest successful sync of any source; `None`: never.
    pub synced_at: Option<i64>,
    /// Unix ms of the newest cached event; `None`: the cache is empty.
    pub newest_event_at: Option<i64>,
}

impl EventsCacheAge {
    /// A line for a terminal: `events cache synced 3 h ago`, or why `did`
    /// matches nobody yet.
    pub fn note(&self, now: i64) -> String {
        match (self.synced_at, self.newest_event_at) {
            (None, None) => "the events cache was never synced: `did` matches nobody yet \
                             (stratus events sync)"
                .to_string(),
            (None, Some(_)) => "the events cache has no successful sync yet".to_string(),
            (Some(at), newest) => {
                let mut note = format!("events cache synced {}", ago(now, at));
                match newest {
                    Some(ts) => note += &format!(", newest event {}", ago(now, ts)),
                    None => note += ", and it holds no events",
                }
                note
            }
        }
    }
}

/// `just now`, `12 min ago`, `5 h ago`, `3 days ago`.
fn ago(now: i64, at: i64) -> String {
    let minutes = (now - at).max(0) / 60_000;
    match minutes {
        0 => "just now".to_string(),
        1..=59 => format!("{minutes} min ago"),
        60..=2879 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// Reads the cache's age: two indexed lookups.
pub fn cache_age(conn: &Connection) -> rusqlite::Result<EventsCacheAge> {
    let synced_at = conn
        .query_row(
            "SELECT max(last_sync_at) FROM sync_state WHERE last_error IS NULL",
            [],
            |r| r.get::<_, Option<i64>>(0),
        )
        .optional()?
        .flatten();
    let newest_event_at = conn.query_row("SELECT max(ts) FROM events", [], |r| r.get(0))?;
    Ok(EventsCacheAge {
        synced_at,
        newest_event_at,
    })
}
