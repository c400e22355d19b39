//! Demo data: the one list of seed steps (every capability's, core first),
//! seeding and the reset job body.

use stratus_core::demo::{self, SeedReport, SeedStep};
use stratus_core::home::AppHome;
use stratus_core::jobs::{CancellationToken, Progress};
use stratus_core::profile::Profile;
use stratus_core::stack::Stack;
use stratus_core::{Error, Failure};

/// Every capability's demo seed steps, core first.
pub fn steps() -> Vec<SeedStep> {
    let mut steps = demo::core_steps();
    steps.extend(stratus_media::demo::demo_steps());
    steps.extend(stratus_events::demo::demo_steps());
    steps.extend(stratus_campaigns::demo::demo_steps());
    steps
}

/// The demo stack after seeding, and what the seeding did.
pub struct Seeded {
    pub stack: Stack,
    pub report: SeedReport,
}

impl Seeded {
    /// How a reset job ends.
    pub fn reset_summary(&self) -> String {
        format!("demo data reset ({} seed steps)", self.report.applied.len())
    }
}

/// Adds the demo data that is missing (safe to run again). A failing step
/// keeps its capability's code.
pub async fn seed(
    home: &AppHome,
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<Seeded, Failure> {
    let stack = Stack::open(home, Profile::demo()).await?;
    let report = demo::seed(&stack, &steps(), progress, cancel).await?;
    Ok(Seeded { stack, report })
}

/// The seed steps this demo stack still misses (none for a cloud profile).
pub async fn missing_steps(stack: &Stack) -> Result<Vec<&'static str>, Failure> {
    if !stack.profile.is_demo() {
        return Ok(Vec::new());
    }
    Ok(demo::pending_steps(stack, &steps()).await?)
}

/// Seeds what an open demo stack misses: the app's start-up job
/// ("Preparing demo data"), run after its window shows.
pub async fn seed_stack(
    stack: &Stack,
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<String, Failure> {
    let report = demo::seed(stack, &steps(), progress, cancel).await?;
    Ok(format!(
        "demo data ready ({} seed steps)",
        report.applied.len()
    ))
}

/// Deletes all demo data, including changes to it, and seeds afresh. The
/// caller moves to the returned stack if it was working on demo (handles to
/// the old database keep the deleted file).
pub async fn reset(
    home: &AppHome,
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<Seeded, Failure> {
    progress(Progress::new(0, None, "deleting demo data"));
    demo::wipe(home).await?;
    if cancel.is_cancelled() {
        return Err(Error::Cancelled.into());
    }
    seed(home, progress, cancel).await
}
