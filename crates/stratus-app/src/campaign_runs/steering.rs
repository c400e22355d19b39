//! Pause, resume, cancel and rate from the app. A campaign running in the
//! cloud is steered through its run's control item at once
//! (`cloud::steer`, as `stratus campaign pause` does), so the workers obey
//! within seconds whether or not a run view is open; any other through the
//! database, which the runner of whichever process obeys.

use std::sync::Arc;

use stratus_campaigns::campaign;
use stratus_campaigns::cloud::{steer, CloudRunState};
use stratus_campaigns::run;
use stratus_core::home::AppHome;
use stratus_core::jobs::JobRegistry;
use stratus_core::stack::Stack;

use super::{cloud_launch, CampaignRuns};
use crate::Error;

impl CampaignRuns {
    /// New sends stop: within seconds in the cloud, a quarter of a second here.
    pub async fn pause(&self, stack: &Stack, campaign_id: &str) -> Result<(), Error> {
        if steer::in_cloud(&stack.db, campaign_id).await? {
            steer::pause(&stack.db, cloud_launch::sdk(stack)?, campaign_id).await?;
        } else {
            run::pause(&stack.db, campaign_id).await?;
        }
        Ok(())
    }

    /// Resumes a paused run wherever it runs, or continues one a closed
    /// process left here (rows left in flight become `unknown`, not
    /// resent), or finishes a cloud launch whose upload stopped halfway
    /// (a chunk handed over twice is never sent twice: the marks).
    pub async fn resume(
        &self,
        home: &AppHome,
        jobs: &JobRegistry,
        stack: Arc<Stack>,
        campaign_id: &str,
    ) -> Result<(), Error> {
        match cloud_launch::active_round(&stack, campaign_id).await? {
            Some(CloudRunState::Uploading) => {
                cloud_launch::launch(home, &stack, campaign_id).await?;
                return Ok(());
            }
            Some(_) => {
                steer::resume(&stack.db, cloud_launch::sdk(&stack)?, campaign_id).await?;
                return Ok(());
            }
            None => {}
        }
        let current = campaign::get(&stack.db, campaign_id).await?;
        if self.is_attached(&stack, &current)? {
            run::resume(&stack.db, campaign_id).await?;
        } else {
            self.start(jobs, stack, campaign_id).await?;
        }
        Ok(())
    }

    /// In the cloud the workers mark who was not sent `skipped`
    /// (`cancelled`) and the rows catch up; here pending rows are settled
    /// at once.
    pub async fn cancel(&self, stack: &Stack, campaign_id: &str) -> Result<(), Error> {
        if steer::in_cloud(&stack.db, campaign_id).await? {
            steer::cancel(&stack.db, cloud_launch::sdk(stack)?, campaign_id).await?;
        } else {
            run::cancel(&stack.db, campaign_id).await?;
        }
        Ok(())
    }

    /// The campaign's rate; in the cloud it is shared by the workers.
    pub async fn set_rate(
        &self,
        stack: &Stack,
        campaign_id: &str,
        rate_per_sec: f64,
    ) -> Result<(), Error> {
        if steer::in_cloud(&stack.db, campaign_id).await? {
            steer::set_rate(
                &stack.db,
                cloud_launch::sdk(stack)?,
                campaign_id,
                rate_per_sec,
            )
            .await?;
        } else {
            run::set_pace(&stack.db, campaign_id, Some(rate_per_sec), None).await?;
        }
        Ok(())
    }
}
