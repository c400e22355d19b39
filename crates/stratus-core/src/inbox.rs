//! The in-app inbox's layout in the events bucket, shared by the campaign
//! runner that writes it and the collector function that serves it:
//! `inbox/<customer>/<message id>.json`, one JSON [`InboxMessage`] each.
//! Message ids are the campaign's UUIDv7, so keys sort oldest first and a
//! resend of the same campaign overwrites its own message (never a second).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where every inbox lives.
pub const PREFIX: &str = "inbox/";

/// One message in a customer's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxMessage {
    pub id: String,
    pub campaign_id: String,
    pub customer_id: String,
    #[serde(default)]
    pub title: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deep_link: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, String>,
    /// Unix ms.
    pub sent_at: i64,
}

/// `inbox/<customer>/`, the customer id percent-encoded so any id (with
/// `/`, spaces, non-ASCII) names exactly one folder.
pub fn customer_prefix(customer: &str) -> String {
    let mut out = String::from(PREFIX);
    for b in customer.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push('/');
    out
}

/// The key of one message.
pub fn key(customer: &str, message_id: &str) -> String {
    format!("{}{message_id}.json", customer_prefix(customer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids_cannot_reach_another_customers_folder() {
        assert_eq!(customer_prefix("c-1"), "inbox/c-1/");
        assert_eq!(customer_prefix("a/b"), "inbox/a%2Fb/");
        assert_eq!(customer_prefix("../x"), "inbox/%2E%2E%2Fx/");
        assert_eq!(key("ü", "m"), "inbox/%C3%BC/m.json");
    }
}
