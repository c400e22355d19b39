//! `stratus image sign`: a signed `/img/<spec>/<key>` URL, so an editor (or a
//! script) never writes the HMAC by hand. The keys are the ones the image
//! function checks: `$STRATUS_SIGNING_KEYS` or a file holding either the
//! `id:secret,…` list or the deploy's secret text (JSON, newest key first),
//! so `aws secretsmanager get-secret-value … --query SecretString` can be
//! saved and used as it is.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};
use clap::Args;
use stratus_gateway::signature::{sign, SigningPolicy, DEFAULT_MAX_LIFETIME};

const KEYS_ENV: &str = "STRATUS_SIGNING_KEYS";

#[derive(Args)]
pub struct SignArgs {
    /// A preset name or a canonical spec, e.g. `card` or `300x200-cover-q80.webp`.
    spec: String,
    /// The original's key, e.g. `products/shoe.jpg`.
    key: String,
    /// How long the URL stays valid, in seconds (the function refuses more
    /// than its limit, 7 days unless configured otherwise).
    #[arg(long, value_name = "SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    expires_in: u64,
    /// The keys: `id:secret,…` or the deploy's secret text (default: $STRATUS_SIGNING_KEYS).
    #[arg(long, value_name = "PATH")]
    keys_file: Option<PathBuf>,
    /// Sign with this key id (default: the first, which is the newest after `stratus keys rotate`).
    #[arg(long, value_name = "ID")]
    key_id: Option<String>,
    /// Put this in front of the path, e.g. the image URL base the deploy printed.
    #[arg(long, value_name = "URL")]
    base: Option<String>,
}

pub fn run(args: SignArgs) -> Result<()> {
    let text = match &args.keys_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the keys file {}", path.display()))?,
        None => std::env::var(KEYS_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .with_context(|| format!("no signing keys: set ${KEYS_ENV} or give --keys-file"))?,
    };
    let keys = SigningPolicy::keys_from_secret(&text).context("the signing keys")?;
    let key = match &args.key_id {
        Some(id) => keys
            .iter()
            .find(|k| &k.id == id)
            .with_context(|| format!("no signing key `{id}` among the keys given"))?,
        None => &keys[0],
    };
    if args.expires_in > DEFAULT_MAX_LIFETIME.as_secs() {
        eprintln!(
            "warning: the function refuses URLs valid for more than {} s unless its limit was raised",
            DEFAULT_MAX_LIFETIME.as_secs()
        );
    }
    if args.key.is_empty() || args.spec.is_empty() || args.spec.contains('/') {
        bail!("give a preset or spec and an original's key, e.g. `card products/shoe.jpg`");
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let expires = now + args.expires_in;
    // The function checks the path exactly as the request spells it, so
    // the signed path is the encoded one the URL carries.
    let path = format!(
        "/img/{}/{}",
        url_path(&args.spec),
        url_path(args.key.trim_start_matches('/'))
    );
    let sig = sign(key, &path, expires);
    let base = args.base.as_deref().unwrap_or("").trim_end_matches('/');
    println!("{base}{path}?exp={expires}&sig={sig}");
    Ok(())
}

/// Percent-encodes what a URL path cannot carry as it is (a space, `?`,
/// `#`, `%`, non-ASCII…), keeping `/` between folders.
fn url_path(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let plain = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte);
        if plain {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::url_path;

    #[test]
    fn a_path_keeps_folders_and_encodes_what_a_url_cannot_carry() {
        assert_eq!(url_path("products/shoe.jpg"), "products/shoe.jpg");
        assert_eq!(url_path("summer sale/50%.jpg"), "summer%20sale/50%25.jpg");
        assert_eq!(url_path("café?.png"), "caf%C3%A9%3F.png");
    }
}
