//! Opening a profile's stack, the same way in the app and the CLI.

use stratus_core::home::AppHome;
use stratus_core::profile::{Profile, ProfileBook};
use stratus_core::stack::Stack;
use stratus_core::Failure;

use crate::demo;

/// When the demo profile's missing seed steps run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeding {
    /// Before the stack is returned (the CLI, a profile switch).
    Now,
    /// Not here: the caller runs them afterwards as a job
    /// ([`demo::seed_stack`]), so the app's window shows before the
    /// seconds the first seed takes.
    Later,
}

/// Opens `profile`: the demo profile is seeded with what it misses (all of
/// it on first use); a cloud profile is opened as it is.
pub async fn open(home: &AppHome, profile: Profile) -> Result<Stack, Failure> {
    open_with(home, profile, Seeding::Now).await
}

async fn open_with(home: &AppHome, profile: Profile, seeding: Seeding) -> Result<Stack, Failure> {
    if profile.is_demo() && seeding == Seeding::Now {
        stratus_core::demo::open_seeded(home, &demo::steps()).await
    } else {
        Ok(Stack::open(home, profile).await?)
    }
}

/// The active profile, opened. A front end that must start (the app) gets
/// the demo profile instead when the profiles file is unreadable or the
/// active profile cannot be opened; the reason is logged.
pub async fn open_active_or_demo(home: &AppHome, seeding: Seeding) -> Result<Stack, Failure> {
    let active = ProfileBook::load(home)
        .map(|b| b.active())
        .unwrap_or_else(|e| {
            tracing::warn!("profiles unreadable, starting in demo mode: {e}");
            Profile::demo()
        });
    match open_with(home, active, seeding).await {
        Ok(stack) => Ok(stack),
        Err(e) => {
            tracing::warn!("active profile could not be opened, starting in demo mode: {e}");
            open_with(home, Profile::demo(), seeding).await
        }
    }
}
