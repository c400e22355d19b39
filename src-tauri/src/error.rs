//! The one error shape the UI sees: `{ code, message }`. The UI branches on
//! `code`; `message` is for people.

use serde::Serialize;
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

impl From<stratus_core::Error> for AppError {
    fn from(e: stratus_core::Error) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<stratus_core::store::StoreError> for AppError {
    fn from(e: stratus_core::store::StoreError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<stratus_media::MediaError> for AppError {
    fn from(e: stratus_media::MediaError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<stratus_events::Error> for AppError {
    fn from(e: stratus_events::Error) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<stratus_events::retention_setting::RetentionSettingError> for AppError {
    fn from(e: stratus_events::retention_setting::RetentionSettingError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<stratus_events::write_keys::KeyError> for AppError {
    fn from(e: stratus_events::write_keys::KeyError) -> Self {
        AppError::new(e.code(), e.to_string())
    }
}

pub type CommandResult<T> = Result<T, AppError>;
