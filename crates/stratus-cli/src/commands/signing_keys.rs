//! The signing-key options of `stratus serve`: where the secrets come from
//! and the checks they pass before the server starts.
//!
//! Secrets belong in `$STRATUS_SIGNING_KEYS` or a file
//! (`--signing-keys-file`); `--signing-keys` still works but shows them in
//! `ps` and the shell history, so it warns. Empty, blank-id and short
//! (< 32 bytes) secrets stop the server with a clear error.

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use clap::Args;
use stratus_gateway::signature::{SigningPolicy, DEFAULT_MAX_LIFETIME};

/// The environment variable that holds the keys (as on Lambda).
const KEYS_ENV: &str = "STRATUS_SIGNING_KEYS";

#[derive(Args)]
pub struct SigningArgs {
    /// Signing keys for image URLs, `id:secret,id:secret` (secrets of 32+
    /// bytes). Visible to other users in `ps`: prefer $STRATUS_SIGNING_KEYS
    /// or --signing-keys-file.
    #[arg(long, value_name = "ID:SECRET,...")]
    signing_keys: Option<String>,
    /// A file holding the signing keys: `id:secret`, one a line or comma-separated.
    #[arg(long, value_name = "PATH", conflicts_with = "signing_keys")]
    signing_keys_file: Option<PathBuf>,
    /// Refuse unsigned image URLs (needs signing keys).
    #[arg(long)]
    require_signature: bool,
    /// How far ahead a signed image URL may expire, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_MAX_LIFETIME.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    signed_url_max_lifetime: u64,
}

impl SigningArgs {
    /// The checked policy, or an error that says which source is wrong.
    pub fn policy(&self) -> Result<SigningPolicy> {
        let from_env = std::env::var(KEYS_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty());
        let (source, list) = match (&self.signing_keys, &self.signing_keys_file, from_env) {
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
                bail!("signing keys are given both in ${KEYS_ENV} and as an option; give them one way")
            }
            (Some(list), None, None) => {
                eprintln!(
                    "warning: --signing-keys puts the secrets in `ps` output and the shell history; \
                     use ${KEYS_ENV} or --signing-keys-file instead"
                );
                ("--signing-keys".to_string(), Some(list.clone()))
            }
            (None, Some(path), None) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the signing keys file {}", path.display())
                })?;
                (
                    format!("--signing-keys-file {}", path.display()),
                    Some(text),
                )
            }
            (None, None, from_env) => (format!("${KEYS_ENV}"), from_env),
            (Some(_), Some(_), None) => unreachable!("clap refuses both options together"),
        };
        let policy = SigningPolicy::configured(
            list.as_deref(),
            self.require_signature,
            Some(self.signed_url_max_lifetime),
        );
        match policy {
            Ok(policy) => Ok(policy),
            Err(e) if list.is_none() => {
                bail!("--require-signature needs signing keys ({e}): set ${KEYS_ENV} or --signing-keys-file")
            }
            Err(e) => bail!("{source}: {e}"),
        }
    }
}
