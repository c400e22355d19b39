//! Errors of the campaigns crate: one enum, each variant a situation a person can act on.

use crate::campaign::CampaignState;
use crate::import::BadRow;
use crate::segment::SegmentError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in campaigns. `code()` is the stable
/// identifier the edges branch on; `Display` says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] stratus_core::Error),

    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),

    #[error("the segment is invalid: {0}")]
    Segment(#[from] SegmentError),

    #[error("the template is invalid: {0}")]
    Template(String),

    #[error("{} of the rows are invalid (first: line {}: {}); nothing was imported", .0.len(), .0.first().map_or(0, |r| r.line), .0.first().map_or("", |r| r.reason.as_str()))]
    ImportRejected(Vec<BadRow>),

    #[error("the file cannot be read: {0}")]
    ImportFile(String),

    #[error("campaign `{0}` does not exist")]
    CampaignNotFound(String),

    #[error("customer `{0}` does not exist")]
    CustomerNotFound(String),

    #[error("a campaign that is {from} cannot become {to}")]
    IllegalTransition {
        from: CampaignState,
        to: CampaignState,
    },

    #[error("invalid campaign settings: {0}")]
    InvalidCampaign(String),

    #[error("cancelled")]
    Cancelled,

    #[error("cannot send to `{address}`: {reason}")]
    InvalidAddress { address: String, reason: String },

    #[error("the message was not sent: {message}")]
    SendFailed { code: String, message: String },

    #[error("campaign `{0}` is being sent by another process; pause, resume or cancel it from there or with `stratus campaign pause|resume|cancel`")]
    RunnerBusy(String),

    /// A service of the cloud runner (DynamoDB, SQS, the manifest bucket)
    /// failed or answered something unexpected.
    #[error("the cloud runner: {0}")]
    Cloud(String),

    #[error("campaign `{0}` runs in the cloud; steer it with `stratus campaign pause|resume|cancel|pace` or the app, which reach its workers")]
    RunsInCloud(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },

    #[error("push: {0}")]
    InvalidPush(String),

    #[error("no {0} platform application is set for this profile; create one with `stratus push app create` or set its ARN with `stratus push app set`")]
    NoPushApp(String),

    #[error("SNS refused the push registration ({code}): {message}")]
    PushProvider { code: String, message: String },

    #[error("the in-app inbox cannot be written: {0}")]
    Inbox(String),

    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Core(e) => e.code(),
            Error::Db(_) => "database",
            Error::Segment(_) => "invalid_segment",
            Error::Template(_) => "invalid_template",
            Error::ImportRejected(_) => "import_rejected",
            Error::ImportFile(_) => "import_file",
            Error::CampaignNotFound(_) => "campaign_not_found",
            Error::CustomerNotFound(_) => "customer_not_found",
            Error::IllegalTransition { .. } => "illegal_transition",
            Error::InvalidCampaign(_) => "invalid_campaign",
            Error::Cancelled => "cancelled",
            Error::InvalidAddress { .. } => "invalid_address",
            Error::SendFailed { .. } => "send_failed",
            Error::RunnerBusy(_) => "campaign_busy",
            Error::Cloud(_) => "cloud_service",
            Error::RunsInCloud(_) => "campaign_in_cloud",
            Error::Io { .. } => "io",
            Error::InvalidPush(_) => "invalid_push",
            Error::NoPushApp(_) => "no_push_app",
            Error::PushProvider { .. } => "push_provider",
            Error::Inbox(_) => "inbox",
            Error::Internal(_) => "internal",
        }
    }
}

impl stratus_core::CodedError for Error {
    fn code(&self) -> &str {
        Error::code(self)
    }
}
