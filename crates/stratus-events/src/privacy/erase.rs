//! Erasing one person: the bucket's batch objects first (each rewritten
//! without the person's lines), then the cache, then the record.
//!
//! A line is the person's when its `distinct_id`, else its `anonymous_id`,
//! is one of the person's ids: the same rule that gives a cached event its
//! person (`sync/identity/graph.rs`). Every object under the prefix is read
//! (the cache may have pruned old events, the bucket has not), so the cost
//! follows the bucket. Other people's lines are kept as they were, byte for
//! byte; an object left with no line is deleted. Rejected lines under
//! `bad/v1/` are scanned too (`privacy/bucket.rs` says which are theirs).
//! The ledger gets the rewritten object's ETag, so sync skips it; a re-sync
//! from scratch reads the rewritten objects and finds nothing of the person.

use std::sync::Arc;

use bytes::Bytes;
use rusqlite::{params, Connection};
use serde::Serialize;
use stratus_core::db::Db;
use stratus_core::jobs::{CancellationToken, Progress};
use stratus_core::store::{ObjectStore, PutOptions};

use crate::collector::gzip;
use crate::error::{Error, Result};
use crate::privacy::bucket::{gunzip, lines, list_batch_objects, LineKind, PersonLines};
use crate::privacy::record::{close_request, open_request, RequestKind};

/// What an erasure removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    /// The `privacy_requests` row that records it.
    pub request_id: i64,
    pub person: String,
    pub ids: Vec<String>,
    pub objects_read: u64,
    pub objects_rewritten: u64,
    pub objects_deleted: u64,
    pub lines_removed: u64,
    /// Of `lines_removed`, rejected lines (`bad/v1/`).
    pub bad_lines_removed: u64,
    pub events_deleted: u64,
    pub links_deleted: u64,
    pub identities_deleted: u64,
    /// Rows of other capabilities (the customer list) removed by the
    /// caller's `forget_elsewhere`.
    pub directory_rows_deleted: u64,
}

/// What the caller removes of the person outside the events cache (the
/// customer row, another capability's table), in the same transaction as
/// the cache's rows; returns how many rows.
pub type ForgetElsewhere = Box<dyn FnOnce(&Connection, &[String]) -> rusqlite::Result<u64> + Send>;

/// Erases the person `subject` (any of their ids) belongs to from the events
/// bucket and the cache, and (through `forget_elsewhere`) from the caller's
/// tables; `requested_by` names who asked (kept in the record). Progress
/// counts objects read. The caller keeps sync from running at the same time
/// (the app's sync gate).
pub async fn erase_person(
    db: &Db,
    store: Arc<dyn ObjectStore>,
    subject: &str,
    requested_by: &str,
    forget_elsewhere: ForgetElsewhere,
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<ErasureReport> {
    let request = open_request(db, RequestKind::Erase, subject, requested_by).await?;
    let mut report = ErasureReport {
        request_id: request.id,
        person: request.person,
        ids: request.ids,
        ..ErasureReport::default()
    };
    let outcome =
        erase_everywhere(db, store, &mut report, forget_elsewhere, &progress, cancel).await;
    close_request(db, report.request_id, &report, outcome).await?;
    Ok(report)
}

async fn erase_everywhere(
    db: &Db,
    store: Arc<dyn ObjectStore>,
    report: &mut ErasureReport,
    forget_elsewhere: ForgetElsewhere,
    progress: &impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<()> {
    let theirs = PersonLines::new(&report.ids);
    let objects = list_batch_objects(store.as_ref(), cancel).await?;
    let total = objects.len() as u64;
    for object in objects {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let key = object.key;
        let body = store.get_bytes(&key).await?;
        report.objects_read += 1;
        if let Some((kept, removed)) = without_person(&body, object.kind, &theirs)? {
            report.lines_removed += removed;
            if object.kind == LineKind::Bad {
                report.bad_lines_removed += removed;
            }
            if kept.is_empty() {
                store.delete(&key).await?;
                report.objects_deleted += 1;
            } else {
                let gz = gzip(&kept)?;
                let size = gz.len() as i64;
                let meta = store
                    .put(&key, Bytes::from(gz), PutOptions::default())
                    .await?;
                report.objects_rewritten += 1;
                // The ledger follows, so sync does not read it again; were
                // this lost, a re-read would find nothing of the person
                // anyway. (`bad/` objects are not synced: no ledger row.)
                let (key, etag) = (key.clone(), meta.etag.unwrap_or_default());
                db.call(move |c| -> Result<_> {
                    c.execute(
                        "UPDATE sync_ledger SET etag = ?2, size = ?3, lines = lines - ?4 WHERE key = ?1",
                        params![key, etag, size, removed as i64],
                    )?;
                    Ok(())
                })
                .await?;
            }
        }
        progress(Progress {
            done: report.objects_read,
            total: Some(total),
            message: format!("{} lines removed", report.lines_removed),
        });
    }
    let person = report.person.clone();
    let ids = report.ids.clone();
    let (events, links, identities, elsewhere) = db
        .call(move |c| -> Result<_> { Ok(forget_in_cache(c, &person, &ids, forget_elsewhere)?) })
        .await?;
    report.events_deleted = events;
    report.links_deleted = links;
    report.identities_deleted = identities;
    report.directory_rows_deleted = elsewhere;
    Ok(())
}

/// The object's lines without the person's, if it had any: (the kept lines,
/// each as it was, newline-ended; how many were removed).
fn without_person(
    gzipped: &[u8],
    kind: LineKind,
    theirs: &PersonLines,
) -> Result<Option<(Vec<u8>, u64)>> {
    let text = gunzip(gzipped)?;
    let mut kept = Vec::with_capacity(text.len());
    let mut removed = 0;
    for line in lines(&text) {
        if theirs.theirs(kind, line).is_some() {
            removed += 1;
        } else {
            kept.extend_from_slice(line);
            kept.push(b'\n');
        }
    }
    Ok((removed > 0).then_some((kept, removed)))
}

/// The person's cached events, links and identities, and what the caller
/// forgets elsewhere, in one transaction.
fn forget_in_cache(
    c: &mut Connection,
    person: &str,
    ids: &[String],
    forget_elsewhere: ForgetElsewhere,
) -> rusqlite::Result<(u64, u64, u64, u64)> {
    let tx = c.transaction()?;
    let events = tx.execute("DELETE FROM events WHERE person = ?1", [person])? as u64;
    let mut links = 0;
    for id in ids {
        links += tx.execute(
            "DELETE FROM identity_links WHERE id = ?1 OR other = ?1",
            [id],
        )? as u64;
    }
    let identities = tx.execute("DELETE FROM identities WHERE person = ?1", [person])? as u64;
    let elsewhere = forget_elsewhere(&tx, ids)?;
    tx.commit()?;
    Ok((events, links, identities, elsewhere))
}
