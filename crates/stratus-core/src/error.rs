//! Errors of the core crate: one enum, each variant a situation a person can act on.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core. `code()` is the stable
/// identifier the edges (UI, CLI exit paths) branch on; the `Display`
/// text says what happened and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),

    #[error("profile `{0}` does not exist; `stratus profile list` shows the profiles")]
    ProfileNotFound(String),

    #[error("a profile named `{0}` already exists; pick another name or edit that one")]
    ProfileExists(String),

    #[error("invalid profile: {0}")]
    InvalidProfile(String),

    #[error("the demo profile is built in and cannot be {0}")]
    DemoProfileReadOnly(&'static str),

    #[error(
        "the profile configuration at {path} cannot be read: {reason}; fix or remove the file"
    )]
    ConfigCorrupt { path: PathBuf, reason: String },

    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),

    #[error("database migration failed: {0}")]
    Migration(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("job `{0}` is not running")]
    JobNotRunning(String),

    #[error("cancelled")]
    Cancelled,

    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Store(e) => e.code(),
            Error::ProfileNotFound(_) => "profile_not_found",
            Error::ProfileExists(_) => "profile_exists",
            Error::InvalidProfile(_) => "invalid_profile",
            Error::DemoProfileReadOnly(_) => "demo_read_only",
            Error::ConfigCorrupt { .. } => "config_corrupt",
            Error::Db(_) => "database",
            Error::Migration(_) => "migration",
            Error::Io { .. } => "io",
            Error::JobNotRunning(_) => "job_not_running",
            Error::Cancelled => "cancelled",
            Error::Internal(_) => "internal",
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// An error with a stable code: what every crate's error enum offers, so the
/// generic seams (jobs, demo seeding, the shell's error shape) keep a
/// capability's code instead of flattening it to `internal`.
pub trait CodedError: std::error::Error + Send + Sync + 'static {
    /// Stable machine-readable code the edges branch on.
    fn code(&self) -> &str;

    /// The sentence for people: what happened and what to do.
    fn message(&self) -> String {
        self.to_string()
    }
}

/// A code and a message without the error behind them: how a job's failure
/// is stored, a demo step's failure travels, or several failures are summed up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            code: code.into(),
            message: message.into(),
        }
    }

    /// Keeps `e`'s code and message.
    pub fn of(e: &(impl CodedError + ?Sized)) -> Self {
        Failure::new(e.code(), e.message())
    }
}

impl CodedError for Failure {
    fn code(&self) -> &str {
        &self.code
    }

    fn message(&self) -> String {
        self.message.clone()
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::of(&e)
    }
}

impl CodedError for Error {
    fn code(&self) -> &str {
        Error::code(self)
    }
}

impl CodedError for crate::store::StoreError {
    fn code(&self) -> &str {
        crate::store::StoreError::code(self)
    }
}
