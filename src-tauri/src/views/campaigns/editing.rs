//! What the editor and the phone preview show: the live segment count, the
//! template preview with its SMS length, customers to pick, received messages.

use std::collections::BTreeMap;

use serde::Serialize;
use stratus_campaigns::customer::Customer;
use stratus_campaigns::inbox::{PhoneNotification, ReceivedMessage};
use stratus_campaigns::push::RenderedPush;
use stratus_campaigns::segment::{EventsCacheAge, SegmentError};
use stratus_campaigns::sms::{SmsEncoding, SmsLength};
use stratus_campaigns::template::Preview;
use ts_rs::TS;

/// Where a segment text fails to parse (0-based character offset).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SegmentProblem {
    #[ts(type = "number")]
    pub position: usize,
    pub expected: String,
    pub found: String,
    pub message: String,
}

impl From<&SegmentError> for SegmentProblem {
    fn from(e: &SegmentError) -> Self {
        SegmentProblem {
            position: e.position,
            expected: e.expected.clone(),
            found: e.found.clone(),
            message: e.to_string(),
        }
    }
}

/// The live count while the segment is edited: a count or where it is wrong.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SegmentCount {
    #[ts(type = "number | null")]
    pub count: Option<u64>,
    pub problem: Option<SegmentProblem>,
    /// For a segment with `did`: how old the events cache it read is.
    pub events_cache: Option<EventsCacheView>,
}

/// How old the events cache a behaviour segment (`did …`) read is.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EventsCacheView {
    /// The last successful sync (Unix ms); `null`: never synced.
    #[ts(type = "number | null")]
    pub synced_at: Option<i64>,
    /// The newest cached event (Unix ms); `null`: the cache is empty.
    #[ts(type = "number | null")]
    pub newest_event_at: Option<i64>,
}

impl From<EventsCacheAge> for EventsCacheView {
    fn from(a: EventsCacheAge) -> Self {
        EventsCacheView {
            synced_at: a.synced_at,
            newest_event_at: a.newest_event_at,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum SmsEncodingView {
    Gsm7,
    Ucs2,
}

/// How an SMS travels and what it costs in parts.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SmsLengthView {
    pub encoding: SmsEncodingView,
    #[ts(type = "number")]
    pub units: usize,
    #[ts(type = "number")]
    pub parts: usize,
    #[ts(type = "number")]
    pub per_part: usize,
}

impl From<SmsLength> for SmsLengthView {
    fn from(s: SmsLength) -> Self {
        SmsLengthView {
            encoding: match s.encoding {
                SmsEncoding::Gsm7 => SmsEncodingView::Gsm7,
                SmsEncoding::Ucs2 => SmsEncodingView::Ucs2,
            },
            units: s.units,
            parts: s.parts,
            per_part: s.per_part,
        }
    }
}

/// The message one customer would get.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TemplatePreview {
    pub customer_id: String,
    pub text: String,
    pub sms: SmsLengthView,
}

impl From<Preview> for TemplatePreview {
    fn from(p: Preview) -> Self {
        TemplatePreview {
            customer_id: p.customer_id,
            text: p.text,
            sms: p.sms.into(),
        }
    }
}

/// A customer in the picker.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CustomerPick {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub level: String,
    #[ts(type = "number")]
    pub points: i64,
    pub sms_opt_in: bool,
    pub push_opt_in: bool,
}

impl From<Customer> for CustomerPick {
    fn from(c: Customer) -> Self {
        CustomerPick {
            id: c.id,
            name: c.name,
            phone: c.phone,
            level: c.level,
            points: c.points,
            sms_opt_in: c.sms_opt_in,
            push_opt_in: c.push_opt_in,
        }
    }
}

/// A message the demo outbox delivered to one phone.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PhoneMessage {
    pub message_id: String,
    pub campaign_id: Option<String>,
    pub campaign_name: Option<String>,
    pub sender_id: Option<String>,
    pub body: String,
    #[ts(type = "number")]
    pub sent_at: i64,
}

/// A push or in-app notification as the phone shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NotificationView {
    pub title: String,
    pub body: String,
    pub deep_link: Option<String>,
    pub data: BTreeMap<String, String>,
    pub badge: Option<u32>,
    pub sound: Option<String>,
}

impl From<RenderedPush> for NotificationView {
    fn from(p: RenderedPush) -> Self {
        NotificationView {
            title: p.title,
            body: p.body,
            deep_link: p.deep_link,
            data: p.data,
            badge: p.badge,
            sound: p.sound,
        }
    }
}

/// A push or in-app message a demo customer received.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PhoneNotificationView {
    pub message_id: String,
    /// `push` or `in_app`.
    pub channel: String,
    pub campaign_name: Option<String>,
    pub title: String,
    pub body: String,
    pub deep_link: Option<String>,
    #[ts(type = "number")]
    pub sent_at: i64,
}

impl From<PhoneNotification> for PhoneNotificationView {
    fn from(n: PhoneNotification) -> Self {
        PhoneNotificationView {
            message_id: n.message_id,
            channel: n.channel.to_string(),
            campaign_name: n.campaign_name,
            title: n.title,
            body: n.body,
            deep_link: n.deep_link,
            sent_at: n.sent_at,
        }
    }
}

impl From<ReceivedMessage> for PhoneMessage {
    fn from(m: ReceivedMessage) -> Self {
        PhoneMessage {
            message_id: m.message_id,
            campaign_id: m.campaign_id,
            campaign_name: m.campaign_name,
            sender_id: m.sender_id,
            body: m.body,
            sent_at: m.sent_at,
        }
    }
}
