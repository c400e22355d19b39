//! `stratus serve`: the serverless functions on this machine, against the
//! active profile's buckets (demo folders or the cloud): the image function,
//! the event collector and a demo page to make events.
//!
//! The collector answers "accepted" only once the events are in its local
//! spool on disk (fsync'd); the spool's uploader writes them to the bucket
//! in the background and a restart writes whatever a crash left. SIGTERM
//! and SIGINT stop cleanly (requests in flight finish, the spool is written
//! out); a second signal stops at once, and the spool keeps what is left.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::Args;
use stratus_events::collector::spool::{Spool, SpoolConfig};
use stratus_events::collector::write_keys::{list_keys, KeyRing};
use stratus_events::collector::CollectorConfig;
use stratus_gateway::inbox::{InboxFunction, InboxSecret};
use stratus_gateway::tracker::demo_routes;
use stratus_gateway::{
    functions_router, AllowedHosts, AllowedOrigins, CollectorFunction, FlushPolicy, ImageFunction,
    RedirectPolicy, ServeOptions, TrustedProxies,
};
use stratus_media::published::CatalogSource;
use stratus_media::{Limits, PresetCatalog, VariantService};

use super::signing_keys::SigningArgs;
use crate::context::Context;

/// Threads of the blocking pool while serving (tokio's default is 512). A
/// hit of a local object is one short blocking call (open, fstat, read);
/// renders are bounded by their pixel budget and two cores run two at a
/// time anyway; nothing served waits on another blocking call. Beyond this
/// many, blocking work queues instead of growing the process by a thread
/// per request in flight.
pub const BLOCKING_THREADS: usize = 16;

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
    /// Host names the server answers to besides its own address (and
    /// `localhost`), comma-separated: e.g. the name a reverse proxy uses.
    /// Other `Host` headers get 421 (DNS rebinding).
    #[arg(long, value_name = "HOSTS", value_delimiter = ',')]
    allowed_hosts: Vec<String>,
    /// A proxy whose `X-Forwarded-For` names the client (address or CIDR
    /// range; repeat or comma-separate). Without it the header is ignored.
    #[arg(long, value_name = "IP", value_delimiter = ',')]
    trusted_proxy: Vec<String>,
    /// Spooled events are written to the bucket once the oldest is this many seconds old.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    flush_secs: u64,
    /// Where accepted events wait on disk for the bucket
    /// (default: `collector-spool` in the profile's directory).
    #[arg(long, value_name = "DIR")]
    spool_dir: Option<std::path::PathBuf>,
    /// Bytes of accepted events waiting for the bucket before requests get
    /// 503 with Retry-After.
    #[arg(long, default_value_t = 256 * 1024 * 1024, value_name = "BYTES")]
    spool_max_bytes: u64,
    /// A request's line and headers must arrive within this (e.g. `10s`,
    /// `500ms`); also how long an idle kept-alive connection stays open.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    header_timeout: Duration,
    /// A request's body must arrive within this.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    body_timeout: Duration,
    /// A connection that moves no byte either way for this long is closed.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// Open connections at most; more wait until one closes.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// On SIGTERM/Ctrl-C, requests in flight get this long to finish.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    shutdown_grace: Duration,
    /// On SIGTERM/Ctrl-C, how long to keep writing spooled events to the
    /// bucket before stopping (what is left is written at the next start).
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    drain_timeout: Duration,
    /// Variants larger than this many bytes are answered with a redirect to
    /// the stored object (cloud profiles; the demo store always sends bytes).
    #[arg(long, default_value_t = RedirectPolicy::default().above_bytes)]
    redirect_above: u64,
    /// How often the collector re-reads the profile's write keys: a key
    /// created or revoked meanwhile (app or CLI) counts within this.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    keys_refresh: Duration,
}

/// `250ms`, `10s`, `2m` (a bare number is seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 500ms, 10s or 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!(
            "`{text}` is not a duration such as 500ms, 10s or 2m"
        )),
    }
}

/// The demo page posts from its own origin; other pages must be listed
/// for a cloud profile, so a local collector is not open to any site.
fn allowed_origins(args: &ServeArgs, demo: bool) -> AllowedOrigins {
    match (&args.allowed_origins, demo) {
        (Some(list), _) => AllowedOrigins::parse(list),
        (None, true) => AllowedOrigins::Any,
        (None, false) => AllowedOrigins::List(Vec::new()),
    }
}

pub async fn run(ctx: &Context, args: ServeArgs) -> Result<ExitCode> {
    // Bad signing keys stop the server before it opens anything.
    let signing = args.signing.policy()?;
    let stack = ctx.stack().await?;
    let catalog = PresetCatalog::load(&stack.db).await?;
    let images = Arc::new(ImageFunction {
        service: VariantService::new(Arc::clone(&stack.media), Limits::default()),
        catalog: CatalogSource::fixed(catalog),
        signing,
        redirect: RedirectPolicy {
            above_bytes: args.redirect_above,
            ..RedirectPolicy::default()
        },
    });
    let origins = allowed_origins(&args, stack.profile.is_demo());
    let trusted = TrustedProxies::parse(args.trusted_proxy.iter().map(String::as_str))?;
    let spool_dir = args.spool_dir.clone().unwrap_or_else(|| {
        ctx.home
            .profile_dir(&stack.profile.name)
            .join("collector-spool")
    });
    let spool = Arc::new(Spool::open(SpoolConfig {
        max_queue_bytes: args.spool_max_bytes,
        seal_after: Duration::from_secs(args.flush_secs),
        ..SpoolConfig::new(spool_dir)
    })?);
    let waiting = spool.queued_bytes();
    let uploader = spool.start_uploader(Arc::clone(&stack.events));
    let config = CollectorConfig::default();
    let max_body_bytes = config.max_request_bytes as u64;
    let events = Arc::new(
        CollectorFunction::new(
            Arc::clone(&stack.events),
            config,
            FlushPolicy::Spool(Arc::clone(&spool)),
            origins,
        )
        .with_trusted_proxies(trusted)
        // The profile's own keys: none (the offline demo) takes any sender.
        .with_write_keys(KeyRing::profile(stack.db.clone(), args.keys_refresh)),
    );
    let keys = list_keys(&stack.db).await?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    let options = ServeOptions {
        header_timeout: args.header_timeout,
        body_timeout: args.body_timeout,
        idle_timeout: args.idle_timeout,
        max_connections: args.max_connections,
        max_body_bytes,
        shutdown_grace: args.shutdown_grace,
        hosts: AllowedHosts::for_bind(addr.ip(), &args.allowed_hosts),
    };
    println!("serving profile `{}` at http://{addr}", stack.profile.name);
    println!(
        "  images: http://{addr}/img/<preset>/<original key>   (presets: `stratus image presets`)"
    );
    println!(
        "  events: http://{addr}/v1/batch  (also /v1/track, Segment /v1/batch, PostHog /batch/ /capture/ /e/) -> {}",
        stack.events.location()
    );
    if keys.is_empty() {
        println!(
            "  write keys: none, so any sender is taken (`stratus events keys create` adds one)"
        );
    } else {
        println!(
            "  write keys: required ({} in the profile; `stratus events keys list`); the demo page takes one as /demo?key=<browser key token>",
            keys.len()
        );
    }
    println!("  tracker: http://{addr}/t.js");
    println!(
        "  demo page: http://{addr}/demo   (then `stratus events sync` and `stratus events query`)"
    );
    println!(
        "  accepted events are kept in {} and written to the bucket within about {}s; Ctrl-C writes the rest and stops",
        spool.dir().display(),
        args.flush_secs
    );
    if waiting > 0 {
        println!("  writing {waiting} bytes of events spooled by an earlier run");
    }
    let mut app = functions_router(Some(images), Some(Arc::clone(&events))).merge(demo_routes());
    // The in-app inbox, when there is a secret to check its tokens with.
    match std::env::var("STRATUS_INBOX_SECRET") {
        Ok(secret) if !secret.trim().is_empty() => {
            let inbox = InboxFunction {
                store: Arc::clone(&stack.events),
                keys: KeyRing::profile(stack.db.clone(), args.keys_refresh),
                secret: InboxSecret::new(&secret).map_err(anyhow::Error::msg)?,
                origins: allowed_origins(&args, stack.profile.is_demo()),
            };
            app = app.merge(stratus_gateway::inbox::routes(Arc::new(inbox)));
            println!("  in-app inbox: http://{addr}/v1/inbox  (X-Stratus-Customer + X-Stratus-Inbox-Token; `stratus push inbox-token`)");
        }
        _ => println!("  in-app inbox: off (set STRATUS_INBOX_SECRET to serve /v1/inbox)"),
    }
    let served = stratus_gateway::serve(listener, app, options, stop_signal()).await;
    // Nothing accepted is lost on a clean stop: it is on disk already, and
    // written to the bucket now if the bucket answers.
    let written = spool.drain(args.drain_timeout).await?;
    uploader.abort();
    if written {
        println!("stopped; every accepted event is in the bucket");
    } else {
        println!(
            "stopped; {} bytes of accepted events stay in {} and are written at the next start",
            spool.queued_bytes(),
            spool.dir().display()
        );
    }
    served?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on the first SIGINT or SIGTERM. A second one ends the process
/// at once: what was accepted is already on disk.
async fn stop_signal() {
    let (first, stop) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut signals = match Signals::new() {
            Ok(signals) => signals,
            Err(e) => {
                eprintln!("cannot listen for stop signals: {e}");
                return;
            }
        };
        signals.next().await;
        println!(
            "stopping: finishing requests and writing the spool (signal again to stop at once)"
        );
        let _ = first.send(());
        signals.next().await;
        eprintln!("stopped at once; accepted events stay spooled for the next start");
        std::process::exit(130);
    });
    let _ = stop.await;
}

/// SIGINT (Ctrl-C) and SIGTERM (`kill`, systemd, containers), listened to
/// from the start so none is missed between the first and the second.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    #[cfg(unix)]
    async fn next(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }

    #[cfg(not(unix))]
    fn new() -> std::io::Result<Self> {
        Ok(Signals {})
    }

    #[cfg(not(unix))]
    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5h").is_err());
    }
}
