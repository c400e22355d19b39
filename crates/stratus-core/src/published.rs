//! A small JSON object that the desktop app or the CLI publishes to a bucket
//! and a deployed function reads with a short cache, so a change reaches the
//! function without a redeploy (the collector's write keys; presets can use
//! the same). Read at most once per refresh interval; a broken or unreadable
//! object keeps the last good value (and says so in the log), so one bad
//! write cannot take the function down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use crate::store::{ObjectStore, StoreError};

/// Largest published object read: these are small documents, and a huge
/// one is a mistake or an attack on the function's memory.
pub const MAX_PUBLISHED_BYTES: u64 = 1024 * 1024;

/// Why there is no value to use (and no earlier good one to fall back on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishedError {
    #[error("`{key}` could not be read: {message}")]
    Unreadable { key: String, message: String },
    #[error("`{key}` is not a valid document: {message}")]
    Invalid { key: String, message: String },
}

/// What the object held at the last read.
#[derive(Debug)]
pub enum Published<T> {
    /// Nothing was ever published.
    Missing,
    Value(Arc<T>),
}

impl<T> Clone for Published<T> {
    fn clone(&self) -> Self {
        match self {
            Published::Missing => Published::Missing,
            Published::Value(v) => Published::Value(Arc::clone(v)),
        }
    }
}

struct State<T> {
    /// The last good read, if any.
    good: Option<Published<T>>,
    /// When the object was last read (good or not).
    read_at: Option<Instant>,
    /// The last failure, while there is no good value to fall back on.
    failure: Option<PublishedError>,
}

/// One published object with its cache.
pub struct PublishedObject<T> {
    store: Arc<dyn ObjectStore>,
    key: String,
    refresh: Duration,
    state: Mutex<State<T>>,
}

impl<T: DeserializeOwned + Send + Sync> PublishedObject<T> {
    /// Reads `key` at most once per `refresh` (zero: at every call).
    pub fn new(store: Arc<dyn ObjectStore>, key: impl Into<String>, refresh: Duration) -> Self {
        PublishedObject {
            store,
            key: key.into(),
            refresh,
            state: Mutex::new(State {
                good: None,
                read_at: None,
                failure: None,
            }),
        }
    }

    /// The object's key in its bucket.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The current value: read again when the cache is older than the
    /// refresh interval. A failed read keeps the last good value; with none,
    /// the failure is returned (the caller decides to fail closed).
    pub async fn current(&self) -> Result<Published<T>, PublishedError> {
        let mut state = self.state.lock().await;
        let fresh = state.read_at.is_some_and(|at| at.elapsed() < self.refresh);
        if !fresh {
            state.read_at = Some(Instant::now());
            match self.read().await {
                Ok(value) => {
                    state.good = Some(value);
                    state.failure = None;
                }
                Err(e) => {
                    if state.good.is_some() {
                        tracing::warn!(key = %self.key, "{e}; keeping the last good copy");
                    } else {
                        tracing::error!(key = %self.key, "{e}");
                    }
                    state.failure = Some(e);
                }
            }
        }
        match (&state.good, &state.failure) {
            (Some(good), _) => Ok(good.clone()),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Ok(Published::Missing),
        }
    }

    async fn read(&self) -> Result<Published<T>, PublishedError> {
        let unreadable = |message: String| PublishedError::Unreadable {
            key: self.key.clone(),
            message,
        };
        let object = match self.store.get(&self.key, None).await {
            Ok(object) => object,
            Err(StoreError::NotFound { .. }) => return Ok(Published::Missing),
            Err(e) => return Err(unreadable(e.to_string())),
        };
        if object.meta.size > MAX_PUBLISHED_BYTES {
            return Err(PublishedError::Invalid {
                key: self.key.clone(),
                message: format!(
                    "{} bytes, above the limit of {MAX_PUBLISHED_BYTES}",
                    object.meta.size
                ),
            });
        }
        let bytes = object
            .bytes()
            .await
            .map_err(|e| unreadable(e.to_string()))?;
        serde_json::from_slice(&bytes)
            .map(|v| Published::Value(Arc::new(v)))
            .map_err(|e| PublishedError::Invalid {
                key: self.key.clone(),
                message: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::{LocalStore, PutOptions};
    use bytes::Bytes;

    async fn put(store: &LocalStore, body: &str) {
        store
            .put(
                "conf/doc.json",
                Bytes::from(body.to_string()),
                PutOptions::default(),
            )
            .await
            .unwrap();
    }

    fn value(p: Published<Vec<u32>>) -> Option<Vec<u32>> {
        match p {
            Published::Missing => None,
            Published::Value(v) => Some((*v).clone()),
        }
    }

    #[tokio::test]
    async fn a_broken_object_keeps_the_last_good_value_and_a_fix_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LocalStore::open(dir.path()).unwrap());
        let published: PublishedObject<Vec<u32>> =
            PublishedObject::new(store.clone(), "conf/doc.json", Duration::ZERO);
        assert_eq!(value(published.current().await.unwrap()), None);
        put(&store, "[1,2]").await;
        assert_eq!(value(published.current().await.unwrap()), Some(vec![1, 2]));
        put(&store, "[1,").await;
        assert_eq!(value(published.current().await.unwrap()), Some(vec![1, 2]));
        put(&store, "[3]").await;
        assert_eq!(value(published.current().await.unwrap()), Some(vec![3]));
    }

    #[tokio::test]
    async fn a_broken_object_with_no_good_copy_is_an_error_and_the_cache_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(LocalStore::open(dir.path()).unwrap());
        put(&store, "not json").await;
        let fresh: PublishedObject<Vec<u32>> =
            PublishedObject::new(store.clone(), "conf/doc.json", Duration::ZERO);
        assert!(matches!(
            fresh.current().await,
            Err(PublishedError::Invalid { .. })
        ));
        // A long interval: the first read is kept, a later change unseen.
        put(&store, "[7]").await;
        let cached: PublishedObject<Vec<u32>> =
            PublishedObject::new(store.clone(), "conf/doc.json", Duration::from_secs(3600));
        assert_eq!(value(cached.current().await.unwrap()), Some(vec![7]));
        put(&store, "[8]").await;
        assert_eq!(value(cached.current().await.unwrap()), Some(vec![7]));
    }
}
