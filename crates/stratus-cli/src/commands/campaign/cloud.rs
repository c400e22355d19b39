//! Cloud runs from the CLI: `launch --cloud` hands the campaign to the
//! workers the deploy created; pause, resume, cancel and pace reach them
//! through the run's control item; status catches the rows up first.

use anyhow::{anyhow, Result};
use stratus_campaigns::cloud::{self, steer, CloudServices, CloudTarget};
use stratus_campaigns::run;
use stratus_core::clock::now_millis;
use stratus_core::stack::Stack;
use stratus_deploy::record::DeploymentRecord;

use super::print;
use crate::context::Context;

/// The deployed table and queue (`stratus deploy` records them); the
/// `STRATUS_CAMPAIGN_TABLE` / `STRATUS_CAMPAIGN_QUEUE_URL` /
/// `STRATUS_CAMPAIGN_WORKERS` / `STRATUS_CAMPAIGN_SCHEDULER_ROLE`
/// variables name them instead for a stack made by hand or an emulator.
fn target(ctx: &Context, profile: &str) -> Result<CloudTarget> {
    let record = DeploymentRecord::load(&ctx.home, profile)?;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let table = var("STRATUS_CAMPAIGN_TABLE")
        .or_else(|| record.as_ref().and_then(|r| r.campaign_table.clone()));
    let queue_url = var("STRATUS_CAMPAIGN_QUEUE_URL")
        .or_else(|| record.as_ref().and_then(|r| r.campaign_queue_url.clone()));
    let workers = var("STRATUS_CAMPAIGN_WORKERS")
        .and_then(|v| v.parse().ok())
        .or_else(|| record.as_ref().and_then(|r| r.campaign_workers))
        .unwrap_or(2);
    let scheduler_role = var("STRATUS_CAMPAIGN_SCHEDULER_ROLE").or_else(|| {
        record
            .as_ref()
            .and_then(|r| r.campaign_scheduler_role.clone())
    });
    match (table, queue_url) {
        (Some(table), Some(queue_url)) => Ok(CloudTarget {
            table,
            queue_url,
            workers,
            scheduler_role,
        }),
        _ => Err(anyhow!(
            "profile `{profile}` has no campaign worker deployed: run `stratus deploy` (it creates the worker, its queue and marks table)"
        )),
    }
}

/// The profile's AWS configuration (cloud runs need a cloud profile).
fn sdk(stack: &Stack) -> Result<&cloud::SdkConfig> {
    stack.sdk.as_ref().ok_or_else(|| {
        anyhow!("cloud runs need a cloud profile; the demo profile sends from this computer")
    })
}

/// The services of the profile's cloud runs.
pub fn services(ctx: &Context, stack: &Stack) -> Result<CloudServices> {
    let target = target(ctx, &stack.profile.name)?;
    Ok(CloudServices::new(
        sdk(stack)?,
        &target,
        stack.events.clone(),
    ))
}

pub async fn launch(ctx: &Context, stack: &Stack, campaign: &str) -> Result<()> {
    let services = services(ctx, stack)?;
    let launched = cloud::launch(&stack.db, &services, campaign, now_millis()).await?;
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
