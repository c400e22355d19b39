//! The in-app inbox: `GET /v1/inbox` answers a customer's app with the
//! messages in-app campaigns left for that customer
//! (`stratus_core::inbox`, in the events bucket), newest first.
//!
//! Two proofs, both required (docs/security.md, "The in-app inbox"):
//! - the app's **write key** (`X-Stratus-Key` or Basic auth), checked like
//!   an event request's when the host has keys: it says which app asks,
//!   not who is signed in, since every copy of the app carries it;
//! - the customer's **inbox token** (`X-Stratus-Inbox-Token`) for the
//!   customer id in `X-Stratus-Customer`: `v1.<expires>.<hmac>`, an
//!   HMAC-SHA256 under the inbox secret over the customer id and expiry,
//!   minted by the customer's own backend once they signed in (or
//!   `stratus push inbox-token`). Without the secret nobody can read
//!   another customer's inbox by guessing an id.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use stratus_core::clock::now_millis;
use stratus_core::inbox::{self, InboxMessage};
use stratus_core::store::{ListRequest, ObjectStore};
use stratus_events::collector::write_keys::KeyRing;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::collector::{key_refused, AllowedOrigins};
use crate::error::ApiError;
use crate::write_key::{key_from_headers, KEY_HEADER};

/// The header naming the customer.
pub const CUSTOMER_HEADER: &str = "x-stratus-customer";
/// The header carrying the customer's inbox token.
pub const TOKEN_HEADER: &str = "x-stratus-inbox-token";
/// The shortest inbox secret taken, in bytes (as for URL signing keys).
pub const MIN_SECRET_BYTES: usize = 32;
/// The longest a token may live: a backend mints a fresh one at sign-in.
pub const MAX_TOKEN_LIFETIME_SECS: u64 = 30 * 24 * 3600;
/// The most messages one answer holds.
pub const MAX_MESSAGES: usize = 100;
/// The most objects of one inbox looked at (ten listing pages).
const MAX_SCANNED: usize = 10_000;

type HmacSha256 = Hmac<Sha256>;

/// The secret inbox tokens are signed with.
#[derive(Clone)]
pub struct InboxSecret(Arc<Vec<u8>>);

impl std::fmt::Debug for InboxSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InboxSecret(…)")
    }
}

impl InboxSecret {
    /// At least [`MIN_SECRET_BYTES`] bytes of text (e.g. 64 hex digits).
    pub fn new(secret: &str) -> Result<Self, String> {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the inbox secret must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)"
            ));
        }
        Ok(InboxSecret(Arc::new(secret.as_bytes().to_vec())))
    }

    fn mac(&self, customer: &str, expires: u64) -> HmacSha256 {
        // Infallible: HMAC takes a key of any length.
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(b"stratus-inbox-v1\n");
        mac.update(customer.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// A token for `customer` valid until `expires` (Unix seconds).
    pub fn token(&self, customer: &str, expires: u64) -> String {
        let tag = self.mac(customer, expires).finalize().into_bytes();
        format!("v1.{expires}.{}", hex::encode(tag))
    }

    /// Whether `token` proves `customer` at `now` (Unix seconds).
    pub fn verify(&self, customer: &str, token: &str, now: u64) -> Result<(), TokenRefusal> {
        let mut parts = token.trim().splitn(3, '.');
        let (Some("v1"), Some(expires), Some(tag)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenRefusal::Malformed);
        };
        let expires: u64 = expires.parse().map_err(|_| TokenRefusal::Malformed)?;
        let tag = hex::decode(tag).map_err(|_| TokenRefusal::Malformed)?;
        // Checked before the expiry, so an expired answer never says
        // anything about a forged token.
        self.mac(customer, expires)
            .verify_slice(&tag)
            .map_err(|_| TokenRefusal::Invalid)?;
        if expires <= now {
            return Err(TokenRefusal::Expired);
        }
        if expires > now.saturating_add(MAX_TOKEN_LIFETIME_SECS) {
            return Err(TokenRefusal::TooLong);
        }
        Ok(())
    }
}

/// Why a token was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Malformed,
    Invalid,
    Expired,
    TooLong,
}

impl TokenRefusal {
    fn error(self) -> ApiError {
        let (code, message) = match self {
            TokenRefusal::Malformed => (
                "inbox_token_malformed",
                "the inbox token is not of the form v1.<expires>.<signature>",
            ),
            TokenRefusal::Invalid => (
                "inbox_token_invalid",
                "the inbox token was not issued for this customer",
            ),
            TokenRefusal::Expired => (
                "inbox_token_expired",
                "the inbox token has expired; ask your backend for a new one",
            ),
            TokenRefusal::TooLong => (
                "inbox_token_too_long",
                "the inbox token lives longer than 30 days; mint one that expires sooner",
            ),
        };
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }
}

/// What the inbox endpoint needs.
pub struct InboxFunction {
    pub store: Arc<dyn ObjectStore>,
    pub keys: KeyRing,
    pub secret: InboxSecret,
    pub origins: AllowedOrigins,
}

#[derive(Debug, Deserialize)]
struct InboxQuery {
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
struct InboxAnswer {
    customer_id: String,
    messages: Vec<InboxMessage>,
}

/// `GET /v1/inbox`.
pub fn routes(function: Arc<InboxFunction>) -> Router {
    let cors = CorsLayer::new()
        .allow_methods([Method::GET, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::HeaderName::from_static(KEY_HEADER),
            header::HeaderName::from_static(CUSTOMER_HEADER),
            header::HeaderName::from_static(TOKEN_HEADER),
        ]);
    let cors = match &function.origins {
        AllowedOrigins::Any => cors.allow_origin(tower_http::cors::Any),
        AllowedOrigins::List(list) => cors.allow_origin(AllowOrigin::list(
            list.iter().filter_map(|o| HeaderValue::from_str(o).ok()),
        )),
    };
    Router::new()
        .route("/v1/inbox", get(read_inbox))
        .with_state(function)
        .layer(cors)
}

async fn read_inbox(
    State(f): State<Arc<InboxFunction>>,
    headers: HeaderMap,
    Query(query): Query<InboxQuery>,
) -> Response {
    match answer(&f, &headers, query).await {
        Ok(body) => {
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn answer(
    f: &InboxFunction,
    headers: &HeaderMap,
    query: InboxQuery,
) -> Result<InboxAnswer, ApiError> {
    check_write_key(f, headers).await?;
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let customer = text(CUSTOMER_HEADER).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "customer_missing",
            "name the signed-in customer in X-Stratus-Customer",
        )
    })?;
    let token = text(TOKEN_HEADER).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "inbox_token_missing",
            "send the customer's inbox token in X-Stratus-Inbox-Token",
        )
    })?;
    let now = u64::try_from(now_millis() / 1000).unwrap_or(0);
    f.secret
        .verify(customer, token, now)
        .map_err(TokenRefusal::error)?;
    let limit = query.limit.unwrap_or(50).clamp(1, MAX_MESSAGES);
    let messages = newest(f.store.as_ref(), customer, limit).await?;
    Ok(InboxAnswer {
        customer_id: customer.to_string(),
        messages,
    })
}

/// The write key, when the host has keys: the same check as events.
async fn check_write_key(f: &InboxFunction, headers: &HeaderMap) -> Result<(), ApiError> {
    let keys = f.keys.current().await.map_err(|e| {
        ApiError::internal(
            StatusCode::SERVICE_UNAVAILABLE,
            "write_keys_unavailable",
            &e,
        )
    })?;
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let key = key_from_headers(headers);
    keys.check(f.keys.host_requires_keys(), key.as_deref(), origin)
        .map(|_| ())
        .map_err(|refusal| key_refused(&refusal))
}

/// The newest `limit` messages of `customer` (keys sort oldest first).
pub async fn newest(
    store: &dyn ObjectStore,
    customer: &str,
    limit: usize,
) -> Result<Vec<InboxMessage>, ApiError> {
    let failed = |e: &dyn std::fmt::Display| {
        ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, "inbox_unavailable", e)
    };
    let mut keys: Vec<String> = Vec::new();
    let mut request = ListRequest::prefix(inbox::customer_prefix(customer));
    loop {
        let page = store.list(request.clone()).await.map_err(|e| failed(&e))?;
        keys.extend(page.objects.into_iter().map(|o| o.key));
        match page.next_continuation {
            Some(next) if keys.len() < MAX_SCANNED => request.continuation = Some(next),
            _ => break,
        }
    }
    keys.sort_unstable();
    let mut messages = Vec::new();
    for key in keys.iter().rev().take(limit) {
        let bytes = store.get_bytes(key).await.map_err(|e| failed(&e))?;
        match serde_json::from_slice::<InboxMessage>(&bytes) {
            Ok(message) => messages.push(message),
            // One unreadable object must not hide the rest.
            Err(e) => tracing::warn!("inbox object {key} is not a message: {e}"),
        }
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_proves_one_customer_until_it_expires() {
        let secret = InboxSecret::new(&"s".repeat(32)).unwrap();
        let token = secret.token("c-1", 2_000);
        assert_eq!(secret.verify("c-1", &token, 1_000), Ok(()));
        assert_eq!(
            secret.verify("c-2", &token, 1_000),
            Err(TokenRefusal::Invalid)
        );
        assert_eq!(
            secret.verify("c-1", &token, 2_000),
            Err(TokenRefusal::Expired)
        );
        let other = InboxSecret::new(&"t".repeat(32)).unwrap();
        assert_eq!(
            other.verify("c-1", &token, 1_000),
            Err(TokenRefusal::Invalid)
        );
        let forged = token.replace("v1.2000.", "v1.3000.");
        assert_eq!(
            secret.verify("c-1", &forged, 1_000),
            Err(TokenRefusal::Invalid)
        );
        assert_eq!(
            secret.verify("c-1", "nonsense", 1_000),
            Err(TokenRefusal::Malformed)
        );
        let long = secret.token("c-1", 1_000 + MAX_TOKEN_LIFETIME_SECS + 1);
        assert_eq!(
            secret.verify("c-1", &long, 1_000),
            Err(TokenRefusal::TooLong)
        );
        assert!(InboxSecret::new("short").is_err());
    }
}
