//! The keys as the collector checks them. The same document is the JSON
//! object published to the events bucket (hashes only, never tokens), so
//! `stratus serve` and the Lambda check one shape.

use serde::{Deserialize, Serialize};

use super::{token_hash, KeyKind};

/// Version of the published document; a reader refuses other versions
/// (and keeps its last good set).
pub const KEY_SET_VERSION: u32 = 1;

/// One key as the collector sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedKey {
    pub id: String,
    pub token_sha256: String,
    pub kind: KeyKind,
    pub label: String,
    /// Exact origins (`https://shop.example.com`), or `*` for any.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    pub rate_per_sec: f64,
    pub burst: u32,
    /// Unix ms; `None` while the key works.
    #[serde(default)]
    pub revoked_at: Option<i64>,
}

impl PublishedKey {
    fn allows_origin(&self, origin: Option<&str>) -> bool {
        let Some(origin) = origin.map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
        else {
            return false;
        };
        self.allowed_origins
            .iter()
            .any(|allowed| allowed == "*" || *allowed == origin)
    }
}

/// Every key of a profile, revoked ones included.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "KeySetDoc")]
pub struct KeySet {
    pub version: u32,
    pub keys: Vec<PublishedKey>,
}

#[derive(Deserialize)]
struct KeySetDoc {
    version: u32,
    keys: Vec<PublishedKey>,
}

impl TryFrom<KeySetDoc> for KeySet {
    type Error = String;

    fn try_from(doc: KeySetDoc) -> Result<Self, String> {
        if doc.version != KEY_SET_VERSION {
            return Err(format!(
                "key set version {} (this collector reads version {KEY_SET_VERSION})",
                doc.version
            ));
        }
        Ok(KeySet {
            version: doc.version,
            keys: doc.keys,
        })
    }
}

/// Why a request's key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefusal {
    #[error("this collector needs a write key: send it in the `X-Stratus-Key` header, as HTTP Basic user (Segment) or as `api_key` (PostHog)")]
    Missing,
    #[error("unknown write key")]
    Unknown,
    #[error("write key `{0}` has been revoked")]
    Revoked(String),
    #[error("write key `{id}` is a browser key and may not send from {origin}")]
    OriginNotAllowed { id: String, origin: String },
}

impl KeyRefusal {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            KeyRefusal::Missing => "write_key_missing",
            KeyRefusal::Unknown => "write_key_unknown",
            KeyRefusal::Revoked(_) => "write_key_revoked",
            KeyRefusal::OriginNotAllowed { .. } => "origin_not_allowed",
        }
    }

    /// Who the client is not (401) versus what it may not do (403).
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            KeyRefusal::Revoked(_) | KeyRefusal::OriginNotAllowed { .. }
        )
    }
}

impl KeySet {
    pub fn new(keys: Vec<PublishedKey>) -> Self {
        KeySet {
            version: KEY_SET_VERSION,
            keys,
        }
    }

    /// Whether requests must carry a key: once any key exists (revoked
    /// ones count, so revoking the last key never opens the collector), or
    /// when the host requires keys anyway (`host_requires`: a production
    /// collector refuses everything until keys are published).
    pub fn keys_required(&self, host_requires: bool) -> bool {
        host_requires || !self.keys.is_empty()
    }

    /// The key a request may send with, `Ok(None)` when keys are not
    /// required (a profile without keys: the offline demo). `origin` is the
    /// request's `Origin` header; a browser key needs one it allows.
    pub fn check(
        &self,
        host_requires: bool,
        token: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Option<&PublishedKey>, KeyRefusal> {
        if !self.keys_required(host_requires) {
            return Ok(None);
        }
        let token = token.map(str::trim).filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(KeyRefusal::Missing);
        };
        let hash = token_hash(token);
        let key = self
            .keys
            .iter()
            .find(|k| k.token_sha256 == hash)
            .ok_or(KeyRefusal::Unknown)?;
        if key.revoked_at.is_some() {
            return Err(KeyRefusal::Revoked(key.id.clone()));
        }
        if key.kind == KeyKind::Browser && !key.allows_origin(origin) {
            return Err(KeyRefusal::OriginNotAllowed {
                id: key.id.clone(),
                origin: origin
                    .map(|o| format!("origin `{}`", o.chars().take(100).collect::<String>()))
                    .unwrap_or_else(|| "a request without an `Origin` header".into()),
            });
        }
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn key(id: &str, token: &str, kind: KeyKind, origins: &[&str], revoked: bool) -> PublishedKey {
        PublishedKey {
            id: id.into(),
            token_sha256: token_hash(token),
            kind,
            label: id.into(),
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
            rate_per_sec: 10.0,
            burst: 10,
            revoked_at: revoked.then_some(1),
        }
    }

    fn set() -> KeySet {
        KeySet::new(vec![
            key(
                "wk_b",
                "tb",
                KeyKind::Browser,
                &["https://shop.example.com"],
                false,
            ),
            key("wk_s", "ts", KeyKind::Server, &[], false),
            key("wk_r", "tr", KeyKind::Server, &[], true),
            key("wk_any", "ta", KeyKind::Browser, &["*"], false),
        ])
    }

    #[test]
    fn no_keys_is_open_unless_required() {
        assert_eq!(KeySet::default().check(false, None, None), Ok(None));
        assert_eq!(
            KeySet::new(vec![]).check(true, Some("x"), None),
            Err(KeyRefusal::Unknown)
        );
        assert_eq!(
            KeySet::new(vec![]).check(true, None, None),
            Err(KeyRefusal::Missing)
        );
    }

    #[test]
    fn each_refusal_has_its_reason() {
        let s = set();
        assert_eq!(s.check(false, None, None), Err(KeyRefusal::Missing));
        assert_eq!(s.check(false, Some("  "), None), Err(KeyRefusal::Missing));
        assert_eq!(s.check(false, Some("nope"), None), Err(KeyRefusal::Unknown));
        assert_eq!(
            s.check(false, Some("tr"), None),
            Err(KeyRefusal::Revoked("wk_r".into()))
        );
        assert!(matches!(
            s.check(false, Some("tb"), Some("https://evil.example")),
            Err(KeyRefusal::OriginNotAllowed { .. })
        ));
        assert!(matches!(
            s.check(false, Some("tb"), None),
            Err(KeyRefusal::OriginNotAllowed { .. })
        ));
        assert_eq!(
            s.check(false, Some("tb"), Some("https://SHOP.example.com/"))
                .unwrap()
                .unwrap()
                .id,
            "wk_b"
        );
        assert_eq!(
            s.check(false, Some("ts"), None).unwrap().unwrap().id,
            "wk_s"
        );
        assert_eq!(
            s.check(false, Some("ta"), Some("https://anything.example"))
                .unwrap()
                .unwrap()
                .id,
            "wk_any"
        );
    }

    #[test]
    fn a_document_of_another_version_is_refused() {
        let doc = serde_json::json!({"version": 2, "keys": []});
        assert!(serde_json::from_value::<KeySet>(doc).is_err());
        let json = serde_json::to_value(set()).unwrap();
        assert!(json.to_string().contains("token_sha256"));
        assert_eq!(serde_json::from_value::<KeySet>(json).unwrap(), set());
    }
}
