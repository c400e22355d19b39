//! Cloud runs from the CLI: `launch --cloud` hands the campaign to the
//! workers the deploy created; pause, resume, cancel and pace reach them
//! through the run's control item; status catches the rows up first.

use anyhow::Result;
use stratus_app::campaign_runs::cloud_launch;
use stratus_campaigns::cloud::{self, steer};
use stratus_campaigns::run;
use stratus_core::stack::Stack;

use super::print;
use crate::context::Context;

/// The profile's AWS configuration (cloud runs need a cloud profile).
fn sdk(stack: &Stack) -> Result<&cloud::SdkConfig> {
    Ok(cloud_launch::sdk(stack)?)
}

/// The deployed workers (`stratus deploy` records them; the
/// `STRATUS_CAMPAIGN_*` variables name a stack made by hand or an
/// emulator), launched the way the app's dialog launches them.
pub async fn launch(ctx: &Context, stack: &Stack, campaign: &str) -> Result<()> {
    let launched = cloud_launch::launch(&ctx.home, stack, campaign).await?;
    println!(
        "handed {} recipient(s) in {} chunk(s) to the cloud workers (run {}); {} settled here",
        launched.recipients, launched.chunks, launched.run_id, launched.settled_here
    );
    if launched.waiting > 0 {
        println!(
            "{} of them wait for their quiet hours to end (the workers send them then)",
            launched.waiting
        );
    }
    if launched.scheduled {
        println!("it starts at its scheduled time (an EventBridge schedule)");
    }
    eprintln!(
        "this computer may close now; `stratus campaign status {campaign}` shows the progress"
    );
    Ok(())
}

/// Whether the campaign has a cloud run under way: then steering goes there.
pub async fn in_cloud(stack: &Stack, campaign: &str) -> Result<bool> {
    Ok(steer::in_cloud(&stack.db, campaign).await?)
}

pub async fn pause(stack: &Stack, campaign: &str) -> Result<()> {
    steer::pause(&stack.db, sdk(stack)?, campaign).await?;
    println!("paused {campaign} (the cloud workers stop within seconds)");
    Ok(())
}

pub async fn resume(stack: &Stack, campaign: &str) -> Result<()> {
    steer::resume(&stack.db, sdk(stack)?, campaign).await?;
    println!("resumed {campaign} (paused chunks come back within a minute)");
    Ok(())
}

pub async fn cancel(stack: &Stack, campaign: &str) -> Result<()> {
    steer::cancel(&stack.db, sdk(stack)?, campaign).await?;
    println!(
        "cancelled {campaign}: the cloud workers mark who was not sent `skipped`; `stratus campaign status {campaign}` catches up"
    );
    Ok(())
}

pub async fn pace(stack: &Stack, campaign: &str, rate: f64) -> Result<()> {
    let c = steer::set_rate(&stack.db, sdk(stack)?, campaign, rate).await?;
    println!(
        "{}: {} msg/s, shared by the cloud workers",
        c.id, c.spec.rate_per_sec
    );
    Ok(())
}

/// Catches the rows up with the run's marks, then prints the progress.
pub async fn status(stack: &Stack, campaign: &str) -> Result<()> {
    let caught = cloud::catch_up(&stack.db, sdk(stack)?, campaign).await?;
    if let Some(caught) = &caught {
        println!(
            "in the cloud (run {}): {} row(s) caught up{}",
            caught.run_id,
            caught.applied,
            if caught.finished { ", finished" } else { "" }
        );
    }
    let mut progress = run::status(&stack.db, campaign).await?;
    // The workers send it, not a process here: it is not interrupted.
    progress.attached = caught.is_some_and(|c| !c.finished);
    print::status(&progress);
    Ok(())
}
