//! Write keys in the profile's database: created with a random token that
//! is returned once (only its SHA-256 is stored), listed, revoked. A revoked
//! key is kept so the collector answers it with 403 and so the key set
//! never becomes empty again (see [`super::KeySet::keys_required`]).

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;

use super::key_set::{KeySet, PublishedKey};
use super::{new_id, new_token, token_hash, KeyError, KeyKind};

/// Events per second a key may send by default, and the burst above it (one
/// full batch of the largest size).
pub const DEFAULT_RATE_PER_SEC: f64 = 100.0;
pub const DEFAULT_BURST: u32 = 1000;

/// What a user asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKey {
    pub kind: KeyKind,
    pub label: String,
    /// Browser keys: exact origins (`https://shop.example.com`) or `*`.
    pub allowed_origins: Vec<String>,
    pub rate_per_sec: f64,
    pub burst: u32,
}

impl NewKey {
    pub fn new(kind: KeyKind, label: impl Into<String>) -> Self {
        NewKey {
            kind,
            label: label.into(),
            allowed_origins: Vec::new(),
            rate_per_sec: DEFAULT_RATE_PER_SEC,
            burst: DEFAULT_BURST,
        }
    }
}

/// A key as the profile keeps it (no token).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteKey {
    pub id: String,
    pub kind: KeyKind,
    pub label: String,
    pub allowed_origins: Vec<String>,
    pub rate_per_sec: f64,
    pub burst: u32,
    /// Unix ms.
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    #[serde(skip)]
    token_sha256: String,
}

/// A key just made, with the token shown this once.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub key: WriteKey,
    pub token: String,
}

fn invalid(message: impl Into<String>) -> KeyError {
    KeyError::Invalid(message.into())
}

/// `https://Shop.Example.com/` → `https://shop.example.com`; `*` stays.
fn normalize_origin(text: &str) -> Result<String, KeyError> {
    let origin = text.trim().trim_end_matches('/').to_ascii_lowercase();
    if origin == "*" {
        return Ok(origin);
    }
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| {
            invalid(format!(
                "origin `{text}` must start with https:// or http://"
            ))
        })?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(invalid(format!(
            "origin `{text}` must be a scheme and host only, e.g. https://shop.example.com (no path)"
        )));
    }
    Ok(origin)
}

fn checked(new: &NewKey) -> Result<NewKey, KeyError> {
    let label = new.label.trim().to_string();
    if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err(invalid(
            "a key needs a label of 1 to 100 characters naming its source (e.g. `shop web`)",
        ));
    }
    let mut origins = Vec::new();
    for origin in &new.allowed_origins {
        let origin = normalize_origin(origin)?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    match new.kind {
        KeyKind::Browser if origins.is_empty() => {
            return Err(invalid(
                "a browser key needs its allowed origins (e.g. https://shop.example.com, or * for any)",
            ))
        }
        KeyKind::Server if !origins.is_empty() => {
            return Err(invalid(
                "a server key is kept secret by a backend and has no allowed origins; use a browser key for web pages",
            ))
        }
        _ => {}
    }
    if !(new.rate_per_sec.is_finite() && new.rate_per_sec > 0.0 && new.rate_per_sec <= 100_000.0) {
        return Err(invalid(
            "the rate must be above 0 and at most 100000 events per second",
        ));
    }
    if !(1..=1_000_000).contains(&new.burst) {
        return Err(invalid("the burst must be 1 to 1000000 events"));
    }
    Ok(NewKey {
        kind: new.kind,
        label,
        allowed_origins: origins,
        rate_per_sec: new.rate_per_sec,
        burst: new.burst,
    })
}

/// Creates a key; its token is in the answer and nowhere else.
pub async fn create_key(db: &Db, new: &NewKey) -> Result<CreatedKey, KeyError> {
    let new = checked(new)?;
    let token = new_token(new.kind);
    let key = WriteKey {
        id: new_id(),
        kind: new.kind,
        label: new.label,
        allowed_origins: new.allowed_origins,
        rate_per_sec: new.rate_per_sec,
        burst: new.burst,
        created_at: now_millis(),
        revoked_at: None,
        token_sha256: token_hash(&token),
    };
    let row = key.clone();
    db.call(move |conn| -> Result<(), KeyError> {
        conn.execute(
            "INSERT INTO write_keys (id, token_sha256, kind, label, allowed_origins, rate_per_sec, burst, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                row.id,
                row.token_sha256,
                row.kind.as_str(),
                row.label,
                serde_json::Value::from(row.allowed_origins.clone()).to_string(),
                row.rate_per_sec,
                row.burst,
                row.created_at,
            ],
        )?;
        Ok(())
    })
    .await?;
    Ok(CreatedKey { key, token })
}

fn read_key(row: &rusqlite::Row<'_>) -> rusqlite::Result<WriteKey> {
    let kind: String = row.get("kind")?;
    let origins: String = row.get("allowed_origins")?;
    Ok(WriteKey {
        id: row.get("id")?,
        // The table's CHECK allows only these two.
        kind: KeyKind::parse(&kind).unwrap_or(KeyKind::Server),
        label: row.get("label")?,
        allowed_origins: serde_json::from_str(&origins).unwrap_or_default(),
        rate_per_sec: row.get("rate_per_sec")?,
        burst: row.get("burst")?,
        created_at: row.get("created_at")?,
        revoked_at: row.get("revoked_at")?,
        token_sha256: row.get("token_sha256")?,
    })
}

/// Every key, revoked ones included, oldest first.
pub async fn list_keys(db: &Db) -> Result<Vec<WriteKey>, KeyError> {
    db.call(|conn| -> Result<_, KeyError> {
        let mut stmt = conn.prepare(
            "SELECT id, token_sha256, kind, label, allowed_origins, rate_per_sec, burst, created_at, revoked_at
             FROM write_keys ORDER BY created_at, id",
        )?;
        let keys = stmt
            .query_map([], read_key)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(keys)
    })
    .await
}

/// Revokes a key: the collector refuses it (403) once it sees the change
/// (at once in `stratus serve`, within the refresh interval on Lambda after
/// the keys are published).
pub async fn revoke_key(db: &Db, id: &str) -> Result<WriteKey, KeyError> {
    let id = id.trim().to_string();
    let looked_up = id.clone();
    let found = db
        .call(move |conn| -> Result<_, KeyError> {
            let tx = conn.transaction()?;
            let before: Option<Option<i64>> = tx
                .query_row(
                    "SELECT revoked_at FROM write_keys WHERE id = ?1",
                    [&looked_up],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(None) = before {
                tx.execute(
                    "UPDATE write_keys SET revoked_at = ?2 WHERE id = ?1",
                    params![looked_up, now_millis()],
                )?;
            }
            tx.commit()?;
            Ok(before)
        })
        .await?;
    match found {
        None => return Err(KeyError::NotFound(id)),
        Some(Some(_)) => return Err(KeyError::AlreadyRevoked(id)),
        Some(None) => {}
    }
    list_keys(db)
        .await?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or(KeyError::NotFound(id))
}

impl WriteKey {
    /// As the collector checks it (and as published).
    pub fn published(&self) -> PublishedKey {
        PublishedKey {
            id: self.id.clone(),
            token_sha256: self.token_sha256.clone(),
            kind: self.kind,
            label: self.label.clone(),
            allowed_origins: self.allowed_origins.clone(),
            rate_per_sec: self.rate_per_sec,
            burst: self.burst,
            revoked_at: self.revoked_at,
        }
    }
}

/// The profile's keys as the collector checks them.
pub async fn profile_key_set(db: &Db) -> Result<KeySet, KeyError> {
    let keys = list_keys(db).await?;
    Ok(KeySet::new(keys.iter().map(WriteKey::published).collect()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn create_list_revoke_keeps_only_the_hash_and_refuses_bad_input() {
        let db = Db::open_in_memory().unwrap();
        let mut browser = NewKey::new(KeyKind::Browser, " shop web ");
        assert!(matches!(
            create_key(&db, &browser).await,
            Err(KeyError::Invalid(_))
        ));
        browser.allowed_origins = vec!["https://Shop.example.com/".into()];
        let created = create_key(&db, &browser).await.unwrap();
        assert!(created.token.starts_with("stratus_pk_"));
        assert_eq!(created.key.label, "shop web");
        assert_eq!(
            created.key.allowed_origins,
            vec!["https://shop.example.com"]
        );

        let mut server = NewKey::new(KeyKind::Server, "backend");
        server.allowed_origins = vec!["https://x.example".into()];
        assert!(matches!(
            create_key(&db, &server).await,
            Err(KeyError::Invalid(_))
        ));
        server.allowed_origins.clear();
        let backend = create_key(&db, &server).await.unwrap();

        let stored: Vec<String> = db
            .call(|c| -> Result<_, KeyError> {
                let mut s = c.prepare("SELECT token_sha256 FROM write_keys")?;
                let v = s
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(v)
            })
            .await
            .unwrap();
        assert!(!stored.iter().any(|h| h.contains(&created.token)));
        assert!(stored.contains(&token_hash(&backend.token)));

        let revoked = revoke_key(&db, &backend.key.id).await.unwrap();
        assert!(revoked.revoked_at.is_some());
        assert!(matches!(
            revoke_key(&db, &backend.key.id).await,
            Err(KeyError::AlreadyRevoked(_))
        ));
        assert!(matches!(
            revoke_key(&db, "wk_none").await,
            Err(KeyError::NotFound(_))
        ));

        let set = profile_key_set(&db).await.unwrap();
        assert_eq!(set.keys.len(), 2);
        assert!(matches!(
            set.check(false, Some(&backend.token), None),
            Err(super::super::KeyRefusal::Revoked(_))
        ));
        assert_eq!(
            set.check(
                false,
                Some(&created.token),
                Some("https://shop.example.com")
            )
            .unwrap()
            .unwrap()
            .id,
            created.key.id
        );
    }
}
