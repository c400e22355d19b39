//! `stratus events query`: one keyset page of the cache, newest first, as a
//! table or as NDJSON. The cursor of the next page goes to stderr, so
//! stdout stays clean for scripts.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde_json::{json, Value};
use stratus_events::browse::page::events_page;
use stratus_events::browse::rows::{EventRecord, MAX_PAGE};

use super::filter_args::{format_time, FilterArgs};
use crate::context::Context;

#[derive(Args)]
pub struct QueryArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Events per page.
    #[arg(long, short = 'n', default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=MAX_PAGE as i64))]
    limit: u16,
    /// Continue after this cursor (printed after a full page).
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Context, args: QueryArgs) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let filter = args.filter.filter_in(&stack.db).await?;
    let limit = usize::from(args.limit);
    let after = args.after.clone();
    let page = stack
        .db
        .call(move |c| events_page(c, &filter, after.as_deref(), limit))
        .await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        for e in &page.events {
            writeln!(out, "{}", record_json(e))?;
        }
    } else {
        write_table(&mut out, &page.events)?;
    }
    out.flush()?;
    match &page.next {
        Some(cursor) => eprintln!("more: --after {cursor}"),
        None if !args.json => eprintln!("({} events, end of results)", page.events.len()),
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn record_json(e: &EventRecord) -> Value {
    json!({
        "event_id": e.event_id,
        "ts": format_time(e.ts),
        "event": e.event,
        "type": e.kind,
        "distinct_id": e.distinct_id,
        "anonymous_id": e.anonymous_id,
        "session_id": e.session_id,
        "url": e.url,
        "properties": serde_json::from_str::<Value>(&e.properties).unwrap_or(Value::Null),
    })
}

/// Columns sized to the page's content, long cells cut with `…`.
fn write_table(out: &mut impl Write, events: &[EventRecord]) -> std::io::Result<()> {
    let rows: Vec<[String; 5]> = events
        .iter()
        .map(|e| {
            [
                format_time(e.ts),
                e.event.clone(),
                e.distinct_id
                    .clone()
                    .or_else(|| e.anonymous_id.clone())
                    .unwrap_or_default(),
                e.url.clone().unwrap_or_default(),
                e.properties.clone(),
            ]
        })
        .collect();
    let header = ["TIME (UTC)", "EVENT", "CUSTOMER", "URL", "PROPERTIES"];
    let caps = [24, 28, 20, 40, 60];
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count().min(caps[i]));
        }
    }
    let line = |cells: [&str; 5]| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:<w$}", cut(c, caps[i]), w = widths[i]))
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(header))?;
    for row in &rows {
        writeln!(
            out,
            "{}",
            line([&row[0], &row[1], &row[2], &row[3], &row[4]])
        )?;
    }
    Ok(())
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}
