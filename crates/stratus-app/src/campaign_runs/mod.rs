//! The campaign runs this process drives: each one `run::resume_and_run`
//! inside a job of the JobRegistry (so it shows in the Jobs panel), plus
//! one progress stream for a run view ([`watch`](CampaignRuns::watch)).
//! Sending and steering are the campaigns crate's; steering goes through
//! the database, so the app and the CLI can pause, resume or cancel each
//! other's runs, or through a cloud run's control item ([`steering`]).
//! Cloud runs: launching ([`cloud_launch`]) and following them (`cloud.rs`).

mod cloud;
pub mod cloud_launch;
mod steering;
mod watch;

pub use cloud::{CATCH_UP_EVERY, FOLLOW_EVERY};
pub use cloud_launch::CloudAvailability;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use stratus_campaigns::campaign::{self, Campaign, CampaignState};
use stratus_campaigns::cloud::CloudRunState;
use stratus_campaigns::notifier::{Notifier, OutboxConfig};
use stratus_campaigns::run::{self, ProgressSummary, RunRequest};
use stratus_core::jobs::{CancellationToken, JobRegistry, JobSnapshot};
use stratus_core::stack::Stack;

use crate::Error;

/// Messages per second of a run this process drives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// What the limiter enforces now (lower after throttling).
    pub enforced: f64,
    /// What the campaign asks for.
    pub configured: f64,
}

#[derive(Default)]
struct LiveRun {
    /// Set once the job is registered.
    job_id: Option<String>,
    /// From the runner's last report.
    rates: Option<Rates>,
}

/// A campaign's run as of now: what a run view shows.
#[derive(Debug, Clone)]
pub struct RunSnapshot {
    pub campaign: Campaign,
    pub summary: ProgressSummary,
    /// A runner holds the campaign, in this process or another (e.g.
    /// `stratus campaign launch`), or the cloud workers own it.
    pub attached: bool,
    /// The cloud workers own the campaign's run (see [`Presence`]).
    pub in_cloud: bool,
    /// This process's runner's rates, if it is the one sending.
    pub rates: Option<Rates>,
}

impl RunSnapshot {
    /// See [`run::is_interrupted`].
    pub fn is_interrupted(&self) -> bool {
        run::is_interrupted(self.campaign.state, self.attached)
    }
}

/// Who sends a campaign now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Presence {
    /// A runner here or in another process, or the cloud workers.
    pub attached: bool,
    /// Its latest round is the cloud workers': once handed over it goes on
    /// with the app closed, so a run nobody here watches is "running in
    /// the cloud", not interrupted.
    pub in_cloud: bool,
}

/// Runs of this process by campaign id, and the current progress watcher.
#[derive(Clone, Default)]
pub struct CampaignRuns {
    live: Arc<Mutex<HashMap<String, LiveRun>>>,
    watcher: Arc<Mutex<Option<CancellationToken>>>,
    /// When each cloud run was last caught up (see `cloud.rs`).
    caught_up: Arc<Mutex<HashMap<String, std::time::Instant>>>,
}

impl CampaignRuns {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveRun>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this process is sending the campaign right now.
    pub fn is_running_here(&self, campaign_id: &str) -> bool {
        self.lock().contains_key(campaign_id)
    }

    fn rates(&self, campaign_id: &str) -> Option<Rates> {
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
    ) -> Result<JobSnapshot, Error> {
        let name = campaign::get(&stack.db, campaign_id).await?.spec.name;
        {
            let mut live = self.lock();
            if live.contains_key(campaign_id) {
                return Err(Error::AlreadyRunning(name));
            }
            live.insert(campaign_id.to_string(), LiveRun::default());
        }
        let notifier = match notifier_for(&stack) {
            Ok(notifier) => notifier,
            Err(e) => {
                self.lock().remove(campaign_id);
                return Err(e);
            }
        };
        let request = RunRequest::new(&stack.db, campaign_id, notifier);
        let runs = self.clone();
        let started = jobs
            .start(
                &stack.db,
                "campaign.run",
                format!("Send “{name}”"),
                move |ctx| async move {
                    let (db, id) = (request.db.clone(), request.campaign_id.clone());
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
                            if let Some(live) = runs.lock().get_mut(&id) {
                                live.rates = Some(Rates {
                                    enforced: p.rate_enforced,
                                    configured: p.rate_configured,
                                });
                            }
                        }
                    };
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
                if let Some(live) = self.lock().get_mut(campaign_id) {
                    live.job_id = Some(job.id.clone());
                }
                Ok(job)
            }
            Err(e) => {
                self.lock().remove(campaign_id);
                Err(e.into())
            }
        }
    }

    /// The campaign's run now.
    /// A campaign running in the cloud is caught up from its marks first,
    /// and its workers count as attached.
    pub async fn snapshot(&self, stack: &Stack, campaign_id: &str) -> Result<RunSnapshot, Error> {
        self.catch_up_cloud(stack, campaign_id).await?;
        let campaign = campaign::get(&stack.db, campaign_id).await?;
        let summary = run::progress_summary(&stack.db, campaign_id).await?;
        let presence = self.presence(stack, &campaign).await?;
        Ok(RunSnapshot {
            campaign,
            summary,
            attached: presence.attached,
            in_cloud: presence.in_cloud,
            rates: self.rates(campaign_id),
        })
    }

    /// Who sends the campaign now, without catching anything up (the
    /// list asks this for every campaign; the background follower keeps
    /// the cloud runs' rows fresh).
    pub async fn presence(&self, stack: &Stack, campaign: &Campaign) -> Result<Presence, Error> {
        let round = cloud_launch::active_round(stack, &campaign.id).await?;
        // An upload that stopped halfway (the app closed mid-launch) hands
        // nothing to the workers until it is finished: interrupted.
        let handed_over = round.is_some_and(|state| state != CloudRunState::Uploading);
        Ok(Presence {
            attached: handed_over || self.is_attached(stack, campaign)?,
            in_cloud: round.is_some(),
        })
    }

    /// Whether any process runs the campaign now (this one without a probe).
    pub fn is_attached(&self, stack: &Stack, campaign: &Campaign) -> Result<bool, Error> {
        Ok(self.is_running_here(&campaign.id) || run::has_runner(&stack.db, campaign)?)
    }
}

/// Demo mode sends to the local outbox (the phone preview reads it); a
/// cloud profile publishes through SNS.
pub fn notifier_for(stack: &Stack) -> Result<Arc<dyn Notifier>, Error> {
    Ok(stratus_campaigns::notifier::for_stack(
        stack,
        outbox_config()?,
    ))
}

/// `STRATUS_DEMO_OUTBOX=instant` turns off the demo outbox's simulated
/// latency, throttles and failures (tests, benchmarks), in the app and the
/// CLI alike.
pub const OUTBOX_ENV: &str = "STRATUS_DEMO_OUTBOX";

fn outbox_config() -> Result<OutboxConfig, Error> {
    match std::env::var(OUTBOX_ENV).as_deref() {
        Ok("instant") => Ok(OutboxConfig::instant()),
        Ok("default") | Err(_) => Ok(OutboxConfig::default()),
        Ok(other) => Err(Error::Setting(format!(
            "{OUTBOX_ENV}=`{other}` is not understood: use `instant` or `default`"
        ))),
    }
}
