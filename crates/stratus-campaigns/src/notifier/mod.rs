//! The Notifier port: hands one personal message to a provider. SNS for
//! cloud profiles ([`SnsNotifier`]), a local outbox for demo mode
//! ([`OutboxNotifier`]).

mod inbox;
mod outbox;
mod sns;

pub use inbox::InboxNotifier;
pub use outbox::{OutboxConfig, OutboxNotifier};
pub(crate) use sns::classify as sns_classify;
pub use sns::{classify_code, SnsNotifier};

use crate::campaign::{Channel, SmsType};
use crate::eligibility::SkipReason;

/// The provider's id for an accepted message.
pub type MessageId = String;

/// One personal message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    pub campaign_id: String,
    pub customer_id: String,
    pub channel: Channel,
    /// E.164 phone number (SMS) or platform endpoint ARN (push).
    pub address: String,
    pub body: String,
    pub sms_type: SmsType,
    pub sender_id: Option<String>,
}

/// Why a call to the provider did not go through, classified by what the
/// runner may do next. The line between [`NotifyError::Unreachable`] and
/// [`NotifyError::InDoubt`] is whether the provider may have acted: only a
/// failure that certainly happened before the request reached it may be
/// retried without risking a second message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The provider asked us to slow down (and did not act): retry later,
    /// slower; never a failure.
    #[error("the provider asked to slow down: {0}")]
    Throttled(String),
    /// The request never reached the provider (connection refused, DNS):
    /// safe to retry.
    #[error("the provider could not be reached ({code}): {message}")]
    Unreachable { code: String, message: String },
    /// The request may have reached the provider and been acted on (the
    /// connection was cut after it was written, a 5xx answer, no answer in
    /// time). A publish that ends this way is not retried: the recipient
    /// becomes `unknown`, as after a crash. Read-only checks may retry.
    #[error("no clear answer from the provider ({code}): {message}")]
    InDoubt { code: String, message: String },
    /// The provider refused the message for good.
    #[error("{code}: {message}")]
    Permanent { code: String, message: String },
    #[error("the phone number has opted out")]
    OptedOut,
    #[error("invalid phone number: {0}")]
    InvalidNumber(String),
    #[error("the push endpoint is disabled")]
    EndpointDisabled,
}

impl NotifyError {
    /// Whether the provider looks unavailable (what the circuit breaker
    /// counts): it could not be reached or gave no clear answer.
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            NotifyError::Unreachable { .. } | NotifyError::InDoubt { .. }
        )
    }

    /// The code stored on the recipient row.
    pub fn code(&self) -> String {
        match self {
            NotifyError::Throttled(_) => "Throttled".into(),
            NotifyError::Unreachable { code, .. }
            | NotifyError::InDoubt { code, .. }
            | NotifyError::Permanent { code, .. } => code.clone(),
            NotifyError::OptedOut => "opted_out".into(),
            NotifyError::InvalidNumber(_) => "invalid_number".into(),
            NotifyError::EndpointDisabled => "endpoint_disabled".into(),
        }
    }

    /// For errors that mean "never send to this recipient": the skip reason.
    pub fn skip_reason(&self) -> Option<SkipReason> {
        match self {
            NotifyError::OptedOut => Some(SkipReason::OptedOut),
            NotifyError::InvalidNumber(_) => Some(SkipReason::InvalidNumber),
            NotifyError::EndpointDisabled => Some(SkipReason::EndpointDisabled),
            _ => None,
        }
    }
}

/// Hands messages to a provider.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    /// Publishes one message; the id is the provider's.
    async fn publish(&self, message: &OutboundMessage) -> Result<MessageId, NotifyError>;

    /// Whether an SMS number has opted out of messages from this account.
    async fn is_opted_out(&self, phone: &str) -> Result<bool, NotifyError>;

    /// Every opted-out number at once, for estimates over a whole audience
    /// (the dry run) where one check per number would be too slow. `None`
    /// when the provider cannot list them; the runner still checks each
    /// number with [`Notifier::is_opted_out`] before sending.
    async fn opt_out_filter(&self) -> Result<Option<OptOutFilter>, NotifyError> {
        Ok(None)
    }

    /// A harmless call that says whether the provider answers again after
    /// an outage (the runner's circuit breaker probes with it). Sends nothing.
    async fn probe(&self) -> Result<(), NotifyError> {
        Ok(())
    }
}

/// Answers "has this number opted out?" without asking the provider again.
pub struct OptOutFilter(Box<dyn Fn(&str) -> bool + Send + Sync>);

impl OptOutFilter {
    pub fn new(is_opted_out: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        OptOutFilter(Box::new(is_opted_out))
    }

    pub fn is_opted_out(&self, phone: &str) -> bool {
        (self.0)(phone)
    }
}

impl std::fmt::Debug for OptOutFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OptOutFilter")
    }
}

/// The provider a profile sends through: SNS when the stack has an AWS
/// configuration (cloud profiles), else the local outbox (demo mode) with
/// `outbox`'s simulation; in-app messages go to the events bucket's inbox
/// either way. The app and the CLI both pick through here.
pub fn for_stack(
    stack: &stratus_core::stack::Stack,
    outbox: OutboxConfig,
) -> std::sync::Arc<dyn Notifier> {
    let provider: std::sync::Arc<dyn Notifier> = match &stack.sdk {
        Some(sdk) => std::sync::Arc::new(SnsNotifier::new(sdk)),
        None => std::sync::Arc::new(OutboxNotifier::new(stack.db.clone(), outbox)),
    };
    std::sync::Arc::new(ByChannel {
        provider,
        inbox: InboxNotifier::new(stack.events.clone()),
    })
}

/// SMS and push to the provider, in-app to the inbox.
pub struct ByChannel {
    pub provider: std::sync::Arc<dyn Notifier>,
    pub inbox: InboxNotifier,
}

#[async_trait::async_trait]
impl Notifier for ByChannel {
    async fn publish(&self, message: &OutboundMessage) -> Result<MessageId, NotifyError> {
        match message.channel {
            Channel::InApp => self.inbox.publish(message).await,
            _ => self.provider.publish(message).await,
        }
    }

    async fn is_opted_out(&self, phone: &str) -> Result<bool, NotifyError> {
        self.provider.is_opted_out(phone).await
    }

    async fn opt_out_filter(&self) -> Result<Option<OptOutFilter>, NotifyError> {
        self.provider.opt_out_filter().await
    }

    async fn probe(&self) -> Result<(), NotifyError> {
        self.provider.probe().await
    }
}
