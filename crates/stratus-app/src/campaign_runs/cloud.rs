//! Campaigns sent by the cloud workers, as the app follows them: the rows
//! catch up from the run's marks (at most every [`CATCH_UP_EVERY`] per
//! campaign), for the run view while it is shown and for every cloud run
//! of the open profile in the background ([`CampaignRuns::follow_cloud`]),
//! so the list, the run view and the recipient table move with nobody
//! watching. A failed catch-up (offline) is logged: the app shows what the
//! rows know.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stratus_campaigns::cloud;
use stratus_core::jobs::CancellationToken;
use stratus_core::stack::Stack;

use super::CampaignRuns;
use crate::Error;

/// How often one cloud run is caught up at most (one DynamoDB query of the
/// marks changed since the last look).
pub const CATCH_UP_EVERY: Duration = Duration::from_secs(2);

/// How often the app looks for cloud runs to catch up in the background.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(3);

impl CampaignRuns {
    /// Whether the campaign runs in the cloud; catches its rows up if the
    /// last catch-up is older than [`CATCH_UP_EVERY`].
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
        if self.catch_up_due(campaign_id) {
            if let Err(e) = cloud::catch_up(&stack.db, sdk, campaign_id).await {
                tracing::warn!("cannot catch cloud run {campaign_id} up: {e}");
            }
        }
        Ok(true)
    }

    /// Whether the campaign is due a catch-up; if so, its clock restarts.
    fn catch_up_due(&self, campaign_id: &str) -> bool {
        let mut caught = self.caught_up.lock().unwrap_or_else(|p| p.into_inner());
        let due = caught
            .get(campaign_id)
            .is_none_or(|at| at.elapsed() >= CATCH_UP_EVERY);
        if due {
            caught.insert(campaign_id.to_string(), Instant::now());
        }
        due
    }

    /// Catches up every cloud run of `stack` that is due; how many runs
    /// the workers still own.
    pub async fn catch_up_all(&self, stack: &Stack) -> Result<usize, Error> {
        if stack.sdk.is_none() {
            return Ok(0);
        }
        let active = cloud::runs::active_campaigns(&stack.db).await?;
        for id in &active {
            self.catch_up_cloud(stack, id).await?;
        }
        Ok(active.len())
    }

    /// Catches up the cloud runs of the profile open at each moment
    /// (`current`: it follows profile switches) every `every`, until
    /// `stop`. The app runs it for its whole life.
    pub async fn follow_cloud<F, Fut>(&self, current: F, every: Duration, stop: CancellationToken)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Arc<Stack>>,
    {
        loop {
            let stack = current().await;
            if let Err(e) = self.catch_up_all(&stack).await {
                tracing::warn!("cannot follow the cloud runs: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.cancelled() => return,
            }
        }
    }
}
