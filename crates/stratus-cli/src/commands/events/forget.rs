//! `stratus events forget <id> --by <who>`: a GDPR/CCPA erasure of the
//! person an id belongs to — their lines in every batch object of the
//! bucket, their cached events, identity graph entries and customer row —
//! with a record of the request kept in the profile.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use indicatif::ProgressBar;
use stratus_core::jobs::CancellationToken;
use stratus_events::privacy::erase::erase_person;

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
    let bar = ProgressBar::new(0);
    let report = erase_person(
        &stack.db,
        stack.events.clone(),
        &args.id,
        &args.by,
        // The customer list is the campaigns capability's: asked through it.
        Box::new(stratus_campaigns::customer::forget),
        |p| {
            if let Some(total) = p.total {
                bar.set_length(total);
            }
            bar.set_position(p.done);
            bar.set_message(p.message);
        },
        &CancellationToken::new(),
    )
    .await?;
    bar.finish_and_clear();
    println!(
        "erased {} ({}): {} lines from {} batch objects ({} rewritten, {} deleted), {} cached events, \
         {} links, {} ids, {} customer rows; request #{} recorded",
        report.person,
        report.ids.join(", "),
        report.lines_removed,
        report.objects_read,
        report.objects_rewritten,
        report.objects_deleted,
        report.events_deleted,
        report.links_deleted,
        report.identities_deleted,
        report.directory_rows_deleted,
        report.request_id
    );
    Ok(ExitCode::SUCCESS)
}
