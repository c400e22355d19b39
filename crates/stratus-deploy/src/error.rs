use aws_sdk_s3::error::ProvideErrorMetadata;
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
    /// What AWS said (`Code: message`) when it answered, else the SDK's
    /// error with its causes (its `Display` says only "service error", and
    /// the chain of an answer ends in the response's `Debug`).
    pub fn aws<E>(operation: &'static str, e: &E) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata,
    {
        DeployError::Aws {
            operation,
            message: aws_message(e.code(), e.message())
                .unwrap_or_else(|| stratus_core::store::error_chain(e)),
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

/// `Code: message` of an error AWS answered with; `None` when there is no
/// answer to quote (a connection failure, a timeout).
fn aws_message(code: Option<&str>, message: Option<&str>) -> Option<String> {
    match (code, message) {
        (Some(code), Some(message)) => Some(format!("{code}: {message}")),
        (Some(code), None) => Some(code.to_string()),
        (None, _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_from_aws_is_quoted_as_code_and_message() {
        assert_eq!(
            aws_message(
                Some("IllegalLocationConstraintException"),
                Some("The unspecified location constraint is incompatible")
            )
            .as_deref(),
            Some("IllegalLocationConstraintException: The unspecified location constraint is incompatible")
        );
        assert_eq!(
            aws_message(Some("AccessDenied"), None).as_deref(),
            Some("AccessDenied")
        );
        assert_eq!(aws_message(None, Some("dispatch failure")), None);
    }
}
