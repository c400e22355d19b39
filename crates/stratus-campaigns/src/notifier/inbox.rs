//! The in-app channel's provider: each message becomes an object in the
//! customer's inbox (`stratus_core::inbox`) in the events bucket (S3 for
//! cloud profiles, the local store in demo mode), which the collector
//! function serves to the customer's app at `GET /v1/inbox`.

use std::sync::Arc;

use bytes::Bytes;
use stratus_core::clock::now_millis;
use stratus_core::inbox::{self, InboxMessage};
use stratus_core::store::{ObjectStore, PutOptions, StoreError};

use super::{MessageId, NotifyError, OutboundMessage};
use crate::push::RenderedPush;

/// Writes in-app messages into the bucket.
#[derive(Clone)]
pub struct InboxNotifier {
    store: Arc<dyn ObjectStore>,
}

impl InboxNotifier {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        InboxNotifier { store }
    }

    /// Stores one message in the inbox of the customer its address names
    /// (in-app addresses are customer ids); its id is the campaign's, so a
    /// retry writes the same object again instead of a second message. A
    /// test send (whose campaign id is no UUID) gets its own id.
    pub async fn publish(&self, message: &OutboundMessage) -> Result<MessageId, NotifyError> {
        let fields: RenderedPush = serde_json::from_str(&message.body)
            .unwrap_or_else(|_| RenderedPush::body_only(&message.body));
        let id = match uuid::Uuid::parse_str(&message.campaign_id) {
            Ok(_) => message.campaign_id.clone(),
            Err(_) => uuid::Uuid::now_v7().to_string(),
        };
        let stored = InboxMessage {
            id: id.clone(),
            campaign_id: message.campaign_id.clone(),
            customer_id: message.address.clone(),
            title: fields.title,
            body: fields.body,
            deep_link: fields.deep_link,
            data: fields.data,
            sent_at: now_millis(),
        };
        let body = serde_json::to_vec(&stored).map_err(|e| NotifyError::Permanent {
            code: "inbox_encode".into(),
            message: e.to_string(),
        })?;
        let options = PutOptions {
            content_type: Some("application/json".into()),
            ..PutOptions::default()
        };
        let key = inbox::key(&message.address, &id);
        match self.store.put(&key, Bytes::from(body), options).await {
            Ok(_) => Ok(key),
            Err(e) => Err(classify(e)),
        }
    }
}

/// A put either did not happen or may have: writing the same key again is
/// harmless, so any failure is safe to retry (never in doubt).
fn classify(e: StoreError) -> NotifyError {
    NotifyError::Unreachable {
        code: "inbox_store".into(),
        message: e.to_string(),
    }
}
