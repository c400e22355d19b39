//! The assembly's own errors; the capability crates' errors pass through
//! with their codes.

use stratus_core::CodedError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// This process already sends the campaign (named).
    #[error("“{0}” is already being sent by this app")]
    AlreadyRunning(String),
    /// An environment setting the assembly reads is not understood.
    #[error("{0}")]
    Setting(String),
    #[error(transparent)]
    Campaigns(#[from] stratus_campaigns::Error),
    #[error(transparent)]
    Core(#[from] stratus_core::Error),
}

impl CodedError for Error {
    fn code(&self) -> &str {
        match self {
            Error::AlreadyRunning(_) => "already_running",
            Error::Setting(_) => "invalid_setting",
            Error::Campaigns(e) => e.code(),
            Error::Core(e) => e.code(),
        }
    }

    fn message(&self) -> String {
        match self {
            Error::AlreadyRunning(_) | Error::Setting(_) => self.to_string(),
            Error::Campaigns(e) => e.message(),
            Error::Core(e) => e.message(),
        }
    }
}
