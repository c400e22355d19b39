//! `stratus push`: the profile's SNS platform applications and in-app
//! inbox tokens. Devices are under `stratus customers device`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _, Result};
use clap::Subcommand;
use stratus_campaigns::push::{apps, Platform, Registrar};
use stratus_core::clock::now_millis;
use stratus_gateway::inbox::{InboxSecret, MAX_TOKEN_LIFETIME_SECS};

use crate::context::Context;

#[derive(Subcommand)]
pub enum PushCommand {
    /// The profile's SNS platform applications (APNs, APNs sandbox, FCM).
    #[command(subcommand)]
    App(AppCommand),
    /// Mints a customer's in-app inbox token with STRATUS_INBOX_SECRET
    /// (what the app's backend does at sign-in; for trying the inbox).
    InboxToken {
        customer: String,
        /// How long it is valid (at most 30).
        #[arg(long, default_value_t = 7)]
        days: u64,
    },
}

#[derive(Subcommand)]
pub enum AppCommand {
    /// The configured applications.
    List,
    /// Uses an application made elsewhere (console, CloudFormation).
    Set {
        /// apns, apns_sandbox or fcm.
        platform: String,
        /// arn:aws:sns:<region>:<account>:app/<PLATFORM>/<name>
        arn: String,
    },
    /// Creates an application in SNS from a credential, which goes to SNS
    /// only (never into the profile), and uses it.
    Create {
        /// apns, apns_sandbox or fcm.
        platform: String,
        #[arg(long)]
        name: String,
        /// The APNs signing key (.p8) or certificate's private key, or the
        /// FCM server key / service account JSON.
        #[arg(long, value_name = "FILE")]
        credential_file: PathBuf,
        /// APNs: the key id (token auth) or the certificate (PEM file path
        /// with --principal-file).
        #[arg(long)]
        principal: Option<String>,
        #[arg(long, value_name = "FILE", conflicts_with = "principal")]
        principal_file: Option<PathBuf>,
        /// APNs token auth: the team id.
        #[arg(long)]
        team_id: Option<String>,
        /// APNs token auth: the app's bundle id.
        #[arg(long)]
        bundle_id: Option<String>,
    },
}

pub async fn run(ctx: &Context, cmd: PushCommand) -> Result<ExitCode> {
    match cmd {
        PushCommand::App(cmd) => app(ctx, cmd).await?,
        PushCommand::InboxToken { customer, days } => {
            let secret = std::env::var("STRATUS_INBOX_SECRET").map_err(|_| {
                anyhow!(
                    "set STRATUS_INBOX_SECRET to the secret the collector checks inbox tokens with"
                )
            })?;
            let secret = InboxSecret::new(&secret).map_err(anyhow::Error::msg)?;
            let lifetime = days.saturating_mul(24 * 3600).min(MAX_TOKEN_LIFETIME_SECS);
            let expires = u64::try_from(now_millis() / 1000).unwrap_or(0) + lifetime;
            println!("{}", secret.token(&customer, expires));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn app(ctx: &Context, cmd: AppCommand) -> Result<()> {
    let stack = ctx.stack().await?;
    match cmd {
        AppCommand::List => {
            let list = stack.db.call(|c| apps::list(c)).await?;
            if list.is_empty() {
                println!(
                    "no platform applications: `stratus push app create` or `stratus push app set`"
                );
            }
            for app in list {
                println!("{:<13} {}", app.platform.as_str(), app.arn);
            }
        }
        AppCommand::Set { platform, arn } => {
            let platform = Platform::parse(&platform)?;
            stack.db.call(move |c| apps::set(c, platform, &arn)).await?;
            println!("{platform} devices now register with this application");
        }
        AppCommand::Create {
            platform,
            name,
            credential_file,
            principal,
            principal_file,
            team_id,
            bundle_id,
        } => {
            let platform = Platform::parse(&platform)?;
            let sdk = stack
                .sdk
                .as_ref()
                .ok_or_else(|| anyhow!("the demo profile has no SNS; switch to a cloud profile"))?;
            let read = |path: &PathBuf| {
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))
            };
            let mut attributes = BTreeMap::new();
            attributes.insert("PlatformCredential".to_string(), read(&credential_file)?);
            let principal = match principal_file {
                Some(path) => Some(read(&path)?),
                None => principal,
            };
            for (key, value) in [
                ("PlatformPrincipal", principal),
                ("ApplePlatformTeamID", team_id),
                ("ApplePlatformBundleID", bundle_id),
            ] {
                if let Some(value) = value {
                    attributes.insert(key.to_string(), value);
                }
            }
            let arn = Registrar::new(sdk)
                .create_app(&stack.db, &name, platform, attributes)
                .await?;
            println!("created {arn}; {platform} devices now register with it");
        }
    }
    Ok(())
}
