//! Signed image URLs: HMAC-SHA256 over the path and an expiry, with several
//! keys at once so a key can be rotated without breaking live URLs.
//!
//! A URL `/img/<name>/<key>?exp=<unix seconds>&sig=<hex>` is signed with
//! `HMAC(secret, "<path>\n<exp>")`. Unsigned requests may only use presets
//! (and the allow-list); a signed one may ask for any canonical spec.
//!
//! `exp` is canonical decimal digits only (one spelling per expiry, so a
//! signature is never valid under another `exp` text), and no further ahead
//! than the policy's longest lifetime (7 days by default): a leaked URL dies.
//! Secrets are at least 32 bytes; an empty or short one is refused at start.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The shortest secret accepted: 256 bits, the HMAC-SHA256 key size.
pub const MIN_SECRET_BYTES: usize = 32;

/// How far ahead a signed URL may expire unless configured otherwise.
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// Why a list of signing keys is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningKeyError {
    #[error("signing key entry {position} is not `id:secret`")]
    Malformed { position: usize },
    #[error("signing key entry {position} has an empty id")]
    BlankId { position: usize },
    #[error("signing key `{id}` has an empty secret")]
    EmptySecret { id: String },
    #[error("signing key `{id}` has a {bytes}-byte secret; use at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)")]
    ShortSecret { id: String, bytes: usize },
    #[error("signing key id `{id}` is given twice")]
    DuplicateId { id: String },
    #[error("no signing keys were given")]
    NoKeys,
    #[error("the signing-key secret is not `{{\"id\",\"secret\"}}`, `{{\"keys\":[…]}}` or `id:secret,…`: {0}")]
    UnreadableSecret(String),
}

/// A key as a secret stores it.
#[derive(serde::Deserialize)]
struct StoredKey {
    id: String,
    secret: String,
}

/// The secret's JSON: one key (what a deploy generates) or a list (after a
/// rotation: the newest first, older ones kept while URLs they signed live).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum StoredKeys {
    Many { keys: Vec<StoredKey> },
    One(StoredKey),
}

/// One signing secret, named so logs can say which key signed.
#[derive(Clone)]
pub struct SigningKey {
    pub id: String,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    // The secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Which keys are valid, whether every request must be signed, and how far
/// ahead a signed URL may expire.
#[derive(Debug, Clone)]
pub struct SigningPolicy {
    pub keys: Vec<SigningKey>,
    pub required: bool,
    pub max_lifetime: Duration,
    /// Where newer keys come from while the function runs (the deployed
    /// function's secret, so a rotation reaches warm instances); `None`:
    /// the keys it started with.
    pub refresh: Option<Arc<KeyRefresh>>,
}

impl Default for SigningPolicy {
    fn default() -> Self {
        SigningPolicy {
            keys: Vec::new(),
            required: false,
            max_lifetime: DEFAULT_MAX_LIFETIME,
            refresh: None,
        }
    }
}

/// Where the current signing keys can be read (a Secrets Manager secret).
#[async_trait::async_trait]
pub trait KeySource: Send + Sync {
    async fn keys(&self) -> Result<Vec<SigningKey>, String>;
}

/// Keys read again from a [`KeySource`] at most once per interval; a failed
/// read keeps the keys already held (logged), so a hiccup of the secret
/// store never locks signed URLs out.
pub struct KeyRefresh {
    source: Arc<dyn KeySource>,
    every: Duration,
    held: tokio::sync::Mutex<(Instant, Vec<SigningKey>)>,
}

impl std::fmt::Debug for KeyRefresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRefresh")
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl KeyRefresh {
    /// `keys` were read just now; they are read again after `every`.
    pub fn new(source: Arc<dyn KeySource>, keys: Vec<SigningKey>, every: Duration) -> Self {
        KeyRefresh {
            source,
            every,
            held: tokio::sync::Mutex::new((Instant::now(), keys)),
        }
    }

    async fn keys(&self) -> Vec<SigningKey> {
        let mut held = self.held.lock().await;
        if held.0.elapsed() >= self.every {
            match self.source.keys().await {
                Ok(keys) => held.1 = keys,
                Err(e) => tracing::warn!("signing keys unreadable, keeping the ones held: {e}"),
            }
            held.0 = Instant::now();
        }
        held.1.clone()
    }
}

/// What checking a request's signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No `sig` parameter.
    Unsigned,
    /// Signed by the key `key_id`, valid until `expires` (unix seconds).
    Valid {
        key_id: String,
        expires: u64,
    },
    Expired,
    /// Correctly signed, but expiring further ahead than the policy allows.
    TooLong,
    Invalid,
}

/// `exp` as canonical decimal: digits only, no sign, no leading zero.
fn parse_expiry(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

fn message(path: &str, expires: u64) -> String {
    format!("{path}\n{expires}")
}

/// The `sig` value for a path and expiry (unix seconds).
pub fn sign(key: &SigningKey, path: &str, expires: u64) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(&key.secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(message(path, expires).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl SigningPolicy {
    /// Keys from `id:secret,id:secret` (an environment variable or a file;
    /// surrounding whitespace and blank entries are ignored). Refuses an
    /// entry without `:`, a blank id, a repeated id, an empty list, and any
    /// secret shorter than [`MIN_SECRET_BYTES`].
    pub fn parse_keys(list: &str) -> Result<Vec<SigningKey>, SigningKeyError> {
        let mut keys: Vec<SigningKey> = Vec::new();
        let entries = list
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty());
        for (i, entry) in entries.enumerate() {
            let position = i + 1;
            let (id, secret) = entry
                .split_once(':')
                .ok_or(SigningKeyError::Malformed { position })?;
            push_checked(&mut keys, position, id, secret)?;
        }
        if keys.is_empty() {
            return Err(SigningKeyError::NoKeys);
        }
        Ok(keys)
    }

    /// Keys from a secret's text (Secrets Manager on Lambda): JSON
    /// `{"id":"k1","secret":"…"}`, `{"keys":[{"id":…,"secret":…},…]}`, or
    /// the plain `id:secret,…` list; checked like [`SigningPolicy::parse_keys`].
    pub fn keys_from_secret(text: &str) -> Result<Vec<SigningKey>, SigningKeyError> {
        let text = text.trim();
        if !text.starts_with('{') {
            return Self::parse_keys(text);
        }
        let stored: StoredKeys = serde_json::from_str(text)
            .map_err(|e| SigningKeyError::UnreadableSecret(e.to_string()))?;
        let keys = match stored {
            StoredKeys::Many { keys } => keys,
            StoredKeys::One(key) => vec![key],
        };
        let mut checked = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            push_checked(&mut checked, i + 1, &key.id, &key.secret)?;
        }
        if checked.is_empty() {
            return Err(SigningKeyError::NoKeys);
        }
        Ok(checked)
    }

    /// The policy from its configuration texts (environment variables on
    /// Lambda): a key list that [`SigningPolicy::parse_keys`] accepts or none,
    /// whether signatures are required (then keys are too), and the longest
    /// lifetime in seconds.
    pub fn configured(
        keys: Option<&str>,
        required: bool,
        max_lifetime_secs: Option<u64>,
    ) -> Result<SigningPolicy, SigningKeyError> {
        let keys = match keys {
            Some(list) => Self::parse_keys(list)?,
            None if required => return Err(SigningKeyError::NoKeys),
            None => Vec::new(),
        };
        Ok(SigningPolicy {
            keys,
            required,
            max_lifetime: max_lifetime_secs
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_MAX_LIFETIME),
            refresh: None,
        })
    }

    /// The policy with its keys as they are now (read again from the
    /// refresh source when due).
    pub async fn current(&self) -> std::borrow::Cow<'_, SigningPolicy> {
        match &self.refresh {
            None => std::borrow::Cow::Borrowed(self),
            Some(refresh) => std::borrow::Cow::Owned(SigningPolicy {
                keys: refresh.keys().await,
                ..self.clone()
            }),
        }
    }

    /// Checks `sig` against every key in constant time per key.
    pub fn verify(
        &self,
        path: &str,
        expires: Option<&str>,
        sig: Option<&str>,
        now: u64,
    ) -> Verdict {
        let Some(sig) = sig else {
            return Verdict::Unsigned;
        };
        let (Some(expires), Ok(sig_bytes)) = (expires.and_then(parse_expiry), hex::decode(sig))
        else {
            return Verdict::Invalid;
        };
        for key in &self.keys {
            // Never verify against a secret that anyone could guess.
            if key.secret.len() < MIN_SECRET_BYTES {
                continue;
            }
            let Ok(mut mac) = HmacSha256::new_from_slice(&key.secret) else {
                continue;
            };
            mac.update(message(path, expires).as_bytes());
            if mac.verify_slice(&sig_bytes).is_ok() {
                return if expires < now {
                    Verdict::Expired
                } else if expires - now > self.max_lifetime.as_secs() {
                    Verdict::TooLong
                } else {
                    Verdict::Valid {
                        key_id: key.id.clone(),
                        expires,
                    }
                };
            }
        }
        Verdict::Invalid
    }
}

/// Adds one key after the checks every source of keys shares.
fn push_checked(
    keys: &mut Vec<SigningKey>,
    position: usize,
    id: &str,
    secret: &str,
) -> Result<(), SigningKeyError> {
    let (id, secret) = (id.trim(), secret.trim());
    if id.is_empty() {
        return Err(SigningKeyError::BlankId { position });
    }
    if secret.is_empty() {
        return Err(SigningKeyError::EmptySecret { id: id.into() });
    }
    if secret.len() < MIN_SECRET_BYTES {
        return Err(SigningKeyError::ShortSecret {
            id: id.into(),
            bytes: secret.len(),
        });
    }
    if keys.iter().any(|k| k.id == id) {
        return Err(SigningKeyError::DuplicateId { id: id.into() });
    }
    keys.push(SigningKey {
        id: id.to_string(),
        secret: secret.as_bytes().to_vec(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, secret: &str) -> SigningKey {
        SigningKey {
            id: id.into(),
            secret: secret.as_bytes().to_vec(),
        }
    }

    #[test]
    fn rotation_accepts_old_and_new_keys_and_rejects_others() {
        let (old, new) = (key("2025", OLD), key("2026", NEW));
        let policy = SigningPolicy {
            keys: vec![new.clone(), old.clone()],
            required: true,
            ..SigningPolicy::default()
        };
        let path = "/img/thumb/a.jpg";
        for k in [&old, &new] {
            let sig = sign(k, path, 2000);
            assert_eq!(
                policy.verify(path, Some("2000"), Some(&sig), 1000),
                Verdict::Valid {
                    key_id: k.id.clone(),
                    expires: 2000
                }
            );
        }
        let stranger = sign(
            &key("x", "a guess that is long enough, 32+ bytes"),
            path,
            2000,
        );
        assert_eq!(
            policy.verify(path, Some("2000"), Some(&stranger), 1000),
            Verdict::Invalid
        );
        let sig = sign(&new, path, 2000);
        assert_eq!(
            policy.verify("/img/hero/a.jpg", Some("2000"), Some(&sig), 1000),
            Verdict::Invalid,
            "bound to the path"
        );
        assert_eq!(
            policy.verify(path, Some("2001"), Some(&sig), 1000),
            Verdict::Invalid,
            "bound to the expiry"
        );
        assert_eq!(
            policy.verify(path, Some("2000"), Some(&sig), 3000),
            Verdict::Expired
        );
        assert_eq!(policy.verify(path, None, None, 1000), Verdict::Unsigned);
        assert_eq!(
            policy.verify(path, Some("2000"), Some("zz"), 1000),
            Verdict::Invalid
        );
        assert!(!format!("{new:?}").contains(NEW));
    }

    const OLD: &str = "old secret, at least thirty-two bytes";
    const NEW: &str = "new secret, at least thirty-two bytes";

    #[test]
    fn empty_blank_short_and_malformed_keys_are_refused() {
        let long = "s".repeat(MIN_SECRET_BYTES);
        let cases = [
            (format!("k1:{long},k2:"), "empty secret"),
            (format!(":{long}"), "empty id"),
            (format!("  :{long}"), "empty id"),
            ("k1:s3cret".to_string(), "32 bytes"),
            (format!("k1{long}"), "not `id:secret`"),
            (format!("k1:{long},k1:{long}"), "twice"),
            (",, ,".to_string(), "no signing keys"),
            (String::new(), "no signing keys"),
        ];
        for (list, says) in cases {
            let err = SigningPolicy::parse_keys(&list).unwrap_err().to_string();
            assert!(err.contains(says), "{list:?}: {err}");
            assert!(!err.contains(&long), "the secret never shows: {err}");
        }
        let keys = SigningPolicy::parse_keys(&format!(" k1:{long} ,\nk2:{long}x\n")).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!((keys[0].id.as_str(), keys[0].secret.len()), ("k1", 32));
    }

    #[test]
    fn an_empty_secret_never_verifies() {
        let empty = key("k2", "");
        let policy = SigningPolicy {
            keys: vec![empty.clone()],
            ..SigningPolicy::default()
        };
        let sig = sign(&empty, "/img/thumb/a.jpg", 2000);
        assert_eq!(
            policy.verify("/img/thumb/a.jpg", Some("2000"), Some(&sig), 1000),
            Verdict::Invalid
        );
    }

    #[test]
    fn expiry_must_be_canonical_and_within_the_lifetime() {
        let k = key("k", NEW);
        let policy = SigningPolicy {
            keys: vec![k.clone()],
            max_lifetime: Duration::from_secs(3600),
            ..SigningPolicy::default()
        };
        let path = "/img/thumb/a.jpg";
        let now = 1_000_000;
        let ok = sign(&k, path, now + 3600);
        assert!(matches!(
            policy.verify(path, Some(&(now + 3600).to_string()), Some(&ok), now),
            Verdict::Valid { .. }
        ));
        // Other spellings of the same number, signed over the number.
        for text in ["+1003600", "01003600", " 1003600", "1003600 ", "1_003_600"] {
            let sig = sign(&k, path, now + 3600);
            assert_eq!(
                policy.verify(path, Some(text), Some(&sig), now),
                Verdict::Invalid,
                "{text:?}"
            );
        }
        let forever = sign(&k, path, u64::MAX);
        assert_eq!(
            policy.verify(path, Some(&u64::MAX.to_string()), Some(&forever), now),
            Verdict::TooLong
        );
        let late = sign(&k, path, now + 3601);
        assert_eq!(
            policy.verify(path, Some(&(now + 3601).to_string()), Some(&late), now),
            Verdict::TooLong
        );
    }

    #[test]
    fn keys_come_from_a_secret_as_the_deploy_and_a_rotation_write_it() {
        let one = format!(r#"{{"id":"k1","secret":"{NEW}"}}"#);
        let keys = SigningPolicy::keys_from_secret(&one).unwrap();
        assert_eq!((keys.len(), keys[0].id.as_str()), (1, "k1"));

        let rotated = format!(
            r#"{{"keys":[{{"id":"k2","secret":"{NEW},with,commas"}},{{"id":"k1","secret":"{OLD}"}}]}}"#
        );
        let keys = SigningPolicy::keys_from_secret(&rotated).unwrap();
        let ids: Vec<_> = keys.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, ["k2", "k1"]);
        assert_eq!(keys[0].secret, format!("{NEW},with,commas").into_bytes());

        let plain = format!("k1:{}", "x".repeat(40));
        assert_eq!(SigningPolicy::keys_from_secret(&plain).unwrap().len(), 1);

        for (bad, why) in [
            (r#"{"id":"k1","secret":"short"}"#.to_string(), "short"),
            (r#"{"keys":[]}"#.to_string(), "none"),
            (r#"{"nope":1}"#.to_string(), "unreadable"),
            (
                format!(
                    r#"{{"keys":[{{"id":"a","secret":"{OLD}"}},{{"id":"a","secret":"{NEW}"}}]}}"#
                ),
                "twice",
            ),
        ] {
            assert!(SigningPolicy::keys_from_secret(&bad).is_err(), "{why}");
        }
    }
}
