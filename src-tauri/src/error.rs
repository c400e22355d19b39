//! The one error shape the UI sees: `{ code, message }`. The UI branches on
//! `code`; `message` is for people.

use serde::Serialize;
use stratus_core::CodedError;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppError {
    pub code: String,
    pub message: String,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        AppError {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// Every crate's error becomes the UI's shape the same way: its code and
/// its message. (`AppError` itself is not a `CodedError`, so this does not
/// clash with `From<AppError> for AppError`.)
impl<E: CodedError> From<E> for AppError {
    fn from(e: E) -> Self {
        AppError::new(e.code(), e.message())
    }
}

pub type CommandResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use stratus_core::jobs::{JobSnapshot, JobState, Progress};
    use stratus_core::Failure;

    use super::*;
    use crate::views::JobView;

    #[test]
    fn every_crate_error_reaches_the_ui_with_its_own_code() {
        let media = AppError::from(stratus_media::MediaError::UnknownPreset("huge".into()));
        assert_eq!(
            (media.code.as_str(), media.message.as_str()),
            ("unknown_preset", "unknown preset `huge`")
        );
        let events = AppError::from(stratus_events::Error::InvalidCursor("x".into()));
        assert_eq!(events.code, "invalid_cursor");
        let campaigns = AppError::from(stratus_campaigns::Error::CampaignNotFound("c1".into()));
        assert_eq!(campaigns.code, "campaign_not_found");
        let core = AppError::from(stratus_core::Error::ProfileNotFound("p".into()));
        assert_eq!(core.code, "profile_not_found");
    }

    #[test]
    fn a_failed_job_shows_its_error_code_and_message() {
        let view = JobView::from(JobSnapshot {
            id: "j".into(),
            kind: "image.warm".into(),
            title: "Warm thumb".into(),
            state: JobState::Failed,
            progress: Progress::default(),
            error: Some(Failure::new("too_large", "original `a.jpg` is too large")),
            started_at: 1,
            finished_at: Some(2),
        });
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(
            json["error"],
            serde_json::json!({ "code": "too_large", "message": "original `a.jpg` is too large" })
        );
    }
}
