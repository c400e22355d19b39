//! `stratus events views`: saved filters support staff name and reopen
//! (the Events section's *Views*): save, list, delete; `query --view NAME`
//! and `export --view NAME` open one.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;
use stratus_events::browse::views::{delete_view, list_views, save_view, SavedView};

use super::filter_args::{format_time, FilterArgs};
use crate::context::Context;

#[derive(Subcommand)]
pub enum ViewsCommand {
    /// Save the filter given by the flags under a name (replaces a view of that name).
    Save(SaveArgs),
    /// The saved views and their filters.
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Delete a saved view.
    Delete { name: String },
}

#[derive(Args)]
pub struct SaveArgs {
    name: String,
    #[command(flatten)]
    filter: FilterArgs,
}

pub async fn run(ctx: &Context, cmd: ViewsCommand) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let mut out = std::io::stdout().lock();
    match cmd {
        ViewsCommand::Save(args) => {
            let filter = args.filter.filter_in(&stack.db).await?;
            let name = args.name;
            let view = stack.db.call(move |c| save_view(c, &name, &filter)).await?;
            writeln!(out, "saved view “{}”: {}", view.name, describe(&view))?;
        }
        ViewsCommand::List { json } => {
            let views = stack.db.call(|c| list_views(c)).await?;
            for v in &views {
                if json {
                    writeln!(
                        out,
                        "{}",
                        json!({"name": v.name, "filter": v.filter, "updated_at": format_time(v.updated_at)})
                    )?;
                } else {
                    writeln!(out, "{}  {}", v.name, describe(v))?;
                }
            }
            if views.is_empty() && !json {
                eprintln!("no saved views; `stratus events views save NAME --event …` saves one");
            }
        }
        ViewsCommand::Delete { name } => {
            let shown = name.clone();
            stack.db.call(move |c| delete_view(c, &name)).await?;
            writeln!(out, "deleted view “{}”", shown.trim())?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The view's filter in the CLI's flags.
fn describe(v: &SavedView) -> String {
    let f = &v.filter;
    let mut parts = Vec::new();
    if let Some(c) = &f.distinct_id {
        parts.push(format!("--customer {c}"));
    }
    if let Some(s) = &f.session_id {
        parts.push(format!("--session {s}"));
    }
    for e in &f.events {
        parts.push(format!("--event {e:?}"));
    }
    if let Some(t) = f.from_ms {
        parts.push(format!("--since {}", format_time(t)));
    }
    if let Some(t) = f.to_ms {
        parts.push(format!("--until {}", format_time(t)));
    }
    for (k, val) in &f.properties {
        parts.push(format!("--prop {:?}", format!("{k}={val}")));
    }
    if let Some(s) = &f.search {
        parts.push(format!("--search {s:?}"));
    }
    if parts.is_empty() {
        "(every event)".into()
    } else {
        parts.join(" ")
    }
}
