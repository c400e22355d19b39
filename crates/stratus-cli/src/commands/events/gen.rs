//! `stratus events gen`: realistic shop traffic written into the active
//! profile's events bucket as real gzipped batches, for load tests and
//! benchmarks. Deterministic for a seed.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use stratus_core::clock::now_millis;
use stratus_events::collector::batch_key::EVENTS_PREFIX;
use stratus_events::demo::gen::{generate, GenSpec};
use stratus_events::sync::ledger;

use super::filter_args::parse_time;
use crate::context::Context;

#[derive(Args)]
pub struct GenArgs {
    /// About this many events (whole sessions, so a few more).
    #[arg(long, default_value_t = 100_000)]
    events: u64,
    /// Spread over this many customers, cust-00001 up.
    #[arg(long, default_value_t = 1000)]
    customers: u32,
    /// Over this many days before --end.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// End of the traffic (same forms as --since of `query`; default now).
    #[arg(long, value_name = "TIME")]
    end: Option<String>,
    /// Events per batch object.
    #[arg(long, default_value_t = 2000)]
    batch_events: usize,
    /// Another seed gives other events (and other event ids).
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub async fn run(ctx: &Context, args: GenArgs) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let now = now_millis();
    let end = match &args.end {
        Some(t) => parse_time(t, now)?,
        None => now,
    };
    let spec = GenSpec {
        batch_events: args.batch_events.max(1),
        seed: args.seed,
        ..GenSpec::new(args.events, args.customers, args.days, end)
    };
    let started = Instant::now();
    let report = generate(Arc::clone(&stack.events), &spec).await?;
    let seconds = started.elapsed().as_secs_f64();
    // The batches are keyed over the past (or future) days, behind a cache's
    // watermark: the next incremental sync lists from the earliest of them.
    if let Some(first) = report.first_key.clone() {
        stack
            .db
            .call(move |c| -> stratus_events::Result<_> {
                Ok(ledger::lower_watermark(c, EVENTS_PREFIX, &first)?)
            })
            .await?;
    }
    println!(
        "generated {} events in {} objects ({} KiB gzipped) into {} in {:.1}s",
        report.events,
        report.objects,
        report.bytes / 1024,
        stack.events.location(),
        seconds
    );
    Ok(ExitCode::SUCCESS)
}
