//! What a campaign hands the provider for one customer, by channel: the
//! SMS text; for push the `MessageStructure=json` document with a payload
//! per platform; for in-app the notification as the inbox stores it.

use stratus_core::db::Db;

use crate::campaign::{CampaignSpec, Channel};
use crate::push::{PushTemplate, RenderedPush};
use crate::template::{self, MessageTemplate, TemplateContext};
use crate::{Error, Result};

/// The campaign's message for a stored customer as it would be sent (the
/// editor's notification preview, test sends): the customer is read under
/// the database lock, the rendering happens after it is released.
pub async fn preview(db: &Db, spec: &CampaignSpec, customer_id: &str) -> Result<RenderedMessage> {
    let message = CampaignMessage::compile(spec)?;
    let id = customer_id.to_string();
    let input = db.call(move |c| template::preview_customer(c, &id)).await?;
    tokio::task::spawn_blocking(move || {
        message.render_all(&TemplateContext::new(
            &input.customer,
            input.rank,
            &input.levels,
        ))
    })
    .await
    .map_err(|e| Error::Internal(format!("template worker failed: {e}")))?
}

/// A campaign's templates, compiled once per run.
#[derive(Debug)]
pub enum CampaignMessage {
    Sms(MessageTemplate),
    Push(PushTemplate),
    InApp(PushTemplate),
}

/// One customer's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMessage {
    /// What the provider gets (and the recipient row records).
    pub payload: String,
    /// What a person reads: the SMS, or the notification's body.
    pub text: String,
    /// Push and in-app: every field.
    pub notification: Option<RenderedPush>,
}

impl RenderedMessage {
    /// A plain text as `channel` sends it (a test send's own text): for
    /// push and in-app, a notification with only a body.
    pub fn plain(channel: Channel, text: &str) -> Self {
        let push = RenderedPush::body_only(text);
        let payload = match channel {
            Channel::Sms => text.to_string(),
            Channel::Push => push.sns_message(),
            Channel::InApp => serde_json::to_string(&push).unwrap_or_default(),
        };
        RenderedMessage {
            payload,
            text: text.to_string(),
            notification: (channel != Channel::Sms).then_some(push),
        }
    }
}

impl CampaignMessage {
    pub fn compile(spec: &CampaignSpec) -> Result<Self> {
        Ok(match spec.channel {
            Channel::Sms => CampaignMessage::Sms(MessageTemplate::compile(&spec.template)?),
            Channel::Push => {
                CampaignMessage::Push(PushTemplate::compile(&spec.template, &spec.push)?)
            }
            Channel::InApp => {
                CampaignMessage::InApp(PushTemplate::compile(&spec.template, &spec.push)?)
            }
        })
    }

    /// Whether any template reads `name` (costly values are computed only then).
    pub fn uses(&self, name: &str) -> bool {
        match self {
            CampaignMessage::Sms(t) => t.uses(name),
            CampaignMessage::Push(t) | CampaignMessage::InApp(t) => t.uses(name),
        }
    }

    /// The provider's payload for one customer.
    pub fn render(&self, context: &TemplateContext) -> Result<String> {
        Ok(self.render_all(context)?.payload)
    }

    /// Payload, readable text and fields for one customer.
    pub fn render_all(&self, context: &TemplateContext) -> Result<RenderedMessage> {
        Ok(match self {
            CampaignMessage::Sms(t) => {
                let text = t.render(context)?;
                RenderedMessage {
                    payload: text.clone(),
                    text,
                    notification: None,
                }
            }
            CampaignMessage::Push(t) => {
                let push = t.render(context)?;
                RenderedMessage {
                    payload: push.sns_message(),
                    text: push.body.clone(),
                    notification: Some(push),
                }
            }
            CampaignMessage::InApp(t) => {
                let push = t.render(context)?;
                RenderedMessage {
                    payload: serde_json::to_string(&push).unwrap_or_default(),
                    text: push.body.clone(),
                    notification: Some(push),
                }
            }
        })
    }
}
