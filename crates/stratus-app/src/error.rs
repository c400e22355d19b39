//! The assembly's own errors; the capability crates' errors pass through
//! with their codes.

use stratus_core::{CodedError, Failure};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// This process already sends the campaign (named).
    #[error("“{0}” is already being sent by this app")]
    AlreadyRunning(String),
    /// An environment setting the assembly reads is not understood.
    #[error("{0}")]
    Setting(String),
    /// Deploying needs a cloud profile (the demo one is offline).
    #[error("the demo profile is offline: add a cloud profile in Settings (or stratus profile add), make it active and deploy that")]
    NeedsCloud,
    /// A teardown (or status) for a profile with no recorded deploy.
    #[error("profile “{0}” has no deployment to remove (a deploy records one)")]
    NotDeployed(String),
    /// Apply or discard of a change set that is not the profile's pending
    /// plan (applied, discarded or replaced meanwhile).
    #[error("the plan {0} is no longer pending: plan again")]
    PlanNotFound(String),
    /// Running in the cloud is not possible for the open profile (demo,
    /// or no campaign worker deployed); the reason says what to do.
    #[error("{0}")]
    CloudUnavailable(String),
    /// A step a front end ran for the flow (saving the profile) failed.
    #[error(transparent)]
    Failed(Failure),
    #[error(transparent)]
    Deploy(#[from] stratus_deploy::DeployError),
    #[error(transparent)]
    Media(#[from] stratus_media::MediaError),
    #[error(transparent)]
    Campaigns(#[from] stratus_campaigns::Error),
    #[error(transparent)]
    Events(#[from] stratus_events::Error),
    /// A privacy export's file cannot be written where asked.
    #[error("{0}")]
    ExportFile(String),
    #[error(transparent)]
    Core(#[from] stratus_core::Error),
}

impl CodedError for Error {
    fn code(&self) -> &str {
        match self {
            Error::AlreadyRunning(_) => "already_running",
            Error::Setting(_) => "invalid_setting",
            Error::NeedsCloud => "deploy_needs_cloud",
            Error::NotDeployed(_) => "not_deployed",
            Error::PlanNotFound(_) => "plan_not_found",
            Error::CloudUnavailable(_) => "cloud_unavailable",
            Error::Failed(e) => e.code(),
            Error::Deploy(e) => stratus_deploy::DeployError::code(e),
            Error::Media(e) => e.code(),
            Error::Campaigns(e) => e.code(),
            Error::Events(e) => e.code(),
            Error::ExportFile(_) => "export_failed",
            Error::Core(e) => e.code(),
        }
    }

    fn message(&self) -> String {
        match self {
            Error::AlreadyRunning(_)
            | Error::Setting(_)
            | Error::NeedsCloud
            | Error::NotDeployed(_)
            | Error::PlanNotFound(_)
            | Error::CloudUnavailable(_)
            | Error::ExportFile(_) => self.to_string(),
            Error::Failed(e) => e.message(),
            Error::Deploy(e) => e.message(),
            Error::Media(e) => e.message(),
            Error::Campaigns(e) => e.message(),
            Error::Events(e) => stratus_core::CodedError::message(e),
            Error::Core(e) => e.message(),
        }
    }
}
