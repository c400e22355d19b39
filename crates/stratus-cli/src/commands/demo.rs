use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use stratus_app::demo;
use stratus_core::jobs::CancellationToken;

use super::progress::TerminalProgress;
use crate::context::Context;

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Add the demo data that is missing (safe to run again).
    Seed,
    /// Delete all demo data, including your changes to it, and seed afresh.
    Reset,
}

pub async fn run(ctx: &Context, cmd: DemoCommand) -> Result<ExitCode> {
    let bar = TerminalProgress::new();
    let (progress, cancel) = (|p| bar.update(p), CancellationToken::new());
    let reset = matches!(cmd, DemoCommand::Reset);
    let seeded = if reset {
        demo::reset(&ctx.home, progress, &cancel).await?
    } else {
        demo::seed(&ctx.home, progress, &cancel).await?
    };
    bar.finish();
    if reset {
        println!("demo data deleted");
    }
    let report = &seeded.report;
    println!(
        "demo seeded at {}: {} step(s) applied, {} already present",
        ctx.home.profile_dir(stratus_core::profile::DEMO).display(),
        report.applied.len(),
        report.already_applied.len()
    );
    Ok(ExitCode::SUCCESS)
}
