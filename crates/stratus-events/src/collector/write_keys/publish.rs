//! The key set as one small JSON object in the events bucket, for the
//! deployed collector (which has no database): written on every create and
//! revoke, and by `stratus events keys publish`. It holds SHA-256 hashes of
//! tokens, never tokens. The function reads it with a short cache
//! ([`super::KeyRing::published`]).

use bytes::Bytes;
use stratus_core::db::Db;
use stratus_core::store::{ObjectStore, PutOptions};

use super::profile_keys::profile_key_set;
use super::KeyError;

/// Where the key set is published in the events bucket: outside `events/`
/// and `bad/`, so sync never lists it, and the one object the collector's
/// role may read.
pub const KEYS_OBJECT: &str = "collector/write-keys.json";

/// Writes the profile's key set to the events bucket. Returns how many
/// keys it holds (revoked ones included).
pub async fn publish_keys(db: &Db, events: &dyn ObjectStore) -> Result<usize, KeyError> {
    let set = profile_key_set(db).await?;
    let body = serde_json::to_vec_pretty(&set)
        .map_err(|e| KeyError::Invalid(format!("cannot encode the key set: {e}")))?;
    events
        .put(
            KEYS_OBJECT,
            Bytes::from(body),
            PutOptions {
                content_type: Some("application/json".into()),
                // Readers cache it themselves; nothing in between should.
                cache_control: Some("no-store".into()),
                ..PutOptions::default()
            },
        )
        .await?;
    Ok(set.keys.len())
}
