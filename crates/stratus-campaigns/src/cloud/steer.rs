//! Pause, resume, cancel and rate for a campaign running in the cloud:
//! the control item first (what the workers obey, within
//! [`super::control::CONTROL_TTL`]), then the campaign row, as for a local
//! run. A cancel settles nothing here: the workers mark what they had not
//! claimed `skipped` (`cancelled`), and the rows catch up.

use aws_config::SdkConfig;
use stratus_core::db::Db;

use super::marks::MarkTable;
use super::runs;
use super::schedule::RunSchedules;
use crate::campaign::{self, Campaign, CampaignState};
use crate::{Error, Result};

/// The campaign's cloud run under way (its id and table); an error if
/// there is none or the campaign is not in a state that may become `to`.
async fn active_run(
    db: &Db,
    sdk: &SdkConfig,
    campaign_id: &str,
    to: Option<CampaignState>,
) -> Result<(String, MarkTable)> {
    let id = campaign_id.to_string();
    let run = db
        .read(move |c| -> Result<runs::CloudRun> {
            let current = campaign::get_blocking(c, &id)?;
            if let Some(to) = to {
                if !current.state.can_become(to) {
                    return Err(Error::IllegalTransition {
                        from: current.state,
                        to,
                    });
                }
            }
            runs::active_blocking(c, &id)?.ok_or_else(|| {
                Error::InvalidCampaign(format!("campaign `{id}` has no cloud run under way"))
            })
        })
        .await?;
    let marks = run.marks(sdk);
    Ok((run.run_id, marks))
}

/// Whether the campaign has a cloud run under way (then steer it here).
pub async fn in_cloud(db: &Db, campaign_id: &str) -> Result<bool> {
    let id = campaign_id.to_string();
    Ok(db
        .read(move |c| runs::active_blocking(c, &id))
        .await?
        .is_some())
}

pub async fn pause(db: &Db, sdk: &SdkConfig, campaign_id: &str) -> Result<CampaignState> {
    let (run, marks) = active_run(db, sdk, campaign_id, Some(CampaignState::Paused)).await?;
    marks.set_state(&run, CampaignState::Paused).await?;
    crate::run::pause(db, campaign_id).await
}

pub async fn resume(db: &Db, sdk: &SdkConfig, campaign_id: &str) -> Result<CampaignState> {
    let (run, marks) = active_run(db, sdk, campaign_id, Some(CampaignState::Running)).await?;
    marks.set_state(&run, CampaignState::Running).await?;
    crate::run::resume(db, campaign_id).await
}

/// Cancels the run; recipients not yet claimed end `skipped` (`cancelled`)
/// as the workers reach them, and the rows catch up.
/// A scheduled run that has not started is over at once: nothing was
/// queued, its schedule is removed and the rows are settled here.
pub async fn cancel(db: &Db, sdk: &SdkConfig, campaign_id: &str) -> Result<CampaignState> {
    let (run, marks) = active_run(db, sdk, campaign_id, Some(CampaignState::Cancelled)).await?;
    let before = marks.control(&run).await?.map(|c| c.state);
    marks.set_state(&run, CampaignState::Cancelled).await?;
    if before == Some(CampaignState::Scheduled) {
        let schedules = RunSchedules::new(aws_sdk_scheduler::Client::new(sdk), "");
        if let Err(e) = schedules.delete(&run).await {
            // Harmless if it fires: the start of a cancelled run does nothing.
            tracing::warn!("cannot delete the schedule of cloud run {run}: {e}");
        }
        let run_id = run.clone();
        db.call(move |c| runs::set_finished(c, &run_id)).await?;
    }
    crate::run::cancel(db, campaign_id).await?;
    Ok(CampaignState::Cancelled)
}

/// The campaign's new rate, shared by the workers (each sends at
/// `rate / workers`).
pub async fn set_rate(
    db: &Db,
    sdk: &SdkConfig,
    campaign_id: &str,
    rate_per_sec: f64,
) -> Result<Campaign> {
    if !(rate_per_sec.is_finite() && rate_per_sec > 0.0) {
        return Err(Error::InvalidCampaign(
            "the rate must be above 0 messages per second".into(),
        ));
    }
    let (run, marks) = active_run(db, sdk, campaign_id, None).await?;
    marks.set_rate(&run, rate_per_sec).await?;
    crate::run::set_pace(db, campaign_id, Some(rate_per_sec), None).await
}
