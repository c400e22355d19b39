//! `stratus events export`: every matching event, oldest first, streamed
//! from a separate read connection to a file or stdout: no row cap, constant
//! memory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _, Result};
use clap::{Args, ValueEnum};
use stratus_events::browse::export::{export, ExportFormat};

use super::filter_args::FilterArgs;
use crate::context::Context;

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// One row per event; cells that a spreadsheet would run as a formula are escaped.
    Csv,
    /// The stored envelopes, one JSON object per line.
    Ndjson,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    filter: FilterArgs,
    #[arg(long, value_enum)]
    format: Format,
    /// Write to this file (default: stdout).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub async fn run(ctx: &Context, args: ExportArgs) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let filter = args.filter.filter_in(&stack.db).await?;
    // A reader of its own: a long export never holds the sync's writer.
    let conn = stack.db.open_reader()?;
    let format = match args.format {
        Format::Csv => ExportFormat::Csv,
        Format::Ndjson => ExportFormat::Ndjson,
    };
    let output = args.output.clone();
    let count = tokio::task::spawn_blocking(move || -> Result<u64> {
        let out: Box<dyn Write> = match &output {
            Some(path) => Box::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            ),
            None => Box::new(std::io::stdout().lock()),
        };
        let mut out = BufWriter::with_capacity(1 << 16, out);
        let count = export(&conn, &filter, format, &mut out)?;
        out.flush()?;
        Ok(count)
    })
    .await
    .map_err(|e| anyhow!("export task failed: {e}"))??;
    match &args.output {
        Some(path) => eprintln!("exported {count} events to {}", path.display()),
        None => eprintln!("exported {count} events"),
    }
    Ok(ExitCode::SUCCESS)
}
