//! The campaign runs this app drives: each a job in the JobRegistry with the
//! live controls (pause, rate) the run view needs, plus the one progress
//! stream the run view watches. The sending itself is the campaigns crate's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stratus_campaigns::campaign::{self, CampaignState};
use stratus_campaigns::notifier::{Notifier, OutboxConfig, OutboxNotifier, SnsNotifier};
use stratus_campaigns::runner::{self, RunControl, RunSettings};
use stratus_core::jobs::{CancellationToken, JobRegistry, JobSnapshot};
use stratus_core::stack::Stack;
use tauri::ipc::Channel;

use crate::error::{AppError, CommandResult};
use crate::views::campaigns::CampaignProgress;

/// How often the run view gets fresh numbers while a run is live.
const WATCH_LIVE_EVERY: Duration = Duration::from_millis(250);
/// …and while nothing runs (another process may still be sending).
const WATCH_IDLE_EVERY: Duration = Duration::from_secs(1);

struct LiveRun {
    control: RunControl,
    /// Set once the job is registered.
    job_id: Option<String>,
}

/// Live runs by campaign id, and the current progress watcher.
#[derive(Clone, Default)]
pub struct CampaignRuns {
    live: Arc<Mutex<HashMap<String, LiveRun>>>,
    watcher: Arc<Mutex<Option<CancellationToken>>>,
}

impl CampaignRuns {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveRun>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The live controls of a campaign this app is running.
    pub fn control(&self, campaign_id: &str) -> Option<RunControl> {
        self.lock().get(campaign_id).map(|r| r.control.clone())
    }

    fn job_id(&self, campaign_id: &str) -> Option<String> {
        self.lock().get(campaign_id).and_then(|r| r.job_id.clone())
    }

    /// Starts (or continues, after the app was closed mid-run) sending a
    /// scheduled, running or paused campaign as a job.
    pub async fn start(
        &self,
        jobs: &JobRegistry,
        stack: Arc<Stack>,
        campaign_id: &str,
    ) -> CommandResult<JobSnapshot> {
        let campaign = campaign::get(&stack.db, campaign_id).await?;
        let control = RunControl::for_campaign(&campaign);
        {
            let mut live = self.lock();
            if live.contains_key(campaign_id) {
                return Err(AppError::new(
                    "already_running",
                    format!("“{}” is already being sent", campaign.spec.name),
                ));
            }
            live.insert(
                campaign_id.to_string(),
                LiveRun {
                    control: control.clone(),
                    job_id: None,
                },
            );
        }
        let notifier = notifier_for(&stack);
        let (runs, id, db) = (self.clone(), campaign_id.to_string(), stack.db.clone());
        let started = jobs
            .start(
                &stack.db,
                "campaign.run",
                format!("Send “{}”", campaign.spec.name),
                move |ctx| async move {
                    let outcome = runner::run(
                        &db,
                        &id,
                        notifier,
                        &control,
                        RunSettings::default(),
                        ctx.reporter(),
                        ctx.cancel_token(),
                    )
                    .await;
                    runs.lock().remove(&id);
                    let outcome = outcome?;
                    let c = &outcome.counts;
                    let line = format!(
                        "{} sent, {} failed, {} skipped, {} unknown",
                        c.sent, c.failed, c.skipped, c.unknown
                    );
                    match outcome.state {
                        CampaignState::Cancelled => Err(stratus_core::Error::Cancelled),
                        _ => Ok(line),
                    }
                },
            )
            .await;
        match started {
            Ok(job) => {
                if let Some(run) = self.lock().get_mut(campaign_id) {
                    run.job_id = Some(job.id.clone());
                }
                Ok(job)
            }
            Err(e) => {
                self.lock().remove(campaign_id);
                Err(e.into())
            }
        }
    }

    /// Trips the run's cancellation: pending recipients become skipped
    /// (`cancelled`), in-flight ones unknown.
    pub fn cancel(&self, jobs: &JobRegistry, campaign_id: &str) -> CommandResult<bool> {
        match self.job_id(campaign_id) {
            Some(job) => {
                jobs.cancel(&job)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Streams `campaign_id`'s progress to `channel` until the window is
    /// gone or another campaign is watched; replaces any earlier watcher.
    pub fn watch(
        &self,
        stack: Arc<Stack>,
        campaign_id: String,
        channel: Channel<CampaignProgress>,
    ) {
        let stop = CancellationToken::new();
        if let Some(previous) = self
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(stop.clone())
        {
            previous.cancel();
        }
        let runs = self.clone();
        tauri::async_runtime::spawn(async move {
            loop {
                let rates = runs.control(&campaign_id).map(|c| c.rates());
                let every = if rates.is_some() {
                    WATCH_LIVE_EVERY
                } else {
                    WATCH_IDLE_EVERY
                };
                match progress(&stack, &campaign_id, rates).await {
                    Ok(p) => {
                        if channel.send(p).is_err() {
                            return;
                        }
                    }
                    // A deleted campaign or a closed database: nothing more to show.
                    Err(e) => {
                        tracing::warn!("campaign progress stopped: {}", e.message);
                        return;
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stop.cancelled() => return,
                }
            }
        });
    }

    /// Stops the progress stream (the run view closed).
    pub fn unwatch(&self) {
        if let Some(token) = self
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            token.cancel();
        }
    }
}

/// The campaign and its summary now, with the live rates if this app runs it.
pub async fn progress(
    stack: &Stack,
    campaign_id: &str,
    rates: Option<(f64, f64)>,
) -> CommandResult<CampaignProgress> {
    let campaign = campaign::get(&stack.db, campaign_id).await?;
    let summary = runner::progress_summary(&stack.db, campaign_id).await?;
    Ok(CampaignProgress::new(&campaign, &summary, rates))
}

/// Demo mode sends to the local outbox (the phone preview reads it); a
/// cloud profile publishes through SNS.
fn notifier_for(stack: &Stack) -> Arc<dyn Notifier> {
    match &stack.sdk {
        Some(sdk) => Arc::new(SnsNotifier::new(sdk)),
        None => Arc::new(OutboxNotifier::new(
            stack.db.clone(),
            OutboxConfig::default(),
        )),
    }
}
