//! Opening a profile's stack, the same way in the app and the CLI.

use stratus_core::home::AppHome;
use stratus_core::profile::{Profile, ProfileBook};
use stratus_core::stack::Stack;
use stratus_core::Failure;

use crate::demo;

/// Opens `profile`: the demo profile is seeded with what it misses (all of
/// it on first use); a cloud profile is opened as it is.
pub async fn open(home: &AppHome, profile: Profile) -> Result<Stack, Failure> {
    if profile.is_demo() {
        stratus_core::demo::open_seeded(home, &demo::steps()).await
    } else {
        Ok(Stack::open(home, profile).await?)
    }
}

/// The active profile, opened. A front end that must start (the app) gets
/// the demo profile instead when the profiles file is unreadable or the
/// active profile cannot be opened; the reason is logged.
pub async fn open_active_or_demo(home: &AppHome) -> Result<Stack, Failure> {
    let active = ProfileBook::load(home)
        .map(|b| b.active())
        .unwrap_or_else(|e| {
            tracing::warn!("profiles unreadable, starting in demo mode: {e}");
            Profile::demo()
        });
    match open(home, active).await {
        Ok(stack) => Ok(stack),
        Err(e) => {
            tracing::warn!("active profile could not be opened, starting in demo mode: {e}");
            open(home, Profile::demo()).await
        }
    }
}
