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
