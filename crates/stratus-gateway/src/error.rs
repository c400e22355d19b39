//! Errors as HTTP: a status, a short JSON body `{code, message}`, and
//! `Cache-Control: no-store`, so no CDN keeps an error for a year.
//!
//! A failure on the server's side (the store unreachable, credentials
//! missing, an encoder failing) is logged in full with a request id, and the
//! anonymous client gets only a generic sentence with that id: bucket names,
//! endpoints and credential-chain text never leave the function.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use stratus_core::store::StoreError;
use stratus_media::MediaError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Set on server-side failures: the id under which the detail was logged.
    pub request_id: Option<String>,
    /// Seconds for `Retry-After` (busy answers).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            request_id: None,
            retry_after: None,
        }
    }

    /// A failure of the function itself: `detail` goes to the log under a
    /// new request id; the client sees only that id.
    pub fn internal(
        status: StatusCode,
        code: &'static str,
        detail: &dyn std::fmt::Display,
    ) -> Self {
        let id = uuid::Uuid::now_v7().to_string();
        tracing::error!(request_id = %id, code, "{detail}");
        ApiError {
            request_id: Some(id.clone()),
            ..ApiError::new(
                status,
                code,
                format!("the function could not answer this request (request id {id})"),
            )
        }
    }
}

/// What a store failure means to a client: its own bad key, a missing
/// object, a link the store refuses — or the function's problem.
fn store_error(e: &StoreError) -> ApiError {
    match e {
        StoreError::InvalidKey { .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, e.code(), e.to_string())
        }
        StoreError::NotFound { .. } => ApiError::new(
            StatusCode::NOT_FOUND,
            "original_not_found",
            "the original does not exist",
        ),
        StoreError::Symlink { .. } => ApiError::new(
            StatusCode::FORBIDDEN,
            e.code(),
            "this object is a link, which the function does not follow",
        ),
        _ => ApiError::internal(StatusCode::BAD_GATEWAY, "storage_failed", e),
    }
}

impl From<MediaError> for ApiError {
    fn from(e: MediaError) -> Self {
        let status = match &e {
            MediaError::Store(store) => return store_error(store),
            MediaError::Encode { .. } => {
                return ApiError::internal(StatusCode::INTERNAL_SERVER_ERROR, e.code(), &e)
            }
            MediaError::Busy {
                retry_after_secs, ..
            } => {
                return ApiError {
                    retry_after: Some(*retry_after_secs),
                    ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string())
                }
            }
            MediaError::InvalidSpec { .. }
            | MediaError::InvalidKey { .. }
            | MediaError::InvalidFocus(_)
            | MediaError::UnknownPreset(_) => StatusCode::BAD_REQUEST,
            MediaError::NotAllowed { .. } => StatusCode::FORBIDDEN,
            MediaError::OriginalNotFound(_) => StatusCode::NOT_FOUND,
            MediaError::OriginalExists(_) => StatusCode::CONFLICT,
            MediaError::TooManyPixels { .. }
            | MediaError::TooLarge { .. }
            | MediaError::OutputTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            MediaError::Undecodable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
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
            // retried events collapse on their `event_id`. Its text names
            // buckets and endpoints: for the log, not the client.
            E::Store(_) | E::Core(_) => {
                return ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, e.code(), &e)
            }
            _ => return ApiError::internal(StatusCode::INTERNAL_SERVER_ERROR, e.code(), &e),
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "code": self.code, "message": self.message });
        if let Some(id) = &self.request_id {
            body["request_id"] = id.clone().into();
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        let h = response.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(id) = self
            .request_id
            .and_then(|id| HeaderValue::from_str(&id).ok())
        {
            h.insert("x-request-id", id);
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
