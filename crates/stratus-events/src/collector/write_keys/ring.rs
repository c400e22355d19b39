//! Where a running collector gets its keys: the profile's database
//! (`stratus serve`, re-read at most once per refresh interval, so a key
//! created or revoked in the app works within it) or the object published
//! to the events bucket (Lambda, which has no database). Either way a
//! failed read keeps the last good set; with none, requests are refused
//! (503), never let in unchecked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use stratus_core::db::Db;
use stratus_core::published::{Published, PublishedObject};
use stratus_core::store::ObjectStore;
use tokio::sync::Mutex;

use super::key_set::KeySet;
use super::profile_keys::profile_key_set;
use super::publish::KEYS_OBJECT;

/// The keys could not be read and there is no earlier good set.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the write keys could not be read: {0}")]
pub struct KeysUnavailable(pub String);

struct ProfileCache {
    set: Option<Arc<KeySet>>,
    read_at: Option<Instant>,
}

enum Source {
    /// No keys: every request is let in (tests, and hosts without keys).
    Open,
    Profile {
        db: Db,
        refresh: Duration,
        cache: Mutex<ProfileCache>,
    },
    Published {
        object: PublishedObject<KeySet>,
        required: bool,
    },
}

/// A collector's source of write keys.
pub struct KeyRing {
    source: Source,
}

impl KeyRing {
    /// Checks nothing.
    pub fn open() -> Self {
        KeyRing {
            source: Source::Open,
        }
    }

    /// The profile's own keys (`stratus serve`).
    pub fn profile(db: Db, refresh: Duration) -> Self {
        KeyRing {
            source: Source::Profile {
                db,
                refresh,
                cache: Mutex::new(ProfileCache {
                    set: None,
                    read_at: None,
                }),
            },
        }
    }

    /// The key set published to the events bucket (the deployed function).
    /// With `required`, a bucket with no published keys refuses everything.
    pub fn published(events: Arc<dyn ObjectStore>, refresh: Duration, required: bool) -> Self {
        KeyRing {
            source: Source::Published {
                object: PublishedObject::new(events, KEYS_OBJECT, refresh),
                required,
            },
        }
    }

    /// Whether this host wants a key even when none exists (the deployed
    /// function with `STRATUS_REQUIRE_WRITE_KEY=1`); see [`KeySet::check`].
    pub fn host_requires_keys(&self) -> bool {
        matches!(self.source, Source::Published { required: true, .. })
    }

    /// The keys to check a request against.
    pub async fn current(&self) -> Result<Arc<KeySet>, KeysUnavailable> {
        match &self.source {
            Source::Open => Ok(Arc::new(KeySet::default())),
            Source::Profile { db, refresh, cache } => {
                let mut cache = cache.lock().await;
                let fresh = cache.read_at.is_some_and(|at| at.elapsed() < *refresh);
                if !fresh || cache.set.is_none() {
                    cache.read_at = Some(Instant::now());
                    match profile_key_set(db).await {
                        Ok(set) => cache.set = Some(Arc::new(set)),
                        Err(e) if cache.set.is_some() => {
                            tracing::warn!("write keys: {e}; keeping the last good set");
                        }
                        Err(e) => return Err(KeysUnavailable(e.to_string())),
                    }
                }
                cache
                    .set
                    .clone()
                    .ok_or_else(|| KeysUnavailable("no key set".into()))
            }
            Source::Published { object, .. } => match object.current().await {
                Ok(Published::Value(set)) => Ok(set),
                Ok(Published::Missing) => Ok(Arc::new(KeySet::default())),
                Err(e) => Err(KeysUnavailable(e.to_string())),
            },
        }
    }
}
