//! `stratus keys rotate`: a new URL-signing key goes first in the deploy's
//! Secrets Manager secret and the newest earlier ones are kept (`keep` in
//! all), so URLs they signed stay valid until they expire; running
//! functions read the secret again every few minutes
//! (`STRATUS_SIGNING_KEYS_REFRESH`). The secret's format is the function's:
//! `{"id","secret"}` (as the deploy generates it) or `{"keys":[…]}`.

use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};

use crate::error::{DeployError, Result};

/// Characters in a generated secret (as the template's generated one).
const SECRET_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub id: String,
    pub secret: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Many { keys: Vec<StoredKey> },
    One(StoredKey),
}

#[derive(Serialize)]
struct Keys<'a> {
    keys: &'a [StoredKey],
}

/// What a rotation did, by key id (secrets are never shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rotation {
    pub new_id: String,
    pub kept: Vec<String>,
    pub dropped: Vec<String>,
}

/// The keys in a secret's text, newest first.
pub fn parse(text: &str) -> Result<Vec<StoredKey>> {
    let stored: Stored = serde_json::from_str(text).map_err(|e| {
        DeployError::InvalidSettings(format!(
            "the signing-key secret is not {{\"id\",\"secret\"}} or {{\"keys\":[…]}}: {e}"
        ))
    })?;
    Ok(match stored {
        Stored::Many { keys } => keys,
        Stored::One(key) => vec![key],
    })
}

/// The key set after a rotation: a new key first, then the newest `keep - 1`
/// of the old ones. Ids are `k<n>`, one above the highest in use.
pub fn rotated(old: &[StoredKey], keep: usize) -> (Vec<StoredKey>, Rotation) {
    let next = old
        .iter()
        .filter_map(|k| k.id.strip_prefix('k')?.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let new = StoredKey {
        id: format!("k{next}"),
        secret: Alphanumeric.sample_string(&mut rand::rng(), SECRET_CHARS),
    };
    let keep_old = keep.max(1) - 1;
    let mut keys = vec![new.clone()];
    keys.extend(old.iter().take(keep_old).cloned());
    let rotation = Rotation {
        new_id: new.id,
        kept: old.iter().take(keep_old).map(|k| k.id.clone()).collect(),
        dropped: old.iter().skip(keep_old).map(|k| k.id.clone()).collect(),
    };
    (keys, rotation)
}

/// Rotates the keys in `secret_id`.
pub async fn rotate(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    keep: usize,
) -> Result<Rotation> {
    let current = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| DeployError::aws("secretsmanager:GetSecretValue", &e))?;
    let text = current
        .secret_string()
        .ok_or_else(|| DeployError::InvalidSettings(format!("secret {secret_id} holds no text")))?;
    let (keys, rotation) = rotated(&parse(text)?, keep);
    let json = serde_json::to_string(&Keys { keys: &keys })
        .map_err(|e| DeployError::Unexpected(e.to_string()))?;
    client
        .put_secret_value()
        .secret_id(secret_id)
        .secret_string(json)
        .send()
        .await
        .map_err(|e| DeployError::aws("secretsmanager:PutSecretValue", &e))?;
    Ok(rotation)
}

/// The AWS CLI command that prints the keys, for the profile's AWS
/// profile and region (without them the CLI asks another account or
/// region, or refuses: "You must specify a region").
pub fn read_command(secret_id: &str, aws_profile: Option<&str>, region: &str) -> String {
    let profile = aws_profile
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default();
    format!(
        "aws secretsmanager get-secret-value{profile} --region {region} --secret-id {secret_id} --query SecretString --output text"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_command_names_the_profile_and_region_of_the_stack() {
        assert_eq!(
            read_command("arn:aws:secretsmanager:eu-west-1:1:secret:/stratus/shop/signing-keys-Ab", Some("acme"), "eu-west-1"),
            "aws secretsmanager get-secret-value --profile acme --region eu-west-1 --secret-id arn:aws:secretsmanager:eu-west-1:1:secret:/stratus/shop/signing-keys-Ab --query SecretString --output text"
        );
        assert_eq!(
            read_command("s", None, "us-east-1"),
            "aws secretsmanager get-secret-value --region us-east-1 --secret-id s --query SecretString --output text"
        );
    }

    #[test]
    fn a_rotation_puts_a_new_key_first_and_keeps_the_newest_old_ones() {
        let deployed = parse(r#"{"id":"k1","secret":"one"}"#).unwrap();
        let (keys, rotation) = rotated(&deployed, 2);
        let ids: Vec<_> = keys.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, ["k2", "k1"]);
        assert_eq!(keys[0].secret.len(), 64);
        assert!(keys[0].secret.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(
            (rotation.kept, rotation.dropped),
            (vec!["k1".to_string()], vec![])
        );

        let (again, rotation) = rotated(&keys, 2);
        let ids: Vec<_> = again.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, ["k3", "k2"]);
        assert_eq!(rotation.dropped, ["k1"]);
        assert_ne!(again[0].secret, keys[0].secret);
    }

    #[test]
    fn an_unreadable_secret_is_refused_before_anything_is_written() {
        assert!(parse("not json").is_err());
        assert!(parse(r#"{"nope":1}"#).is_err());
    }
}
