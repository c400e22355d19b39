use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use stratus_core::demo;
use stratus_core::jobs::CancellationToken;
use stratus_core::profile::Profile;
use stratus_core::stack::Stack;

use super::progress::TerminalProgress;
use crate::context::{demo_steps, Context};

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Add the demo data that is missing (safe to run again).
    Seed,
    /// Delete all demo data, including your changes to it, and seed afresh.
    Reset,
}

pub async fn run(ctx: &Context, cmd: DemoCommand) -> Result<ExitCode> {
    if matches!(cmd, DemoCommand::Reset) {
        demo::wipe(&ctx.home).await?;
        println!("demo data deleted");
    }
    let stack = Stack::open(&ctx.home, Profile::demo()).await?;
    let bar = TerminalProgress::new();
    let report = demo::seed(
        &stack,
        &demo_steps(),
        |p| bar.update(p),
        &CancellationToken::new(),
    )
    .await?;
    bar.finish();
    println!(
        "demo seeded at {}: {} step(s) applied, {} already present",
        ctx.home.profile_dir(stratus_core::profile::DEMO).display(),
        report.applied.len(),
        report.already_applied.len()
    );
    Ok(ExitCode::SUCCESS)
}
