//! The record of a privacy request (`privacy_requests`): written when the
//! request starts (who asked, when, for which ids) and finished with its
//! state and counts, so a failed or interrupted request is on record too.

use rusqlite::params;
use serde::Serialize;
use serde_json::json;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;

use crate::browse::person::person_ids;
use crate::error::Result;
use crate::sync::identity::graph::{ensure_built, person_of};

/// What a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Everything held on the person removed.
    Erase,
    /// Everything held on the person written to one file.
    Export,
}

impl RequestKind {
    fn as_str(self) -> &'static str {
        match self {
            RequestKind::Erase => "erase",
            RequestKind::Export => "export",
        }
    }
}

/// A started request: its row, and the person it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    pub id: i64,
    /// The person id (see `sync/identity/graph.rs`).
    pub person: String,
    /// Every id of the person, sorted.
    pub ids: Vec<String>,
}

/// Resolves `subject` (any id) to its person and records the request as
/// running.
pub async fn open_request(
    db: &Db,
    kind: RequestKind,
    subject: &str,
    requested_by: &str,
) -> Result<OpenRequest> {
    let (subject, by) = (subject.to_string(), requested_by.to_string());
    db.call(move |c| -> Result<_> {
        ensure_built(c)?;
        let person = person_of(c, &subject)?;
        let ids = person_ids(c, &person)?;
        c.execute(
            "INSERT INTO privacy_requests (kind, subject, ids, requested_by, requested_at, state)
             VALUES (?1, ?2, ?3, ?4, ?5, 'running')",
            params![
                kind.as_str(),
                subject,
                json!(ids).to_string(),
                by,
                now_millis()
            ],
        )?;
        Ok(OpenRequest {
            id: c.last_insert_rowid(),
            person,
            ids,
        })
    })
    .await
}

/// Finishes the request `id`: `done` with `counts` (JSON), or `failed`
/// with the error; returns `outcome` as it was.
pub async fn close_request<T>(
    db: &Db,
    id: i64,
    counts: &impl Serialize,
    outcome: Result<T>,
) -> Result<T> {
    let (state, error) = match &outcome {
        Ok(_) => ("done", None),
        Err(e) => ("failed", Some(e.to_string())),
    };
    let counts = serde_json::to_string(counts)?;
    db.call(move |c| -> Result<_> {
        c.execute(
            "UPDATE privacy_requests SET state = ?2, finished_at = ?3, removed = ?4, error = ?5
             WHERE id = ?1",
            params![id, state, now_millis(), counts, error],
        )?;
        Ok(())
    })
    .await?;
    outcome
}

/// One recorded request, as the privacy log shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    pub id: i64,
    /// `erase` or `export`.
    pub kind: String,
    pub subject: String,
    pub ids: Vec<String>,
    pub requested_by: String,
    /// Unix ms.
    pub requested_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// What was removed (an erasure) or exported (counts and the file).
    pub counts: serde_json::Value,
    pub error: Option<String>,
}

/// The newest `limit` requests, newest first.
pub fn list_requests(conn: &rusqlite::Connection, limit: usize) -> Result<Vec<RequestRecord>> {
    let mut stmt = conn.prepare(
        "SELECT id, kind, subject, ids, requested_by, requested_at, finished_at, state, removed, error
         FROM privacy_requests ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        let ids: String = r.get(3)?;
        let counts: String = r.get(8)?;
        Ok(RequestRecord {
            id: r.get(0)?,
            kind: r.get(1)?,
            subject: r.get(2)?,
            ids: serde_json::from_str(&ids).unwrap_or_default(),
            requested_by: r.get(4)?,
            requested_at: r.get(5)?,
            finished_at: r.get(6)?,
            state: r.get(7)?,
            counts: serde_json::from_str(&counts).unwrap_or_default(),
            error: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
