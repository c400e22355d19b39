//! `stratus events forget <id> --by <who>`: a GDPR/CCPA erasure of the
//! person an id belongs to — their lines in every batch object of the
//! bucket (rejected ones under `bad/` too), their cached events, identity
//! graph entries and customer row — with a record of the request kept in
//! the profile. The same body as the app's "Delete this person" job.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use stratus_app::privacy::{erase, erasure_summary};
use stratus_core::jobs::CancellationToken;

use crate::commands::progress::TerminalProgress;
use crate::context::Context;

#[derive(Args)]
pub struct ForgetArgs {
    /// Any id of the person: user id, anonymous id, alias.
    id: String,
    /// Who asked for the erasure (kept in the request's record).
    #[arg(long, value_name = "WHO")]
    by: String,
}

pub async fn run(ctx: &Context, args: ForgetArgs) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let bar = TerminalProgress::new();
    let report = erase(
        &stack,
        &args.id,
        &args.by,
        |p| bar.update(p),
        &CancellationToken::new(),
    )
    .await?;
    bar.finish();
    println!("{}", erasure_summary(&report));
    Ok(ExitCode::SUCCESS)
}
