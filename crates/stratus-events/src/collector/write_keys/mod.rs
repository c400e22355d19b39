//! Write keys of the collector: who may send events. One key per source (a
//! web site, a backend), each with a kind, allowed origins (browser keys)
//! and a rate limit. See `docs/events.md` ("Write keys").
//!
//! - [`profile_keys`]: create, list and revoke keys in the profile's
//!   database (only the SHA-256 of a token is stored; the token is shown once);
//! - [`key_set`]: the keys as the collector checks them, and the JSON object
//!   published to the events bucket for the deployed function ([`publish`]);
//! - [`ring`]: where a running collector gets its keys (the profile's
//!   database for `stratus serve`, the published object on Lambda);
//! - [`rate`]: the per-key token bucket.

pub mod key_set;
pub mod profile_keys;
pub mod publish;
pub mod rate;
pub mod ring;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use key_set::{KeyRefusal, KeySet, PublishedKey};
pub use profile_keys::{
    create_key, list_keys, profile_key_set, revoke_key, CreatedKey, NewKey, WriteKey,
};
pub use publish::{publish_keys, KEYS_OBJECT};
pub use rate::RateLimiter;
pub use ring::{KeyRing, KeysUnavailable};

/// Where a key may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// Embedded in web pages (public): only from its allowed origins.
    Browser,
    /// Kept secret by a backend: any origin.
    Server,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Browser => "browser",
            KeyKind::Server => "server",
        }
    }

    pub fn parse(text: &str) -> Option<KeyKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "browser" => Some(KeyKind::Browser),
            "server" => Some(KeyKind::Server),
            _ => None,
        }
    }

    /// Tokens say their kind, so a leaked one is recognisable
    /// (`stratus_pk_…` publishable, `stratus_sk_…` secret).
    fn token_prefix(self) -> &'static str {
        match self {
            KeyKind::Browser => "stratus_pk_",
            KeyKind::Server => "stratus_sk_",
        }
    }
}

/// Why a key could not be created, revoked or published.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}")]
    Invalid(String),

    #[error("no write key `{0}`; `stratus events keys list` shows them")]
    NotFound(String),

    #[error("write key `{0}` is already revoked")]
    AlreadyRevoked(String),

    #[error(transparent)]
    Core(#[from] stratus_core::Error),

    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),

    #[error("the keys could not be published to the events bucket: {0}")]
    Publish(#[from] stratus_core::store::StoreError),
}

impl stratus_core::CodedError for KeyError {
    fn code(&self) -> &str {
        KeyError::code(self)
    }
}

impl KeyError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Invalid(_) => "invalid_write_key",
            KeyError::NotFound(_) => "write_key_not_found",
            KeyError::AlreadyRevoked(_) => "write_key_revoked",
            KeyError::Core(e) => e.code(),
            KeyError::Db(_) => "database",
            KeyError::Publish(_) => "publish_failed",
        }
    }
}

/// The SHA-256 of a token, lower-case hex: all that is ever stored or published.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: the kind's prefix and 192 random bits (the thread
/// RNG is a CSPRNG seeded from the OS).
fn new_token(kind: KeyKind) -> String {
    let bytes: [u8; 24] = rand::random();
    format!("{}{}", kind.token_prefix(), hex::encode(bytes))
}

/// A new key id: short enough to type in `stratus events keys revoke`.
fn new_id() -> String {
    let bytes: [u8; 5] = rand::random();
    format!("wk_{}", hex::encode(bytes))
}
