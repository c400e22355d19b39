//! `stratus events person <id>`: the person card of the customer an id
//! belongs to — their ids and how each was linked, traits, devices, first
//! and last seen, sessions, consent, directory fields and the campaigns
//! they received.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use stratus_campaigns::received::received_by;
use stratus_events::browse::person::{person_card, PersonCard};
use stratus_events::sync::identity::graph::ensure_built;

use super::filter_args::format_time;
use crate::context::Context;

#[derive(Args)]
pub struct PersonArgs {
    /// Any id of the customer: user id, anonymous id, alias.
    id: String,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Context, args: PersonArgs) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let id = args.id.clone();
    let found = stack
        .db
        .call(move |c| -> stratus_events::Result<_> {
            ensure_built(c)?;
            person_card(c, &id)
        })
        .await?;
    let Some(card) = found else {
        eprintln!("no customer `{}` in the cache or the directory", args.id);
        return Ok(ExitCode::FAILURE);
    };
    // Campaigns are another capability's rows: asked for by the person's ids.
    let ids: Vec<String> = card.ids.iter().map(|i| i.id.clone()).collect();
    let campaigns = stack.db.call(move |c| received_by(c, &ids)).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", json!({"person": card, "campaigns": campaigns}))?;
    } else {
        write_card(&mut out, &card)?;
        writeln!(out, "campaigns received: {}", campaigns.len())?;
        for c in &campaigns {
            writeln!(
                out,
                "  {}  {} ({})  {}{}",
                format_time(c.updated_at),
                c.name,
                c.channel,
                c.status,
                c.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_card(out: &mut impl Write, card: &PersonCard) -> std::io::Result<()> {
    writeln!(out, "person {}", card.person)?;
    let seen = |ts: Option<i64>| ts.map(format_time).unwrap_or_else(|| "-".into());
    writeln!(
        out,
        "events {}, sessions {}, first seen {}, last seen {}",
        card.events,
        card.sessions,
        seen(card.first_ts),
        seen(card.last_ts)
    )?;
    for id in &card.ids {
        writeln!(
            out,
            "  id {}{}",
            id.id,
            if id.user { " (user)" } else { "" }
        )?;
    }
    for l in &card.links {
        writeln!(
            out,
            "  {} ← {}: linked by {} on {}",
            l.id,
            l.other,
            l.kind,
            format_time(l.at)
        )?;
    }
    for t in &card.traits {
        writeln!(
            out,
            "  trait {} = {} (set {})",
            t.name,
            t.value,
            format_time(t.set_at)
        )?;
    }
    for d in &card.devices {
        writeln!(
            out,
            "  device {}: {} events, {} … {}{}",
            d.id,
            d.events,
            format_time(d.first_ts),
            format_time(d.last_ts),
            d.library
                .as_deref()
                .map(|l| format!(", {l}"))
                .unwrap_or_default()
        )?;
    }
    if let Some(d) = &card.directory {
        writeln!(
            out,
            "  directory {}: {} <{}>, level {}, {} points, {}",
            d.id,
            d.name.as_deref().unwrap_or("-"),
            d.email.as_deref().unwrap_or("-"),
            d.level.as_deref().unwrap_or("-"),
            d.points.unwrap_or(0),
            d.time_zone.as_deref().unwrap_or("-")
        )?;
    }
    for c in &card.consent {
        writeln!(out, "  consent {} = {} ({})", c.name, c.value, c.source)?;
    }
    Ok(())
}
