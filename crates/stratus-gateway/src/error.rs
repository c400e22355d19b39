//! Errors as HTTP: a status, a short JSON body `{code, message}`, and
//! `Cache-Control: no-store`, so no CDN keeps an error for a year.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use stratus_media::MediaError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<MediaError> for ApiError {
    fn from(e: MediaError) -> Self {
        let status = match &e {
            MediaError::InvalidSpec { .. }
            | MediaError::InvalidKey { .. }
            | MediaError::UnknownPreset(_) => StatusCode::BAD_REQUEST,
            MediaError::NotAllowed { .. } => StatusCode::FORBIDDEN,
            MediaError::OriginalNotFound(_) => StatusCode::NOT_FOUND,
            MediaError::TooManyPixels { .. } | MediaError::TooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            MediaError::Undecodable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            MediaError::Encode { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            MediaError::Store(_) => StatusCode::BAD_GATEWAY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<stratus_events::Error> for ApiError {
    fn from(e: stratus_events::Error) -> Self {
        use stratus_events::Error as E;
        let status = match &e {
            E::InvalidBatch(_) => StatusCode::BAD_REQUEST,
            E::BatchTooLarge { .. } | E::RequestTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            // The bucket did not take the batch: a retry may succeed, and
            // retried events collapse on their `event_id`.
            E::Store(_) | E::Core(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "message": self.message });
        let mut response = (self.status, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
