//! The demo "phone preview": what one number (or push endpoint) received
//! through the local outbox, and the pushes and in-app messages a customer
//! received, newest first.

use rusqlite::params;
use stratus_core::db::Db;
use stratus_core::inbox::InboxMessage;
use stratus_core::store::ListRequest;

use crate::push::RenderedPush;
use crate::{Error, Result};

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

/// A notification a demo customer's phone shows: a push from the outbox or
/// an in-app message from their inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNotification {
    pub message_id: String,
    /// `push` or `in_app`.
    pub channel: &'static str,
    pub campaign_id: Option<String>,
    pub campaign_name: Option<String>,
    pub title: String,
    pub body: String,
    pub deep_link: Option<String>,
    /// Unix ms.
    pub sent_at: i64,
}

/// The pushes (to any of the customer's devices) and in-app messages
/// `customer` received, newest first: the demo phone preview's lock screen
/// and inbox. `events` is the bucket the in-app inbox lives in.
pub async fn notifications(
    db: &Db,
    events: &dyn stratus_core::store::ObjectStore,
    customer: &str,
    limit: usize,
) -> Result<Vec<PhoneNotification>> {
    let id = customer.trim().to_string();
    let sql_limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut found: Vec<PhoneNotification> = db
        .call(move |c| -> Result<_> {
            let mut stmt = c.prepare_cached(
                "SELECT o.message_id, o.campaign_id, k.name, o.body, o.sent_at
                     FROM outbox o LEFT JOIN campaigns k ON k.id = o.campaign_id
                     WHERE o.customer_id = ?1 AND o.channel = 'push'
                     ORDER BY o.sent_at DESC, o.message_id DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![id, sql_limit], |r| {
                    let body: String = r.get(3)?;
                    let push = RenderedPush::from_sns_message(&body)
                        .unwrap_or_else(|| RenderedPush::body_only(&body));
                    Ok(PhoneNotification {
                        message_id: r.get(0)?,
                        channel: "push",
                        campaign_id: r.get(1)?,
                        campaign_name: r.get(2)?,
                        title: push.title,
                        body: push.body,
                        deep_link: push.deep_link,
                        sent_at: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await?;
    let page = events
        .list(ListRequest::prefix(stratus_core::inbox::customer_prefix(
            customer.trim(),
        )))
        .await
        .map_err(|e| Error::Inbox(e.to_string()))?;
    for object in page.objects.iter().rev().take(limit) {
        let bytes = events
            .get_bytes(&object.key)
            .await
            .map_err(|e| Error::Inbox(e.to_string()))?;
        if let Ok(m) = serde_json::from_slice::<InboxMessage>(&bytes) {
            found.push(PhoneNotification {
                message_id: m.id,
                channel: "in_app",
                campaign_id: Some(m.campaign_id),
                campaign_name: None,
                title: m.title,
                body: m.body,
                deep_link: m.deep_link,
                sent_at: m.sent_at,
            });
        }
    }
    found.sort_by_key(|n| std::cmp::Reverse(n.sent_at));
    found.truncate(limit);
    Ok(found)
}
