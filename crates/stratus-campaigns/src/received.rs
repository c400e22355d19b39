//! The campaigns one customer received, for the support screen's person
//! card: a person may have several ids (the events' identity graph), so this
//! takes them all. Newest first; `recipients_by_customer` (migration 0011)
//! finds the rows.

use rusqlite::{params_from_iter, Connection};
use serde::Serialize;

use crate::Result;

/// Most campaigns listed for one person.
pub const MAX_RECEIVED: usize = 200;

/// One campaign a customer was a recipient of, whatever happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedCampaign {
    pub campaign_id: String,
    pub name: String,
    /// `sms` or `push`.
    pub channel: String,
    /// The recipient id it was sent to (one of the person's ids).
    pub customer_id: String,
    /// The recipient row's status: `sent`, `skipped`, `failed` …
    pub status: String,
    /// Why skipped or unknown, or the provider's error code.
    pub reason: Option<String>,
    /// The text sent (or about to be).
    pub rendered: Option<String>,
    /// Unix ms of the last status change.
    pub updated_at: i64,
}

/// The campaigns any of `customer_ids` was a recipient of, newest first.
pub fn received_by(conn: &Connection, customer_ids: &[String]) -> Result<Vec<ReceivedCampaign>> {
    if customer_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; customer_ids.len()].join(", ");
    let sql = format!(
        "SELECT c.id, c.name, c.channel, r.customer_id, r.status,
                coalesce(r.reason, r.error_code), r.rendered, r.updated_at
         FROM recipients r JOIN campaigns c ON c.id = r.campaign_id
         WHERE r.customer_id IN ({marks})
         ORDER BY r.updated_at DESC, c.id LIMIT {MAX_RECEIVED}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(customer_ids), |r| {
        Ok(ReceivedCampaign {
            campaign_id: r.get(0)?,
            name: r.get(1)?,
            channel: r.get(2)?,
            customer_id: r.get(3)?,
            status: r.get(4)?,
            reason: r.get(5)?,
            rendered: r.get(6)?,
            updated_at: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_core::db::Db;

    #[test]
    fn every_id_of_the_person_is_looked_up_and_the_newest_comes_first() {
        let db = Db::open_in_memory().unwrap();
        db.call_blocking(|c| -> crate::Result<_> {
            c.execute_batch(
                "INSERT INTO campaigns (id, name, channel, segment, template, rate_per_sec, concurrency,
                     state, created_at, updated_at) VALUES
                   ('c1', 'Spring sale', 'sms', 'all', 't', 1, 1, 'completed', 0, 0),
                   ('c2', 'Streak reminder', 'push', 'all', 't', 1, 1, 'completed', 0, 0);
                 INSERT INTO recipients (campaign_id, customer_id, status, reason, rendered, updated_at) VALUES
                   ('c1', 'cust-1', 'sent', NULL, 'Hi Ann', 10),
                   ('c2', 'anon-1', 'skipped', 'no_push_opt_in', NULL, 20),
                   ('c2', 'cust-2', 'sent', NULL, 'Hi Bo', 30);",
            )?;
            let got = received_by(c, &["cust-1".into(), "anon-1".into()])?;
            let seen: Vec<_> = got
                .iter()
                .map(|r| (r.name.as_str(), r.status.as_str(), r.reason.as_deref()))
                .collect();
            assert_eq!(
                seen,
                [
                    ("Streak reminder", "skipped", Some("no_push_opt_in")),
                    ("Spring sale", "sent", None)
                ]
            );
            assert!(received_by(c, &[])?.is_empty());
            Ok(())
        })
        .unwrap();
    }
}
