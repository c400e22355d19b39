//! Launching a campaign in the cloud, as the app's launch dialog and
//! `stratus campaign launch --cloud` both do: where the profile's cloud
//! workers are (its deploy record, or variables naming a stack made by
//! hand), whether the profile can run in the cloud at all (the dialog
//! offers it only then, else says why), and the launch itself.

use stratus_campaigns::cloud::{
    self, CloudLaunch, CloudRun, CloudRunState, CloudServices, CloudTarget,
};
use stratus_core::clock::now_millis;
use stratus_core::home::AppHome;
use stratus_core::stack::Stack;
use stratus_deploy::record::DeploymentRecord;

use crate::Error;

/// Variables naming a campaign worker's stack made by hand or in an
/// emulator; each one wins over the deploy record.
pub const TABLE_ENV: &str = "STRATUS_CAMPAIGN_TABLE";
pub const QUEUE_ENV: &str = "STRATUS_CAMPAIGN_QUEUE_URL";
pub const WORKERS_ENV: &str = "STRATUS_CAMPAIGN_WORKERS";
pub const SCHEDULER_ROLE_ENV: &str = "STRATUS_CAMPAIGN_SCHEDULER_ROLE";

/// Workers of a deploy that did not record its count (the template's default).
const DEFAULT_WORKERS: u32 = 2;

/// The profile's campaign workers: the table and queue `stratus deploy`
/// (or the app's deploy) recorded, or the variables above.
pub fn target(home: &AppHome, profile: &str) -> Result<CloudTarget, Error> {
    let record = DeploymentRecord::load(home, profile)?;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let table = var(TABLE_ENV).or_else(|| record.as_ref().and_then(|r| r.campaign_table.clone()));
    let queue_url =
        var(QUEUE_ENV).or_else(|| record.as_ref().and_then(|r| r.campaign_queue_url.clone()));
    let workers = var(WORKERS_ENV)
        .and_then(|v| v.parse().ok())
        .or_else(|| record.as_ref().and_then(|r| r.campaign_workers))
        .unwrap_or(DEFAULT_WORKERS);
    let scheduler_role = var(SCHEDULER_ROLE_ENV).or_else(|| {
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
        _ => Err(Error::CloudUnavailable(format!(
            "profile “{profile}” has no campaign worker deployed: deploy it (Settings → Deploy, or `stratus deploy`), which creates the worker, its queue and marks table"
        ))),
    }
}

/// The profile's AWS configuration; cloud runs need a cloud profile.
pub fn sdk(stack: &Stack) -> Result<&cloud::SdkConfig, Error> {
    stack.sdk.as_ref().ok_or_else(|| {
        Error::CloudUnavailable(
            "the demo profile sends from this computer: cloud runs need a cloud profile with a deployed stack".into(),
        )
    })
}

/// The services of the profile's cloud runs.
pub fn services(home: &AppHome, stack: &Stack) -> Result<CloudServices, Error> {
    let sdk = sdk(stack)?;
    let target = target(home, &stack.profile.name)?;
    Ok(CloudServices::new(sdk, &target, stack.events.clone()))
}

/// Whether "run in the cloud" can be offered for the open profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudAvailability {
    /// The deployed workers, sharing a campaign's rate.
    Ready { workers: u32 },
    /// Why not, in one sentence the dialog shows.
    Unavailable(String),
}

pub fn availability(home: &AppHome, stack: &Stack) -> CloudAvailability {
    match services(home, stack) {
        Ok(services) => CloudAvailability::Ready {
            workers: services.workers,
        },
        Err(e) => CloudAvailability::Unavailable(stratus_core::CodedError::message(&e)),
    }
}

/// Hands the campaign (a draft, or one whose upload stopped halfway) to
/// the profile's cloud workers. What the workers cannot honour yet is
/// refused (`invalid_campaign`, with the reason) before anything is uploaded.
pub async fn launch(
    home: &AppHome,
    stack: &Stack,
    campaign_id: &str,
) -> Result<CloudLaunch, Error> {
    let services = services(home, stack)?;
    Ok(cloud::launch(&stack.db, &services, campaign_id, now_millis()).await?)
}

/// The state of the campaign's round the workers still own, if any
/// (`Uploading`: a launch stopped halfway; launching again finishes it).
pub async fn active_round(
    stack: &Stack,
    campaign_id: &str,
) -> Result<Option<CloudRunState>, Error> {
    let latest = cloud::runs::latest(&stack.db, campaign_id).await?;
    Ok(latest.filter(CloudRun::is_active).map(|r| r.state))
}
