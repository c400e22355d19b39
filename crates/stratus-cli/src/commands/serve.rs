//! `stratus serve`: the serverless functions on this machine, against the
//! active profile's buckets (demo folders or the cloud).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use clap::Args;
use stratus_gateway::{router, ImageFunction, RedirectPolicy, SigningPolicy};
use stratus_media::{Limits, PresetCatalog, VariantService};

use crate::context::Context;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    /// Signing keys for image URLs, `id:secret,id:secret` (or $STRATUS_SIGNING_KEYS).
    #[arg(long, env = "STRATUS_SIGNING_KEYS", hide_env_values = true)]
    signing_keys: Option<String>,
    /// Refuse unsigned image URLs.
    #[arg(long)]
    require_signature: bool,
    /// Variants larger than this many bytes are answered with a redirect to
    /// the stored object (cloud profiles; the demo store always sends bytes).
    #[arg(long, default_value_t = RedirectPolicy::default().above_bytes)]
    redirect_above: u64,
}

pub async fn run(ctx: &Context, args: ServeArgs) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let catalog = PresetCatalog::load(&stack.db).await?;
    let keys = SigningPolicy::parse_keys(&args.signing_keys.unwrap_or_default());
    let function = ImageFunction {
        service: VariantService::new(Arc::clone(&stack.media), Limits::default()),
        catalog: tokio::sync::RwLock::new(catalog),
        signing: SigningPolicy {
            keys,
            required: args.require_signature,
        },
        redirect: RedirectPolicy {
            above_bytes: args.redirect_above,
            ..RedirectPolicy::default()
        },
    };
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    println!("serving profile `{}` at http://{addr}", stack.profile.name);
    println!(
        "  images: http://{addr}/img/<preset>/<original key>   (presets: `stratus image presets`)"
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    stratus_gateway::serve(listener, router(Arc::new(function)), shutdown).await?;
    Ok(ExitCode::SUCCESS)
}
