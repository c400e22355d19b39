//! Test send: one message to one phone number or endpoint, before launch —
//! the campaign's template rendered for a chosen customer, or a raw text.
//! Goes through the same notifier as the campaign (SNS or the demo outbox),
//! with the same SMS attributes; it records no recipient row.

use stratus_core::db::Db;

use crate::campaign::{self, CampaignSpec, Channel, SmsType};
use crate::message::{self, RenderedMessage};
use crate::notifier::{Notifier, NotifyError, OutboundMessage};
use crate::phone;
use crate::push::PushContent;
use crate::sms::{self, SmsLength};
use crate::{Error, Result};

/// The campaign id test messages carry in the outbox (and logs).
pub const TEST_CAMPAIGN_ID: &str = "test-send";

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestContent {
    /// A template rendered for a stored customer.
    Template { source: String, customer_id: String },
    /// Exactly this text.
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestSend {
    pub channel: Channel,
    /// E.164 phone number (`+` and country code) or platform endpoint ARN.
    pub to: String,
    pub content: TestContent,
    pub sms_type: SmsType,
    pub sender_id: Option<String>,
}

/// What was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestSendReport {
    pub message_id: String,
    /// The address as sent (phone numbers normalised to E.164).
    pub to: String,
    pub text: String,
    pub sms: SmsLength,
}

/// Checks the address for the channel; phone numbers come back as E.164.
pub fn validate_address(channel: Channel, to: &str) -> Result<String> {
    let invalid = |reason: String| Error::InvalidAddress {
        address: to.to_string(),
        reason,
    };
    match channel {
        Channel::Sms => phone::normalize(to, None).map_err(invalid),
        Channel::Push => {
            let arn = to.trim();
            if arn.starts_with("arn:") && arn.contains(":endpoint/") {
                Ok(arn.to_string())
            } else {
                Err(invalid(
                    "a push test needs a platform endpoint ARN (arn:aws:sns:…:endpoint/…)".into(),
                ))
            }
        }
        Channel::InApp => match to.trim() {
            "" => Err(invalid(
                "an in-app test needs the customer id whose inbox gets it".into(),
            )),
            id => Ok(id.to_string()),
        },
    }
}

/// Sends one test message.
pub async fn test_send(
    db: &Db,
    notifier: &dyn Notifier,
    request: TestSend,
) -> Result<TestSendReport> {
    send(db, notifier, request, PushContent::default()).await
}

async fn send(
    db: &Db,
    notifier: &dyn Notifier,
    request: TestSend,
    push: PushContent,
) -> Result<TestSendReport> {
    let to = validate_address(request.channel, &request.to)?;
    let (rendered, customer_id) = match request.content {
        TestContent::Template {
            source,
            customer_id,
        } => (
            {
                let mut spec = CampaignSpec::new("test", request.channel, "", &source);
                spec.push = push;
                message::preview(db, &spec, &customer_id).await?
            },
            customer_id,
        ),
        TestContent::Text(text) => (
            RenderedMessage::plain(request.channel, text.trim()),
            String::new(),
        ),
    };
    let text = rendered.text;
    if text.is_empty() {
        return Err(Error::InvalidCampaign("the message is empty".into()));
    }
    if request.channel == Channel::Sms {
        match notifier.is_opted_out(&to).await {
            Ok(false) => {}
            Ok(true) => {
                return Err(Error::InvalidAddress {
                    address: to,
                    reason: "this number has opted out of SMS from this account".into(),
                })
            }
            Err(e) => return Err(send_failed(e)),
        }
    }
    let message = OutboundMessage {
        campaign_id: TEST_CAMPAIGN_ID.into(),
        customer_id,
        channel: request.channel,
        address: to.clone(),
        body: rendered.payload,
        sms_type: request.sms_type,
        sender_id: request.sender_id,
    };
    let message_id = notifier.publish(&message).await.map_err(send_failed)?;
    Ok(TestSendReport {
        message_id,
        to,
        sms: sms::measure(&text),
        text,
    })
}

/// Test send of a stored campaign's template, channel, SMS type and sender id.
pub async fn test_send_campaign(
    db: &Db,
    notifier: &dyn Notifier,
    campaign_id: &str,
    customer_id: &str,
    to: &str,
) -> Result<TestSendReport> {
    let spec = campaign::get(db, campaign_id).await?.spec;
    test_send_spec(db, notifier, spec, customer_id, to).await
}

/// Test send of unsaved settings (the editor's): the template with every
/// field of the channel (a push's title, link, data, badge), rendered for
/// one customer.
pub async fn test_send_spec(
    db: &Db,
    notifier: &dyn Notifier,
    spec: CampaignSpec,
    customer_id: &str,
    to: &str,
) -> Result<TestSendReport> {
    send(
        db,
        notifier,
        TestSend {
            channel: spec.channel,
            to: to.to_string(),
            content: TestContent::Template {
                source: spec.template,
                customer_id: customer_id.to_string(),
            },
            sms_type: spec.sms_type,
            sender_id: spec.sender_id,
        },
        spec.push,
    )
    .await
}

fn send_failed(e: NotifyError) -> Error {
    Error::SendFailed {
        code: e.code(),
        message: e.to_string(),
    }
}
