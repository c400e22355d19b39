//! `stratus events export-person <id> --out FILE --by <who>`: a GDPR/CCPA
//! access request — everything held on the person an id belongs to (their
//! customer row, cached events, identity links, campaigns and messages,
//! their lines in the bucket's batch objects, rejected ones included) in
//! one JSON file; the request is recorded in the profile.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use stratus_app::privacy::{export_person, ExportTarget};
use stratus_core::jobs::CancellationToken;

use crate::commands::progress::TerminalProgress;
use crate::context::Context;

#[derive(Args)]
pub struct ExportPersonArgs {
    /// Any id of the person: user id, anonymous id, alias.
    id: String,
    /// The file to write (JSON); it must not exist yet.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Who asked for the export (kept in the request's record).
    #[arg(long, value_name = "WHO")]
    by: String,
}

pub async fn run(ctx: &Context, args: ExportPersonArgs) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let bar = TerminalProgress::new();
    let export = export_person(
        &stack,
        &args.id,
        &args.by,
        &ExportTarget::File(args.out),
        |p| bar.update(p),
        &CancellationToken::new(),
    )
    .await?;
    bar.finish();
    println!("{}", export.summary());
    Ok(ExitCode::SUCCESS)
}
