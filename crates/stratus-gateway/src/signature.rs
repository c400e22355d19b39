//! Signed image URLs: HMAC-SHA256 over the path and an expiry, with several
//! keys at once so a key can be rotated without breaking live URLs.
//!
//! A URL `/img/<name>/<key>?exp=<unix seconds>&sig=<hex>` is signed with
//! `HMAC(secret, "<path>\n<exp>")`. Unsigned requests may only use presets
//! (and the allow-list); a signed one may ask for any canonical spec.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

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

/// Which keys are valid, and whether every request must be signed.
#[derive(Debug, Clone, Default)]
pub struct SigningPolicy {
    pub keys: Vec<SigningKey>,
    pub required: bool,
}

/// What checking a request's signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No `sig` parameter.
    Unsigned,
    /// Signed by the key with this id, not expired.
    Valid(String),
    Expired,
    Invalid,
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
    /// Keys from `id:secret,id:secret` (a flag or an environment variable);
    /// entries without a `:` are ignored.
    pub fn parse_keys(list: &str) -> Vec<SigningKey> {
        list.split(',')
            .filter_map(|pair| pair.split_once(':'))
            .map(|(id, secret)| SigningKey {
                id: id.trim().to_string(),
                secret: secret.as_bytes().to_vec(),
            })
            .collect()
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
        let (Some(expires), Ok(sig_bytes)) = (
            expires.and_then(|e| e.parse::<u64>().ok()),
            hex::decode(sig),
        ) else {
            return Verdict::Invalid;
        };
        for key in &self.keys {
            let Ok(mut mac) = HmacSha256::new_from_slice(&key.secret) else {
                continue;
            };
            mac.update(message(path, expires).as_bytes());
            if mac.verify_slice(&sig_bytes).is_ok() {
                return if expires < now {
                    Verdict::Expired
                } else {
                    Verdict::Valid(key.id.clone())
                };
            }
        }
        Verdict::Invalid
    }
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
        let (old, new) = (key("2025", "old secret"), key("2026", "new secret"));
        let policy = SigningPolicy {
            keys: vec![new.clone(), old.clone()],
            required: true,
        };
        let path = "/img/thumb/a.jpg";
        for k in [&old, &new] {
            let sig = sign(k, path, 2000);
            assert_eq!(
                policy.verify(path, Some("2000"), Some(&sig), 1000),
                Verdict::Valid(k.id.clone())
            );
        }
        let stranger = sign(&key("x", "guess"), path, 2000);
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
        assert!(!format!("{new:?}").contains("new secret"));
    }
}
