//! Where a collector request carries its write key, found before its events
//! are parsed: the `X-Stratus-Key` header (native API and the tracker),
//! HTTP Basic auth with the key as user (Segment's SDKs:
//! `Authorization: Basic base64(writeKey:)`), or a top-level `writeKey`
//! (Segment), `api_key` or `token` (PostHog) in the body.
//!
//! Header keys are checked before the body is read. A body key needs the
//! body read (bounded, and decompressed when gzipped); it is then found by
//! one pass of the JSON scanner that keeps only those three fields and
//! builds nothing for the events: no event is mapped, validated or stored
//! before the key passes.

use std::borrow::Cow;

use axum::http::{header, HeaderMap};
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

/// The native API's header.
pub const KEY_HEADER: &str = "x-stratus-key";

/// Body fields that carry a key; their values are redacted before events
/// are kept (a rejected single event is stored whole in `bad/`).
const BODY_KEY_FIELDS: [&str; 3] = ["writeKey", "api_key", "token"];

/// The key in the headers: `X-Stratus-Key`, else the user of HTTP Basic auth.
pub fn key_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(key) = headers
        .get(KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        return Some(key.to_string());
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, credentials) = auth.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    // `writeKey:` — the key is the user, the password is empty.
    let user = decoded.split_once(':').map_or(decoded.as_str(), |(u, _)| u);
    Some(user.trim().to_string()).filter(|k| !k.is_empty())
}

#[derive(Deserialize)]
struct BodyKey<'a> {
    #[serde(rename = "writeKey", borrow, default)]
    write_key: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    api_key: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    token: Option<Cow<'a, str>>,
}

/// The key at the top level of a JSON object body, without building the
/// events. An array body, a non-string value or a body that is not JSON
/// has none.
pub fn key_from_body(body: &[u8]) -> Option<String> {
    let found: BodyKey<'_> = serde_json::from_slice(body).ok()?;
    [found.write_key, found.api_key, found.token]
        .into_iter()
        .flatten()
        .map(|k| k.trim().to_string())
        .find(|k| !k.is_empty())
}

/// Replaces the key fields of a body with a marker, so no token is
/// written to the bucket (PostHog's batch detection still sees `api_key`).
pub fn redact_body_key(body: &mut Value) {
    if let Value::Object(fields) = body {
        for name in BODY_KEY_FIELDS {
            if let Some(value) = fields.get_mut(name) {
                *value = Value::String("[redacted]".into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn keys_are_found_in_each_place() {
        let mut h = HeaderMap::new();
        assert_eq!(key_from_headers(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic c2tfc2VnbWVudDo="), // "sk_segment:"
        );
        assert_eq!(key_from_headers(&h).as_deref(), Some("sk_segment"));
        h.insert(KEY_HEADER, HeaderValue::from_static(" sk_native "));
        assert_eq!(key_from_headers(&h).as_deref(), Some("sk_native"));
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(key_from_headers(&bearer), None);

        assert_eq!(
            key_from_body(br#"{"batch":[{"event":"a"}],"api_key":"phc_1"}"#).as_deref(),
            Some("phc_1")
        );
        assert_eq!(
            key_from_body(br#"{"writeKey":"w\u0031"}"#).as_deref(),
            Some("w1")
        );
        assert_eq!(key_from_body(br#"{"token":"t"}"#).as_deref(), Some("t"));
        assert_eq!(key_from_body(br#"[{"api_key":"x"}]"#), None);
        assert_eq!(key_from_body(br#"{"api_key":7}"#), None);
        assert_eq!(key_from_body(b"not json"), None);
    }

    #[test]
    fn redaction_keeps_the_field_but_not_the_token() {
        let mut body = serde_json::json!({"api_key": "phc_secret", "batch": []});
        redact_body_key(&mut body);
        assert_eq!(body["api_key"], "[redacted]");
        assert!(!body.to_string().contains("phc_secret"));
    }
}
