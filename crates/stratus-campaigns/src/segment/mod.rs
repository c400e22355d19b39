//! Segments: a small filter language over customer fields and what they
//! did, e.g. `level = gold and points >= 500 and last_active within 7d`,
//! `did "Order Completed" within 30d and not did "$pageview" at least 3
//! times within 7d`, parsed into an AST and compiled to a parameterised SQL
//! condition.

mod behaviour;
mod fields;
mod lexer;
mod parser;
mod print;
mod sql;

use rusqlite::{params_from_iter, Connection};
use stratus_core::clock::now_millis;
use stratus_core::db::Db;

pub use behaviour::{cache_age, Did, EventsCacheAge, Times, MAX_TIMES};
pub use fields::{FieldKind, SegmentField};
pub use lexer::CmpOp;
pub use parser::{Expr, Literal};
pub use sql::SqlFilter;

use crate::gamify::{self, LevelTable};
use crate::Result;

/// Why a segment does not parse: where, what was expected, what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {}: expected {expected}, found {found}", .position + 1)]
pub struct SegmentError {
    /// 0-based character offset into the segment text.
    pub position: usize,
    pub expected: String,
    pub found: String,
}

impl SegmentError {
    pub(crate) fn new(position: usize, expected: &str, found: &str) -> Self {
        SegmentError {
            position,
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }
}

/// A parsed segment. An empty text selects every customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub expr: Option<Expr>,
}

/// The longest segment text, in characters (it is parsed on every keystroke).
pub const MAX_SEGMENT_CHARS: usize = 10_000;
pub use parser::{MAX_JOINS, MAX_NESTING};

impl Segment {
    pub fn parse(text: &str) -> std::result::Result<Segment, SegmentError> {
        let length = text.chars().count();
        if length > MAX_SEGMENT_CHARS {
            return Err(SegmentError::new(
                MAX_SEGMENT_CHARS,
                &format!("a segment of at most {MAX_SEGMENT_CHARS} characters"),
                &format!("{length} characters"),
            ));
        }
        let tokens = lexer::tokenize(text)?;
        let expr = parser::Parser::new(tokens).parse()?;
        Ok(Segment {
            text: text.to_string(),
            expr,
        })
    }

    /// The canonical spelling (see `print.rs`): parsing it gives the same
    /// segment; empty for everyone.
    pub fn canonical(&self) -> String {
        self.expr
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// Whether evaluating it reads the events cache (`did`).
    pub fn reads_events(&self) -> bool {
        self.expr.as_ref().is_some_and(Expr::reads_events)
    }

    /// The SQL condition over `customers`, with `within` measured from
    /// `now_millis` and `level` given by the profile's `levels`.
    pub fn to_sql(&self, now_millis: i64, levels: &LevelTable) -> SqlFilter {
        sql::compile(self.expr.as_ref(), now_millis, levels)
    }
}

/// How many customers the segment selects now (blocking; inside `Db::call`).
pub fn count_blocking(conn: &Connection, segment: &Segment, now: i64) -> Result<u64> {
    let filter = segment.to_sql(now, &gamify::levels_blocking(conn)?);
    let sql = format!("SELECT count(*) FROM customers WHERE {}", filter.condition);
    let n: i64 = conn.query_row(&sql, params_from_iter(filter.params.iter()), |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Counts the customers a segment text selects (live, while editing).
pub async fn count(db: &Db, segment: &str) -> Result<u64> {
    Ok(audience(db, segment).await?.count)
}

/// A live count, and for a segment that reads the events cache (`did`) how
/// old that cache is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audience {
    pub count: u64,
    /// `Some` when the segment has a `did` test.
    pub events_cache: Option<EventsCacheAge>,
}

/// [`count`] with the events cache's age (blocking; inside `Db::call`).
pub fn audience_blocking(conn: &Connection, segment: &Segment, now: i64) -> Result<Audience> {
    let count = count_blocking(conn, segment, now)?;
    let events_cache = if segment.reads_events() {
        Some(cache_age(conn)?)
    } else {
        None
    };
    Ok(Audience {
        count,
        events_cache,
    })
}

/// Counts the customers a segment text selects, saying how old the events
/// cache is when the segment reads it.
pub async fn audience(db: &Db, segment: &str) -> Result<Audience> {
    let segment = Segment::parse(segment)?;
    let work_reads_events = segment.reads_events();
    let work = move |conn: &Connection| audience_blocking(conn, &segment, now_millis());
    if work_reads_events {
        // A long read: a behaviour test groups events, so it runs on its own
        // connection and does not queue behind (or hold up) the writer.
        db.read(work).await
    } else {
        db.call(move |conn| work(conn)).await
    }
}
