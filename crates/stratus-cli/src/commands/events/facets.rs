//! `stratus events facets`: what the filtered events hold — counts by event
//! name and the property keys seen, or, with `--property KEY`, the top
//! values of that key (the Events section's facet panel).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use stratus_events::browse::facets::{facets, property_keys, property_values, FacetOptions};

use super::filter_args::FilterArgs;
use crate::context::Context;

#[derive(Args)]
pub struct FacetsArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// The top values of this property key instead of the names and keys.
    #[arg(long, value_name = "KEY")]
    property: Option<String>,
    /// How many values (or names and keys) at most.
    #[arg(long, short = 'n', default_value_t = 20)]
    top: usize,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Context, args: FacetsArgs) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let filter = args.filter.filter_in(&stack.db).await?;
    let options = FacetOptions {
        top_events: args.top.max(1),
        ..FacetOptions::default()
    };
    let mut out = std::io::stdout().lock();
    if let Some(key) = args.property {
        let facet = stack
            .db
            .read(move |c| property_values(c, &filter, &key, options))
            .await?;
        if args.json {
            writeln!(out, "{}", json!(facet))?;
        } else {
            writeln!(
                out,
                "{}: {} of {} events carry it",
                facet.key, facet.with_key, facet.events
            )?;
            for (value, n) in &facet.values {
                writeln!(out, "  {n:>8}  {value}")?;
            }
        }
    } else {
        let (counts, keys) = stack
            .db
            .read(move |c| -> stratus_events::Result<_> {
                Ok((
                    facets(c, &filter, options)?,
                    property_keys(c, &filter, options)?,
                ))
            })
            .await?;
        if args.json {
            writeln!(
                out,
                "{}",
                json!({"by_event": counts.by_event, "property_keys": keys})
            )?;
        } else {
            writeln!(out, "events by name:")?;
            for (name, n) in &counts.by_event {
                writeln!(out, "  {n:>8}  {name}")?;
            }
            writeln!(out, "property keys (newest events):")?;
            for (key, n) in &keys {
                writeln!(out, "  {n:>8}  {key}")?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
