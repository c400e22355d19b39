//! Before launch: the dry run's report and the test send.

use serde::{Deserialize, Serialize};
use stratus_campaigns::dry_run::{DryRunReport, SampleMessage};
use stratus_campaigns::test_send::TestSendReport;
use ts_rs::TS;

use super::{CampaignInput, CodeCount, EventsCacheView, NotificationView, SmsLengthView};

/// One rendered message from the dry run.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SampleMessageView {
    pub customer_id: String,
    pub name: String,
    pub address: String,
    pub text: String,
    pub sms: SmsLengthView,
    /// Push and in-app: the notification as the phone shows it.
    pub notification: Option<NotificationView>,
    /// Push: the enabled devices it goes to.
    #[ts(type = "number")]
    pub devices: u64,
}

impl From<SampleMessage> for SampleMessageView {
    fn from(s: SampleMessage) -> Self {
        SampleMessageView {
            customer_id: s.customer_id,
            name: s.name,
            address: s.address,
            text: s.text,
            sms: s.sms.into(),
            notification: s.notification.map(Into::into),
            devices: s.devices,
        }
    }
}

/// What a launch would do, without sending anything.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DryRunView {
    #[ts(type = "number")]
    pub audience: u64,
    #[ts(type = "number")]
    pub eligible: u64,
    /// Left out, by reason (largest first).
    pub skipped: Vec<CodeCount>,
    pub opt_outs_checked: bool,
    #[ts(type = "number")]
    pub render_errors: u64,
    /// `customer id: message` of the first message that does not render.
    pub first_render_error: Option<String>,
    pub samples: Vec<SampleMessageView>,
    /// SMS parts (0 for push and in-app).
    #[ts(type = "number")]
    pub total_parts: u64,
    /// Push: one notification per enabled device of each eligible customer.
    #[ts(type = "number")]
    pub devices: u64,
    /// The price of one billed unit: an SMS part, a push to one device, an
    /// in-app message.
    pub price_per_part: f64,
    pub currency: String,
    pub estimated_cost: f64,
    pub rate_per_sec: f64,
    #[ts(type = "number")]
    pub estimated_seconds: u64,
    /// In quiet hours now: a `wait` campaign sends them when their window ends.
    #[ts(type = "number")]
    pub waiting: u64,
    /// When the last message is expected to go (Unix ms).
    #[ts(type = "number")]
    pub estimated_finish_at: i64,
    /// For a segment with `did`: how old the events cache it read is.
    pub events_cache: Option<EventsCacheView>,
}

impl From<DryRunReport> for DryRunView {
    fn from(r: DryRunReport) -> Self {
        let mut skipped: Vec<CodeCount> = r
            .skipped
            .into_iter()
            .map(|(code, count)| CodeCount { code, count })
            .collect();
        skipped.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        DryRunView {
            audience: r.audience,
            eligible: r.eligible,
            skipped,
            opt_outs_checked: r.opt_outs_checked,
            render_errors: r.render_errors,
            first_render_error: r
                .first_render_error
                .map(|f| format!("{}: {}", f.customer_id, f.message)),
            samples: r.samples.into_iter().map(Into::into).collect(),
            total_parts: r.total_parts,
            devices: r.devices,
            price_per_part: r.price_per_part,
            currency: r.currency,
            estimated_cost: r.estimated_cost,
            rate_per_sec: r.rate_per_sec,
            estimated_seconds: r.estimated_seconds,
            waiting: r.waiting,
            estimated_finish_at: r.estimated_finish_at,
            events_cache: r.events_cache.map(Into::into),
        }
    }
}

/// A test message: the editor's settings rendered for one customer, to one number.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TestSendInput {
    pub settings: CampaignInput,
    /// Whose data fills the template.
    pub customer_id: String,
    /// E.164 phone number (SMS) or platform endpoint ARN (push).
    pub to: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TestSendView {
    pub message_id: String,
    pub to: String,
    pub text: String,
    pub sms: SmsLengthView,
}

impl From<TestSendReport> for TestSendView {
    fn from(r: TestSendReport) -> Self {
        TestSendView {
            message_id: r.message_id,
            to: r.to,
            text: r.text,
            sms: r.sms.into(),
        }
    }
}
