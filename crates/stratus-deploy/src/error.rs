use thiserror::Error;

pub type Result<T> = std::result::Result<T, DeployError>;

#[derive(Debug, Error)]
pub enum DeployError {
    #[error("{operation} failed: {message}")]
    Aws {
        operation: &'static str,
        message: String,
    },
    #[error("CloudFormation could not plan the change: {0}")]
    PlanFailed(String),
    #[error("the stack ended in {status}: {reason}")]
    ApplyFailed { status: String, reason: String },
    #[error("{0}")]
    InvalidSettings(String),
    #[error("the function artifact: {0}")]
    Artifact(String),
    #[error("{0}")]
    Unexpected(String),
}

impl DeployError {
    /// The SDK's error with its causes (its `Display` says only "service
    /// error").
    pub fn aws<E: std::error::Error>(operation: &'static str, e: &E) -> Self {
        DeployError::Aws {
            operation,
            message: stratus_core::store::error_chain(e),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            DeployError::Aws { .. } => "aws_failed",
            DeployError::PlanFailed(_) => "plan_failed",
            DeployError::ApplyFailed { .. } => "deploy_failed",
            DeployError::InvalidSettings(_) => "invalid_settings",
            DeployError::Artifact(_) => "artifact_missing",
            DeployError::Unexpected(_) => "internal",
        }
    }
}

impl stratus_core::CodedError for DeployError {
    fn code(&self) -> &str {
        DeployError::code(self)
    }
}
