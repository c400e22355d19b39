//! The demo "phone preview": what one number (or push endpoint) received
//! through the local outbox, newest first.

use rusqlite::params;
use stratus_core::db::Db;

use crate::Result;

/// One message as the recipient's phone shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub campaign_id: Option<String>,
    /// The campaign's name, when it still exists.
    pub campaign_name: Option<String>,
    pub sender_id: Option<String>,
    pub body: String,
    /// Unix ms.
    pub sent_at: i64,
}

/// The last `limit` messages the outbox delivered to `address`.
pub async fn received(db: &Db, address: &str, limit: usize) -> Result<Vec<ReceivedMessage>> {
    let address = address.trim().to_string();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    db.call(move |c| -> Result<_> {
        let mut stmt = c.prepare_cached(
            "SELECT o.message_id, o.campaign_id, k.name, o.sender_id, o.body, o.sent_at
                 FROM outbox o LEFT JOIN campaigns k ON k.id = o.campaign_id
                 WHERE o.address = ?1 ORDER BY o.sent_at DESC, o.message_id DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![address, limit], |r| {
                Ok(ReceivedMessage {
                    message_id: r.get(0)?,
                    campaign_id: r.get(1)?,
                    campaign_name: r.get(2)?,
                    sender_id: r.get(3)?,
                    body: r.get(4)?,
                    sent_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })
    .await
}
