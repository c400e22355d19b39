//! `stratus events keys`: the collector's write keys. Create prints the
//! token once; create and revoke publish the key set to the events bucket
//! (for the deployed collector) and say so, or say how to retry.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use stratus_core::stack::Stack;
use stratus_events::collector::write_keys::profile_keys::{DEFAULT_BURST, DEFAULT_RATE_PER_SEC};
use stratus_events::collector::write_keys::{
    create_key, list_keys, publish_keys, revoke_key, KeyKind, NewKey, WriteKey, KEYS_OBJECT,
};

use super::filter_args::format_time;
use crate::context::Context;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Make a key; its token is printed this once (only its hash is kept).
    Create(CreateArgs),
    /// Every key, revoked ones included (never their tokens).
    List {
        /// One JSON object per key.
        #[arg(long)]
        json: bool,
    },
    /// Refuse a key from now on (the deployed collector: within its refresh interval).
    Revoke {
        /// The key's id (`wk_…`, from `list`).
        id: String,
    },
    /// Write the key set (hashes only) to the events bucket for the deployed collector.
    Publish,
}

#[derive(Args)]
pub struct CreateArgs {
    /// What sends with it, e.g. `shop web` or `order service`.
    #[arg(long)]
    label: String,
    /// `browser` (public, in web pages; needs --origin) or `server` (secret).
    #[arg(long, value_parser = parse_kind)]
    kind: KeyKind,
    /// Web origins a browser key may send from (repeat or comma-separate; `*` for any).
    #[arg(long = "origin", value_name = "ORIGIN", value_delimiter = ',')]
    origins: Vec<String>,
    /// Events per second the key may send (per collector instance).
    #[arg(long, default_value_t = DEFAULT_RATE_PER_SEC)]
    rate: f64,
    /// Events the key may send at once above its rate.
    #[arg(long, default_value_t = DEFAULT_BURST)]
    burst: u32,
}

fn parse_kind(text: &str) -> Result<KeyKind, String> {
    KeyKind::parse(text).ok_or_else(|| format!("`{text}` is not a key kind: use browser or server"))
}

pub async fn run(ctx: &Context, cmd: KeysCommand) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    match cmd {
        KeysCommand::Create(args) => {
            let created = create_key(
                &stack.db,
                &NewKey {
                    kind: args.kind,
                    label: args.label,
                    allowed_origins: args.origins,
                    rate_per_sec: args.rate,
                    burst: args.burst,
                },
            )
            .await?;
            println!("created write key {}", created.key.id);
            print_key(&created.key);
            println!("token (shown once, store it now): {}", created.token);
            Ok(publish(&stack).await)
        }
        KeysCommand::List { json } => {
            let keys = list_keys(&stack.db).await?;
            if json {
                for key in &keys {
                    println!("{}", serde_json::to_string(key)?);
                }
            } else if keys.is_empty() {
                println!("no write keys: the collector takes events from anyone");
            } else {
                for key in &keys {
                    print_key(key);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Revoke { id } => {
            let key = revoke_key(&stack.db, &id).await?;
            println!("revoked write key {} ({})", key.id, key.label);
            Ok(publish(&stack).await)
        }
        KeysCommand::Publish => {
            let count = publish_keys(&stack.db, stack.events.as_ref()).await?;
            println!(
                "published {count} keys to {} in {}",
                KEYS_OBJECT,
                stack.events.location()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_key(key: &WriteKey) {
    let state = match key.revoked_at {
        Some(at) => format!("revoked {}", format_time(at)),
        None => "active".into(),
    };
    println!(
        "{}  {:<7}  {:<8}  {}  created {}",
        key.id,
        key.kind.as_str(),
        state,
        key.label,
        format_time(key.created_at)
    );
    if !key.allowed_origins.is_empty() {
        println!("    origins: {}", key.allowed_origins.join(", "));
    }
    println!(
        "    rate:    {} events/s, burst {}",
        key.rate_per_sec, key.burst
    );
}

/// After a change: the key is in the profile either way; a failed publish
/// is a failure of the command, with how to retry.
async fn publish(stack: &Stack) -> ExitCode {
    match publish_keys(&stack.db, stack.events.as_ref()).await {
        Ok(count) => {
            println!(
                "published {count} keys to {} (the deployed collector sees them within its refresh interval)",
                stack.events.location()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error[{}]: {e}\nthe change is saved in the profile; run `stratus events keys publish` once the bucket answers",
                e.code()
            );
            ExitCode::FAILURE
        }
    }
}
