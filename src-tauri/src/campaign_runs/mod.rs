//! The campaign runs this app drives: each one `run::resume_and_run` inside a
//! job of the JobRegistry (so it shows in the Jobs panel), plus the one
//! progress stream the run view watches. Sending and steering are the
//! campaigns crate's; steering goes through the database, so the app and
//! the CLI can pause, resume or cancel each other's runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stratus_campaigns::campaign::{self, CampaignState};
use stratus_campaigns::notifier::{Notifier, OutboxConfig};
use stratus_campaigns::run::{self, RunRequest};
use stratus_core::jobs::{CancellationToken, JobRegistry, JobSnapshot};
use stratus_core::stack::Stack;
use tauri::ipc::Channel;

use crate::error::{AppError, CommandResult};
use crate::views::campaigns::CampaignProgress;

/// How often the run view gets fresh numbers while a run is attached.
const WATCH_LIVE_EVERY: Duration = Duration::from_millis(250);
/// …and while nothing sends.
const WATCH_IDLE_EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
struct LiveRun {
    /// Set once the job is registered.
    job_id: Option<String>,
    /// (enforced, configured) messages per second, from the runner's last report.
    rates: Option<(f64, f64)>,
}

/// Runs of this app by campaign id, and the current progress watcher.
#[derive(Clone, Default)]
pub struct CampaignRuns {
    live: Arc<Mutex<HashMap<String, LiveRun>>>,
    watcher: Arc<Mutex<Option<CancellationToken>>>,
}

impl CampaignRuns {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveRun>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this app is sending the campaign right now.
    pub fn is_running_here(&self, campaign_id: &str) -> bool {
        self.lock().contains_key(campaign_id)
    }

    fn rates(&self, campaign_id: &str) -> Option<(f64, f64)> {
        self.lock().get(campaign_id).and_then(|r| r.rates)
    }

    /// Sends a scheduled campaign, or continues a running, paused or
    /// interrupted one (a paused one is resumed), as a job. Cancelling the
    /// job cancels the campaign.
    pub async fn start(
        &self,
        jobs: &JobRegistry,
        stack: Arc<Stack>,
        campaign_id: &str,
    ) -> CommandResult<JobSnapshot> {
        let name = campaign::get(&stack.db, campaign_id).await?.spec.name;
        {
            let mut live = self.lock();
            if live.contains_key(campaign_id) {
                return Err(AppError::new(
                    "already_running",
                    format!("“{name}” is already being sent by this app"),
                ));
            }
            live.insert(campaign_id.to_string(), LiveRun::default());
        }
        let notifier = notifier_for(&stack);
        let (runs, id, db) = (self.clone(), campaign_id.to_string(), stack.db.clone());
        let started = jobs
            .start(
                &stack.db,
                "campaign.run",
                format!("Send “{name}”"),
                move |ctx| async move {
                    // The Jobs panel's cancel means "cancel the campaign".
                    let on_cancel = {
                        let (db, id, token) = (db.clone(), id.clone(), ctx.cancel_token().clone());
                        tokio::spawn(async move {
                            token.cancelled().await;
                            if let Err(e) = run::cancel(&db, &id).await {
                                tracing::warn!("cannot cancel campaign {id}: {e}");
                            }
                        })
                    };
                    let report = {
                        let (runs, id, reporter) = (runs.clone(), id.clone(), ctx.reporter());
                        move |p: &run::RunProgress| {
                            reporter(p.to_progress());
                            if let Some(run) = runs.lock().get_mut(&id) {
                                run.rates = Some((p.rate_enforced, p.rate_configured));
                            }
                        }
                    };
                    let request = RunRequest::new(&db, &id, notifier);
                    let outcome =
                        run::resume_and_run(&request, report, &CancellationToken::new()).await;
                    on_cancel.abort();
                    runs.lock().remove(&id);
                    let outcome = outcome?;
                    let c = &outcome.counts;
                    match outcome.state {
                        CampaignState::Cancelled => Err(stratus_campaigns::Error::Cancelled),
                        _ => Ok(format!(
                            "{} sent, {} failed, {} skipped, {} unknown",
                            c.sent, c.failed, c.skipped, c.unknown
                        )),
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
                let progress = runs.progress(&stack, &campaign_id).await;
                let every = match &progress {
                    Ok(p) if p.live => WATCH_LIVE_EVERY,
                    _ => WATCH_IDLE_EVERY,
                };
                match progress {
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

    /// The campaign's progress now. `live` when a runner holds it, in this
    /// app or in another process (e.g. `stratus campaign run`).
    pub async fn progress(
        &self,
        stack: &Stack,
        campaign_id: &str,
    ) -> CommandResult<CampaignProgress> {
        let campaign = campaign::get(&stack.db, campaign_id).await?;
        let summary = run::progress_summary(&stack.db, campaign_id).await?;
        let attached = self.is_attached(stack, campaign_id, campaign.state)?;
        Ok(CampaignProgress::new(
            &campaign,
            &summary,
            attached,
            self.rates(campaign_id),
        ))
    }

    /// Whether any process runs the campaign now. Only an unfinished
    /// campaign can have a runner, so only those probe the run lock (each
    /// probe briefly takes it).
    pub fn is_attached(
        &self,
        stack: &Stack,
        campaign_id: &str,
        state: CampaignState,
    ) -> CommandResult<bool> {
        if self.is_running_here(campaign_id) {
            return Ok(true);
        }
        let unfinished = matches!(
            state,
            CampaignState::Scheduled | CampaignState::Running | CampaignState::Paused
        );
        Ok(unfinished && run::is_attached(&stack.db, campaign_id)?)
    }
}

/// Demo mode sends to the local outbox (the phone preview reads it); a
/// cloud profile publishes through SNS.
pub fn notifier_for(stack: &Stack) -> Arc<dyn Notifier> {
    stratus_campaigns::notifier::for_stack(stack, OutboxConfig::default())
}

#[cfg(test)]
mod tests;
