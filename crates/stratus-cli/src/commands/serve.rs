//! `stratus serve`: the serverless functions on this machine, against the
//! active profile's buckets (demo folders or the cloud): the image function,
//! the event collector (with its flush timer) and a demo page to make events.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::Args;
use stratus_events::collector::CollectorConfig;
use stratus_gateway::collector::spawn_flush_timer;
use stratus_gateway::tracker::demo_routes;
use stratus_gateway::{
    functions_router, AllowedOrigins, CollectorFunction, FlushPolicy, ImageFunction, RedirectPolicy,
};
use stratus_media::{Limits, PresetCatalog, VariantService};

use super::signing_keys::SigningArgs;
use crate::context::Context;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    addr: SocketAddr,
    #[command(flatten)]
    signing: SigningArgs,
    /// Web origins allowed to send events from a browser, comma-separated
    /// (default: any in the demo profile, none otherwise).
    #[arg(long, value_name = "ORIGINS")]
    allowed_origins: Option<String>,
    /// Write buffered events to the bucket once the oldest is this many seconds old.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    flush_secs: u64,
    /// Variants larger than this many bytes are answered with a redirect to
    /// the stored object (cloud profiles; the demo store always sends bytes).
    #[arg(long, default_value_t = RedirectPolicy::default().above_bytes)]
    redirect_above: u64,
}

pub async fn run(ctx: &Context, args: ServeArgs) -> Result<ExitCode> {
    // Bad signing keys stop the server before it opens anything.
    let signing = args.signing.policy()?;
    let stack = ctx.stack().await?;
    let catalog = PresetCatalog::load(&stack.db).await?;
    let images = Arc::new(ImageFunction {
        service: VariantService::new(Arc::clone(&stack.media), Limits::default()),
        catalog: tokio::sync::RwLock::new(catalog),
        signing,
        redirect: RedirectPolicy {
            above_bytes: args.redirect_above,
            ..RedirectPolicy::default()
        },
    });
    // The demo page posts from its own origin; other pages must be listed
    // for a cloud profile, so a local collector is not open to any site.
    let origins = match (&args.allowed_origins, stack.profile.is_demo()) {
        (Some(list), _) => AllowedOrigins::parse(list),
        (None, true) => AllowedOrigins::Any,
        (None, false) => AllowedOrigins::List(Vec::new()),
    };
    let flush_after = Duration::from_secs(args.flush_secs);
    let events = Arc::new(CollectorFunction::new(
        Arc::clone(&stack.events),
        CollectorConfig {
            max_age: flush_after,
            ..CollectorConfig::default()
        },
        FlushPolicy::Timer,
        origins,
    ));
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    println!("serving profile `{}` at http://{addr}", stack.profile.name);
    println!(
        "  images: http://{addr}/img/<preset>/<original key>   (presets: `stratus image presets`)"
    );
    println!(
        "  events: http://{addr}/v1/batch  (also /v1/track, Segment /v1/batch, PostHog /batch/ /capture/ /e/) -> {}",
        stack.events.location()
    );
    println!("  tracker: http://{addr}/t.js");
    println!(
        "  demo page: http://{addr}/demo   (then `stratus events sync` and `stratus events query`)"
    );
    println!(
        "  events are written to the bucket {}s after they arrive; Ctrl-C writes the rest and stops",
        args.flush_secs
    );
    let timer = spawn_flush_timer(
        Arc::clone(&events),
        (flush_after / 4).max(Duration::from_millis(250)),
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let app = functions_router(Some(images), Some(Arc::clone(&events))).merge(demo_routes());
    let served = stratus_gateway::serve(listener, app, shutdown).await;
    timer.abort();
    // Nothing accepted is lost on a clean stop.
    let written = events.collector.flush().await?;
    if !written.is_empty() {
        println!("wrote {} batch object(s) on shutdown", written.len());
    }
    served?;
    Ok(ExitCode::SUCCESS)
}
