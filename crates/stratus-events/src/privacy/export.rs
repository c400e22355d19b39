//! What the events capability holds on one person, gathered for an access
//! request: their card (ids, links, traits, devices, consent), every cached
//! event, and every line of theirs in the bucket's batch objects, accepted
//! (`events/v1/`) and rejected (`bad/v1/`). The bucket is read whole, as
//! the erasure reads it: the cache may have pruned what the bucket keeps.
//! The caller (`stratus-app`) adds what other capabilities hold and writes
//! the file.

use std::sync::Arc;

use rusqlite::{params_from_iter, Connection};
use serde::Serialize;
use serde_json::Value;
use stratus_core::db::Db;
use stratus_core::jobs::{CancellationToken, Progress};
use stratus_core::store::ObjectStore;

use crate::browse::person::{person_card, PersonCard, PersonLink};
use crate::browse::stored::{envelope, ENVELOPE_COLUMNS};
use crate::error::{Error, Result};
use crate::privacy::bucket::{gunzip, lines, list_batch_objects, LineKind, PersonLines};
use crate::privacy::record::OpenRequest;

/// One line of the person's in a batch object, parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketLine {
    pub key: String,
    /// 1-based, among the object's non-empty lines.
    pub line: u64,
    pub value: Value,
}

/// Everything the events capability holds on one person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventHoldings {
    /// The person card (`None` when only the bucket knows the id).
    pub card: Option<PersonCard>,
    /// Every identify, alias and group link touching their ids.
    pub identity_links: Vec<PersonLink>,
    /// The cached events, as stored envelopes, oldest first.
    pub cached_events: Vec<Value>,
    /// Their accepted lines in the bucket (`events/v1/`), in key order.
    pub bucket_events: Vec<BucketLine>,
    /// Their rejected lines (`bad/v1/`, `{failure, raw}`), in key order.
    pub bucket_rejected: Vec<BucketLine>,
    /// Batch objects read.
    pub objects_read: u64,
}

/// Gathers what the cache and the bucket hold on the person of `request`.
/// Progress counts batch objects read.
pub async fn gather_holdings(
    db: &Db,
    store: Arc<dyn ObjectStore>,
    request: &OpenRequest,
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<EventHoldings> {
    let (person, ids) = (request.person.clone(), request.ids.clone());
    let (card, identity_links, cached_events) = db
        .read(move |c| -> Result<_> {
            let card = person_card(c, &person)?;
            let links = match &card {
                Some(card) => card.links.clone(),
                None => Vec::new(),
            };
            Ok((card, links, cached_events(c, &person)?))
        })
        .await?;
    let mut holdings = EventHoldings {
        card,
        identity_links,
        cached_events,
        bucket_events: Vec::new(),
        bucket_rejected: Vec::new(),
        objects_read: 0,
    };
    let theirs = PersonLines::new(&ids);
    let objects = list_batch_objects(store.as_ref(), cancel).await?;
    let total = objects.len() as u64;
    for object in objects {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let text = gunzip(&store.get_bytes(&object.key).await?)?;
        for (n, line) in lines(&text).enumerate() {
            if let Some(value) = theirs.theirs(object.kind, line) {
                let found = BucketLine {
                    key: object.key.clone(),
                    line: n as u64 + 1,
                    value,
                };
                match object.kind {
                    LineKind::Event => holdings.bucket_events.push(found),
                    LineKind::Bad => holdings.bucket_rejected.push(found),
                }
            }
        }
        holdings.objects_read += 1;
        progress(Progress {
            done: holdings.objects_read,
            total: Some(total),
            message: format!(
                "{} of their lines found",
                holdings.bucket_events.len() + holdings.bucket_rejected.len()
            ),
        });
    }
    Ok(holdings)
}

/// The person's cached events as stored envelopes, oldest first.
fn cached_events(conn: &Connection, person: &str) -> Result<Vec<Value>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ENVELOPE_COLUMNS} FROM events WHERE person = ?1 ORDER BY ts, rowid"
    ))?;
    let rows = stmt.query_map(params_from_iter([person]), |r| envelope(r, 0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
