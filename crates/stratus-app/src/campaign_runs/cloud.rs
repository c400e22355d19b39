//! A run view of a campaign sent by the cloud workers: the rows catch up
//! from the run's marks (at most every [`CATCH_UP_EVERY`]), which also
//! passes the app's pause, resume, cancel and rate (written to the
//! campaign row as for a local run) on to the workers.

use std::time::{Duration, Instant};

use stratus_campaigns::cloud;
use stratus_core::stack::Stack;

use super::CampaignRuns;
use crate::Error;

/// How often a watched cloud run is caught up (one DynamoDB query of the
/// marks changed since the last look).
pub const CATCH_UP_EVERY: Duration = Duration::from_secs(2);

impl CampaignRuns {
    /// Whether the campaign runs in the cloud; catches its rows up if the
    /// last catch-up is older than [`CATCH_UP_EVERY`]. A failed catch-up
    /// (offline) is logged: the view shows what the rows know.
    pub(super) async fn catch_up_cloud(
        &self,
        stack: &Stack,
        campaign_id: &str,
    ) -> Result<bool, Error> {
        let Some(sdk) = &stack.sdk else {
            return Ok(false);
        };
        if !cloud::steer::in_cloud(&stack.db, campaign_id).await? {
            return Ok(false);
        }
        let due = {
            let mut caught = self.caught_up.lock().unwrap_or_else(|p| p.into_inner());
            let due = caught
                .get(campaign_id)
                .is_none_or(|at| at.elapsed() >= CATCH_UP_EVERY);
            if due {
                caught.insert(campaign_id.to_string(), Instant::now());
            }
            due
        };
        if due {
            if let Err(e) = cloud::catch_up(&stack.db, sdk, campaign_id).await {
                tracing::warn!("cannot catch cloud run {campaign_id} up: {e}");
            }
        }
        Ok(true)
    }
}
