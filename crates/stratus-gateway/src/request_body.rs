//! A collector request's body: read with a size bound, and gunzipped when the
//! tracking SDK compressed it (`Content-Encoding: gzip`, or PostHog's
//! `?compression=gzip-js`). The bound holds for the compressed AND the
//! decompressed size, so a gzip bomb is refused like any oversized body.

use std::io::Read;

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use flate2::read::MultiGzDecoder;

use crate::error::ApiError;
use crate::guard::is_body_timeout;

fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// How the body was compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
}

impl Encoding {
    /// From the header, or the query string that browser SDKs use because
    /// `sendBeacon` cannot set headers.
    pub fn of(headers: &HeaderMap, query: Option<&str>) -> Result<Encoding, ApiError> {
        let header = headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase());
        match header.as_deref() {
            Some("gzip" | "x-gzip") => return Ok(Encoding::Gzip),
            None | Some("" | "identity") => {}
            Some(other) => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_encoding",
                    format!("Content-Encoding `{other}` is not supported; send gzip or plain JSON"),
                ))
            }
        }
        let gzip_query = query.is_some_and(|q| {
            q.split('&')
                .any(|pair| matches!(pair, "compression=gzip" | "compression=gzip-js"))
        });
        Ok(if gzip_query {
            Encoding::Gzip
        } else {
            Encoding::Identity
        })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_too_large",
        format!("the request body is above the limit of {limit} bytes; send smaller batches"),
    )
}

/// Reads at most `limit` bytes of `body` and decodes it. Larger → 413.
pub async fn read_json_body(
    body: Body,
    encoding: Encoding,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        if is_body_timeout(&e) {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request body did not arrive in time",
            )
        } else if is_length_limit(&e) {
            too_large(limit)
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                "the request body could not be read",
            )
        }
    })?;
    match encoding {
        Encoding::Identity => Ok(bytes.to_vec()),
        Encoding::Gzip => {
            let mut out = Vec::with_capacity(bytes.len() * 4);
            // One byte more than allowed tells "too large" from "exactly the limit".
            MultiGzDecoder::new(&bytes[..])
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_gzip",
                        format!("the body is marked gzip but does not decompress: {e}"),
                    )
                })?;
            if out.len() > limit {
                return Err(too_large(limit));
            }
            Ok(out)
        }
    }
}
