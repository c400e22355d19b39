//! `stratus events sync`: one incremental sync of the events bucket into the
//! profile's cache, then the cache pruned to the profile's retention (the
//! app's sync job, `stratus_app::events_sync`). Ctrl-C stops before the next
//! object; every object is ingested in one transaction, so what was synced
//! stays and a rerun resumes.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use stratus_app::events_sync::CacheSync;
use stratus_core::jobs::CancellationToken;
use stratus_events::sync::autosync::SyncGate;
use stratus_events::sync::{SyncOptions, SyncReport};

use crate::commands::progress::TerminalProgress;
use crate::context::Context;

#[derive(Args)]
pub struct SyncArgs {
    /// List the whole bucket instead of resuming from the watermark
    /// (unchanged objects are still skipped). Syncs also do this by
    /// themselves every 6 hours, to find objects written behind the
    /// watermark (backfills).
    #[arg(long)]
    full: bool,
    /// Objects downloaded at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Hours listed again behind the watermark, for batches that land late.
    #[arg(long, default_value_t = 2)]
    lookback_hours: u32,
    /// Pause after each object (ms), leaving bandwidth to others; tests use
    /// it to kill a sync part way.
    #[arg(long, hide = true)]
    pace_ms: Option<u64>,
}

pub async fn run(ctx: &Context, args: SyncArgs) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let cache = CacheSync::new(&ctx.home, &stack)?.with_options(SyncOptions {
        full: args.full,
        concurrency: usize::from(args.concurrency),
        lookback_hours: args.lookback_hours,
        pace: args.pace_ms.map(std::time::Duration::from_millis),
        ..SyncOptions::default()
    });
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    // A bar for a person at a terminal; scripts get the summary line only.
    let bar = std::io::stdout().is_terminal().then(TerminalProgress::new);
    let started = Instant::now();
    // Nothing else in this process syncs: a gate of its own.
    let gate = SyncGate::new();
    let outcome = cache
        .run(
            &gate,
            |p| {
                if let Some(bar) = &bar {
                    bar.update(p);
                }
            },
            &cancel,
        )
        .await;
    watcher.abort();
    if let Some(bar) = &bar {
        bar.finish();
    }
    let seconds = started.elapsed().as_secs_f64();
    match outcome {
        Ok(synced) => {
            let report = &synced.report;
            println!("{}", summary(report, seconds));
            if let Some(note) = synced.pruned_note() {
                println!("{note}");
            }
            if report.future_keys + report.out_of_layout_keys > 0 {
                println!(
                    "note: {} object(s) keyed in the future and {} out of the dt=/hh= layout were ingested but do not move the watermark (see `stratus events status`)",
                    report.future_keys, report.out_of_layout_keys
                );
            }
            if report.cancelled {
                println!("cancelled: what was synced is kept; run again to resume");
                return Ok(ExitCode::from(130));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(stratus_events::Error::Cancelled) => {
            println!("cancelled while listing: nothing changed; run again to resume");
            Ok(ExitCode::from(130))
        }
        Err(e) => Err(e.into()),
    }
}

fn summary(r: &SyncReport, seconds: f64) -> String {
    let rate = if seconds > 0.0 {
        (r.events_inserted + r.duplicates) as f64 / seconds
    } else {
        0.0
    };
    format!(
        "synced {} objects ({} listed{}, {} unchanged): {} new events, {} duplicates, {} bad lines, {} KiB in {:.1}s ({:.0} events/s)",
        r.ingested,
        r.listed,
        if r.listed_everything {
            " in a complete listing"
        } else {
            ""
        },
        r.skipped,
        r.events_inserted,
        r.duplicates,
        r.bad_lines,
        r.bytes / 1024,
        seconds,
        rate
    )
}
