//! Boundary types of running a campaign in the cloud.

use serde::Serialize;
use stratus_app::campaign_runs::CloudAvailability;
use stratus_campaigns::cloud::CloudLaunch;
use ts_rs::TS;

/// Whether the launch dialog offers "Run in the cloud", and why not.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CloudStatusView {
    pub available: bool,
    /// The deployed workers sharing a campaign's rate (when available).
    pub workers: Option<u32>,
    /// Why not, in one sentence (when not available).
    pub reason: Option<String>,
}

impl From<CloudAvailability> for CloudStatusView {
    fn from(a: CloudAvailability) -> Self {
        match a {
            CloudAvailability::Ready { workers } => CloudStatusView {
                available: true,
                workers: Some(workers),
                reason: None,
            },
            CloudAvailability::Unavailable(reason) => CloudStatusView {
                available: false,
                workers: None,
                reason: Some(reason),
            },
        }
    }
}

/// What a launch in the cloud did.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CloudLaunchView {
    pub run_id: String,
    /// Recipients handed to the workers.
    #[ts(type = "number")]
    pub recipients: u64,
    pub chunks: u32,
    /// Recipients settled on this computer (not eligible, no message).
    #[ts(type = "number")]
    pub settled_here: u64,
    /// It starts later, from its schedule.
    pub scheduled: bool,
}

impl From<CloudLaunch> for CloudLaunchView {
    fn from(l: CloudLaunch) -> Self {
        CloudLaunchView {
            run_id: l.run_id,
            recipients: l.recipients,
            chunks: l.chunks,
            settled_here: l.settled_here,
            scheduled: l.scheduled,
        }
    }
}
