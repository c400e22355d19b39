//! `stratus events status`: what the app's sync status panel shows — the
//! last sync, the cache, the objects still in the bucket, bad lines, and
//! batch objects whose keys are from the future or out of the layout.

use std::process::ExitCode;

use anyhow::Result;
use stratus_events::sync::ledger::OddKeys;
use stratus_events::sync::status::sync_overview;
use stratus_events::sync::{SyncOptions, ALLOWED_SKEW};

use super::filter_args::format_time;
use crate::context::Context;

pub async fn run(ctx: &Context) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let o = sync_overview(&stack.db, stack.events.as_ref(), &SyncOptions::default()).await?;
    let s = &o.status;
    match s.last_sync_at {
        Some(at) => println!("last sync:      {}", format_time(at)),
        None => println!("last sync:      never"),
    }
    if let Some(error) = &s.last_error {
        println!("last error:     {error}");
    }
    println!(
        "cached:         {} events from {} objects",
        s.events, s.objects
    );
    match (o.objects_behind, &o.behind_error) {
        (Some(n), _) => println!("objects behind: {n}"),
        (None, Some(e)) => println!("objects behind: unknown ({e})"),
        (None, None) => println!("objects behind: unknown"),
    }
    println!("bad lines:      {}", s.bad_lines);
    println!(
        "watermark:      {}",
        s.watermark
            .as_deref()
            .unwrap_or("(none: the next sync lists everything)")
    );
    odd(
        &format!(
            "future keys (more than {} min ahead; never the watermark)",
            ALLOWED_SKEW.num_minutes()
        ),
        &s.future_keys,
    );
    odd(
        "out-of-layout keys (not dt=YYYY-MM-DD/hh=HH/)",
        &s.out_of_layout_keys,
    );
    Ok(ExitCode::SUCCESS)
}

fn odd(label: &str, keys: &OddKeys) {
    println!("{label}: {}", keys.count);
    for key in &keys.examples {
        println!("  {key}");
    }
}
