//! The resize-on-miss function:
//! - `GET /img/<preset-or-spec>/<original key>`: by name, `auto` negotiated
//!   from `Accept`, signed URLs for any canonical spec;
//! - `GET /variants/<original key>/<preset>.<ext>`: by the variant's own
//!   key, as a CDN forwards a miss (its hits never reach the function);
//!   unsigned names only, the extension is the format.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use stratus_media::service::VARIANT_CACHE_CONTROL;
use stratus_media::{Access, Format, MediaError, Outcome, OutputFormat, Variant};

use crate::error::ApiError;
use crate::signature::Verdict;
use crate::ImageFunction;

pub fn routes(function: Arc<ImageFunction>) -> Router {
    Router::new()
        .route("/img/{name}/{*key}", get(get_image))
        .route("/variants/{*path}", get(get_by_key))
        .with_state(function)
}

#[derive(Debug, Deserialize)]
struct Signature {
    exp: Option<String>,
    sig: Option<String>,
}

async fn get_image(
    State(function): State<Arc<ImageFunction>>,
    Path((name, key)): Path<(String, String)>,
    Query(signature): Query<Signature>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let signing = function.signing.current().await;
    let verdict = signing.verify(
        uri.path(),
        signature.exp.as_deref(),
        signature.sig.as_deref(),
        now,
    );
    let spec = match verdict {
        Verdict::Invalid => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "bad_signature",
                "the signature does not match this URL",
            ))
        }
        Verdict::Expired => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "signature_expired",
                "this signed URL has expired",
            ))
        }
        Verdict::TooLong => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "signature_lifetime_too_long",
                format!(
                "this signed URL expires more than {} s from now, longer than the function allows",
                signing.max_lifetime.as_secs()
            ),
            ))
        }
        Verdict::Unsigned if signing.required => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "signature_required",
                "this gateway only serves signed URLs",
            ))
        }
        Verdict::Unsigned => function
            .catalog
            .current()
            .await
            .resolve_for(&name, Access::Unsigned)?,
        Verdict::Valid { .. } => function
            .catalog
            .current()
            .await
            .resolve_for(&name, Access::Signed)?,
    };
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    // A signed answer may be kept only until its URL expires.
    let signed_for = match &verdict {
        Verdict::Valid { expires, .. } => Some(expires.saturating_sub(now)),
        _ => None,
    };
    let variant = function
        .service
        .get_with_spec(&key, &name, spec, accept)
        .await?;
    // The body of `auto` depends on Accept: caches must key on it.
    answer(
        &function,
        &headers,
        variant,
        signed_for,
        spec.format == Format::Auto,
    )
    .await
}

/// `GET /variants/<original key>/<name>.<ext>`: the variant stored under
/// exactly this key, made on a miss.
async fn get_by_key(
    State(function): State<Arc<ImageFunction>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if function.signing.required {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "signature_required",
            "this gateway only serves signed URLs",
        ));
    }
    let not_a_variant = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_a_variant",
            "a variant path is /variants/<original key>/<preset>.<jpeg|png|webp|avif>",
        )
    };
    let (original, file) = path.rsplit_once('/').ok_or_else(not_a_variant)?;
    let (name, ext) = file.rsplit_once('.').ok_or_else(not_a_variant)?;
    let spec = function
        .catalog
        .current()
        .await
        .resolve_for(name, Access::Unsigned)?;
    let format = OutputFormat::from_ext_for(ext, spec.format).ok_or_else(|| {
        // The usual slip: a preset's name with another format's extension
        // (`card.webp` for a JPEG preset). Say which key it is stored under.
        // Only the resolved preset's name is repeated, never the request.
        let made_as = match spec.format {
            Format::Auto => format!("`{name}.avif`, `{name}.webp` or `{name}.jpeg` (`{name}.auto` through the CDN)"),
            concrete => format!("`{name}.{}`", OutputFormat::negotiate(concrete, None).ext()),
        };
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_a_variant",
            format!("preset `{name}` is stored as {made_as}: a variant path is /variants/<original key>/<preset>.<its format's extension>"),
        )
    })?;
    let variant = function
        .service
        .get_in_format(original, name, spec, format)
        .await?;
    // Website wiring: back to the bucket, which has it now. A variant that
    // was not stored (its original changed meanwhile) is served here, or
    // the bucket would send the browser straight back.
    if let (Some(website), Some(_)) = (&function.redirect.website, &variant.etag) {
        return Ok(back_to_website(website, &variant.key));
    }
    answer(&function, &headers, variant, None, false).await
}

/// `302` to the stored variant on the bucket's website endpoint. Not cached:
/// the browser asked the bucket first and will again next time.
fn back_to_website(website: &str, key: &str) -> Response {
    let url = format!("{}/{}", website.trim_end_matches('/'), key);
    let mut response = StatusCode::FOUND.into_response();
    let h = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&url) {
        h.insert(header::LOCATION, location);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-stratus-variant", HeaderValue::from_static("redirect"));
    response
}

/// The answer for a variant: the bytes (or 304, or a redirect to the stored
/// object when it is too large for the function's response), with its
/// ETag and how long it may be cached.
async fn answer(
    function: &ImageFunction,
    headers: &HeaderMap,
    variant: Variant,
    signed_for: Option<u64>,
    varies_by_accept: bool,
) -> Result<Response, ApiError> {
    let etag = variant.etag.as_deref().map(|e| format!("\"{e}\""));
    let not_modified = etag.is_some() && if_none_match(headers, etag.as_deref());
    if !not_modified && variant.bytes.len() as u64 > function.redirect.above_bytes {
        if let Some(response) = redirect_to_stored(function, &variant, signed_for).await? {
            return Ok(response);
        }
    }
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut ok = (StatusCode::OK, variant.bytes.clone()).into_response();
        ok.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(variant.format.content_type()),
        );
        ok
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, cache_control(signed_for));
    if let Some(value) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        h.insert(header::ETAG, value);
    }
    if varies_by_accept {
        h.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    let (state, timing) = match variant.outcome {
        Outcome::Hit => ("hit", None),
        Outcome::Made { millis } => ("made", Some(millis)),
    };
    h.insert("x-stratus-variant", HeaderValue::from_static(state));
    if let Some(ms) = timing.and_then(|ms| HeaderValue::from_str(&format!("resize;dur={ms}")).ok())
    {
        h.insert("server-timing", ms);
    }
    Ok(response)
}

/// The variant's own caching for a public URL (see
/// [`VARIANT_CACHE_CONTROL`]); for a signed one, `max-age` is what is left
/// of its life, so no cache serves it after it has expired.
fn cache_control(signed_for: Option<u64>) -> HeaderValue {
    match signed_for {
        None => HeaderValue::from_static(VARIANT_CACHE_CONTROL),
        Some(left) => {
            HeaderValue::from_str(&format!("public, max-age={}", left.min(ONE_YEAR_SECS)))
                .unwrap_or_else(|_| HeaderValue::from_static("no-store"))
        }
    }
}

const ONE_YEAR_SECS: u64 = 31_536_000;

/// `307` to a presigned GET of the stored variant, if the store makes such
/// URLs. The redirect is cached for half the URL's life, never longer (and
/// never past a signed request's own expiry).
async fn redirect_to_stored(
    function: &ImageFunction,
    variant: &Variant,
    signed_for: Option<u64>,
) -> Result<Option<Response>, ApiError> {
    let lifetime = function.redirect.url_lifetime;
    let Some(url) = function
        .service
        .store()
        .presigned_get(&variant.key, lifetime)
        .await
        .map_err(MediaError::from)?
    else {
        return Ok(None);
    };
    let Ok(location) = HeaderValue::from_str(&url) else {
        return Ok(None);
    };
    let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
    let h = response.headers_mut();
    h.insert(header::LOCATION, location);
    let cached = (lifetime.as_secs() / 2).min(signed_for.unwrap_or(u64::MAX));
    let max_age = format!("public, max-age={cached}");
    if let Ok(value) = HeaderValue::from_str(&max_age) {
        h.insert(header::CACHE_CONTROL, value);
    }
    h.insert("x-stratus-variant", HeaderValue::from_static("redirect"));
    Ok(Some(response))
}

/// Whether `If-None-Match` names the current ETag (or `*`).
fn if_none_match(headers: &HeaderMap, etag: Option<&str>) -> bool {
    let (Some(value), Some(etag)) = (
        headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok()),
        etag,
    ) else {
        return false;
    };
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate == etag || candidate.strip_prefix("W/") == Some(etag)
    })
}
