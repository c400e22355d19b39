//! A campaign's run: sending it and steering it from any process, the one
//! door the CLI and the desktop app share. The sending itself (pages,
//! rate, in-flight marks, the breaker) is the crate's internal runner;
//! what callers need of it is re-exported here.
//!
//! # Running
//! [`run_to_end`] takes a campaign from wherever it is to its end:
//! - a **draft** is launched first (the audience snapshot, see
//!   [`crate::campaign::launch`]); a **scheduled** one waits for its time;
//! - a **running** one whose process died is picked up: rows left
//!   `in_flight` become `unknown` (not resent; see
//!   [`retry_failed`]) and the pending rest is sent;
//! - a **paused** one stays paused until [`resume`] (or use
//!   [`resume_and_run`], which is what "launch it again" means in the CLI);
//! - a finished one is refused ([`Error::IllegalTransition`]; retry first).
//!
//! Only one process runs a campaign at a time (an OS file lock beside the
//! database): a second [`run_to_end`] fails with [`Error::RunnerBusy`]
//! (code `campaign_busy`). [`is_attached`] says whether a runner is live.
//!
//! `on_progress` receives a [`RunProgress`] (state, counters by status,
//! errors by code, rate over the last minute, ETA, enforced and configured
//! rate) every [`RunSettings::progress_every`] and once at the end. The
//! numbers come from the recipient rows, read on a separate connection, so
//! they are the same after a restart.
//!
//! `stop` stops **this process's** sending without touching the campaign
//! (Ctrl-C, the app quitting): sends under way finish, the rest stay
//! pending, and the next [`run_to_end`] continues. It does not cancel.
//!
//! # Steering (from any process)
//! [`pause`], [`resume`], [`cancel`] and [`set_pace`] write to the campaign
//! row. Once a pause or cancel is committed no new send starts, wherever
//! the request came from (the `in_flight` mark before each publish is
//! refused unless the campaign is `running`); the process running the
//! campaign reads the row every [`POLL_EVERY`] to stop its tasks and pick
//! up rate changes. [`cancel`] also settles the
//! recipients itself (pending → `skipped`/`cancelled`, in flight →
//! `unknown`), so it works when no runner is attached; a live runner
//! settles again when it stops, and a send that was under way still records
//! `sent` when the provider accepts it.

mod lock;

use std::sync::Arc;
use std::time::Duration;

use rusqlite::params;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::jobs::{CancellationToken, Progress};

pub use lock::is_held as is_attached;

pub use crate::runner::{
    progress_summary, retry_failed, run_with_control, ProgressSummary, RunControl, RunOutcome,
    RunRequest, RunSettings, StatusCounts, Waiting,
};

use crate::campaign::{self, Campaign, CampaignState};
use crate::runner::{self, summary_blocking, Stops};
use crate::{Error, Result};

/// How often a runner reads the campaign row for requests from elsewhere.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// What a live run reports.
#[derive(Debug, Clone, PartialEq)]
pub struct RunProgress {
    pub campaign_id: String,
    pub state: CampaignState,
    pub summary: ProgressSummary,
    /// Messages per second the limiter enforces now (lower after throttling).
    pub rate_enforced: f64,
    /// Messages per second the campaign asks for.
    pub rate_configured: f64,
    /// Whether a process (this one or another) is running the campaign now.
    pub attached: bool,
    /// Why the campaign failed, or why it paused itself (a provider outage).
    pub error: Option<String>,
}

impl RunProgress {
    /// As the job system's progress line.
    pub fn to_progress(&self) -> Progress {
        self.summary
            .counts
            .to_progress_with(self.summary.waiting.as_ref())
    }

    /// See [`is_interrupted`].
    pub fn is_interrupted(&self) -> bool {
        is_interrupted(self.state, self.attached)
    }
}

/// A run the database calls active (running or paused) that no process
/// drives: the one that ran it was closed, stopped or died.
/// [`resume_and_run`] (the CLI's `launch`, the app's Resume) goes on.
pub fn is_interrupted(state: CampaignState, attached: bool) -> bool {
    !attached && matches!(state, CampaignState::Running | CampaignState::Paused)
}

/// Whether any process runs the campaign now. Only an unfinished campaign
/// can have a runner, so only those probe the run lock (each probe briefly
/// takes it).
pub fn has_runner(db: &Db, campaign: &Campaign) -> Result<bool> {
    let unfinished = matches!(
        campaign.state,
        CampaignState::Scheduled | CampaignState::Running | CampaignState::Paused
    );
    Ok(unfinished && is_attached(db, &campaign.id)?)
}

/// Launches (if a draft), recovers and runs the campaign to its end, obeying
/// pause / resume / cancel / pace requests from any process. See the module docs.
pub async fn run_to_end(
    request: &RunRequest,
    on_progress: impl Fn(&RunProgress) + Send + Sync + 'static,
    stop: &CancellationToken,
) -> Result<RunOutcome> {
    let db = &request.db;
    let _lock = lock::acquire(db, &request.campaign_id)?;
    let campaign = prepare(db, &request.campaign_id).await?;
    let control = RunControl::for_campaign(&campaign);
    if campaign.state == CampaignState::Paused {
        control.pause();
    }
    let cancel = CancellationToken::new();
    let watch_stop = CancellationToken::new();
    let on_progress = Arc::new(on_progress);
    let watcher = tokio::spawn(watch(
        db.clone(),
        campaign.id.clone(),
        control.clone(),
        cancel.clone(),
        request.settings.progress_every,
        Arc::clone(&on_progress),
        watch_stop.clone(),
    ));
    let stops = Stops {
        cancel: cancel.clone(),
        detach: stop.clone(),
    };
    let result = runner::run_inner(request, &control, None::<fn(Progress)>, stops).await;
    watch_stop.cancel();
    let _ = watcher.await;
    let outcome = settle_if_cancelled(db, &campaign.id, result).await;
    if let Ok(progress) = read_progress(db, &campaign.id, &control).await {
        on_progress(&progress);
    }
    outcome
}

/// [`run_to_end`], resuming the campaign first if it is paused.
pub async fn resume_and_run(
    request: &RunRequest,
    on_progress: impl Fn(&RunProgress) + Send + Sync + 'static,
    stop: &CancellationToken,
) -> Result<RunOutcome> {
    let (db, id) = (&request.db, request.campaign_id.as_str());
    if campaign::get(db, id).await?.state == CampaignState::Paused {
        resume(db, id).await?;
    }
    run_to_end(request, on_progress, stop).await
}

/// Drafts are launched; finished campaigns are refused.
async fn prepare(db: &Db, id: &str) -> Result<Campaign> {
    let id = id.to_string();
    db.call(move |c| -> Result<Campaign> {
        let current = campaign::get_blocking(c, &id)?;
        // Workers on AWS own it: sending here too could send twice.
        if crate::cloud::runs::active_blocking(c, &id)?.is_some() {
            return Err(Error::RunsInCloud(id.clone()));
        }
        match current.state {
            CampaignState::Draft => {
                campaign::launch_blocking(c, &id, now_millis())?;
            }
            CampaignState::Scheduled | CampaignState::Running | CampaignState::Paused => {}
            from
            @ (CampaignState::Completed | CampaignState::Cancelled | CampaignState::Failed) => {
                return Err(Error::IllegalTransition {
                    from,
                    to: CampaignState::Running,
                })
            }
        }
        campaign::get_blocking(c, &id)
    })
    .await
}

/// A cancel that landed while the runner was finishing (its last state
/// write refused) still ends as a cancelled run with every row settled.
async fn settle_if_cancelled(db: &Db, id: &str, result: Result<RunOutcome>) -> Result<RunOutcome> {
    let recovered_unknown = result.as_ref().map_or(0, |o| o.recovered_unknown);
    let id_owned = id.to_string();
    let (state, counts) = db
        .call(move |c| -> Result<_> {
            let state = campaign::get_blocking(c, &id_owned)?.state;
            if state == CampaignState::Cancelled {
                runner::settle_cancelled(c, &id_owned)?;
            }
            Ok((state, runner::counts_blocking(c, &id_owned)?))
        })
        .await?;
    match result {
        _ if state == CampaignState::Cancelled => Ok(RunOutcome {
            state,
            counts,
            recovered_unknown,
        }),
        other => other,
    }
}

/// The runner side of steering: applies the campaign row's state, rate and
/// concurrency to this run, and reports progress.
async fn watch(
    db: Db,
    id: String,
    control: RunControl,
    cancel: CancellationToken,
    progress_every: Duration,
    on_progress: Arc<impl Fn(&RunProgress) + Send + Sync + 'static>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(POLL_EVERY.min(progress_every));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_report: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        match read_row(&db, &id).await {
            Ok(row) => apply(&row, &control, &cancel),
            Err(e) => tracing::warn!("cannot read campaign {id}: {e}"),
        }
        if last_report.is_none_or(|at| at.elapsed() >= progress_every) {
            last_report = Some(tokio::time::Instant::now());
            match read_progress(&db, &id, &control).await {
                Ok(progress) => on_progress(&progress),
                Err(e) => tracing::warn!("cannot read campaign progress: {e}"),
            }
        }
    }
}

/// The steerable part of the campaign row.
struct SteeringRow {
    state: CampaignState,
    rate_per_sec: f64,
    concurrency: u32,
}

fn apply(row: &SteeringRow, control: &RunControl, cancel: &CancellationToken) {
    match row.state {
        CampaignState::Cancelled => cancel.cancel(),
        CampaignState::Paused if !control.is_paused() => control.pause(),
        CampaignState::Running if control.is_paused() => control.resume(),
        _ => {}
    }
    if (control.rates().1 - row.rate_per_sec).abs() > f64::EPSILON {
        control.set_rate(row.rate_per_sec);
    }
    if control.concurrency() != row.concurrency {
        control.set_concurrency(row.concurrency);
    }
}

async fn read_row(db: &Db, id: &str) -> Result<SteeringRow> {
    let id = id.to_string();
    db.read(move |c| {
        let current = campaign::get_blocking(c, &id)?;
        Ok(SteeringRow {
            state: current.state,
            rate_per_sec: current.spec.rate_per_sec,
            concurrency: current.spec.concurrency,
        })
    })
    .await
}

async fn read_progress(db: &Db, id: &str, control: &RunControl) -> Result<RunProgress> {
    let (rate_enforced, rate_configured) = control.rates();
    let id = id.to_string();
    db.read(move |c| {
        let current = campaign::get_blocking(c, &id)?;
        Ok(RunProgress {
            state: current.state,
            summary: summary_blocking(c, &id, now_millis())?,
            campaign_id: id,
            rate_enforced,
            rate_configured,
            attached: true,
            error: current.error,
        })
    })
    .await
}

/// Progress as of now, for a campaign that may or may not be running here
/// (status screens; the CLI's `status`). Rates are the configured ones. A
/// campaign no process is sending has no ETA (see
/// [`RunProgress::is_interrupted`]): its recent rate says nothing about when
/// the rest will be sent.
pub async fn status(db: &Db, campaign_id: &str) -> Result<RunProgress> {
    let attached = is_attached(db, campaign_id)?;
    let id = campaign_id.to_string();
    db.read(move |c| {
        let current = campaign::get_blocking(c, &id)?;
        let mut summary = summary_blocking(c, &id, now_millis())?;
        if !attached {
            summary.eta_seconds = None;
        }
        Ok(RunProgress {
            state: current.state,
            summary,
            campaign_id: id,
            rate_enforced: current.spec.rate_per_sec,
            rate_configured: current.spec.rate_per_sec,
            attached,
            error: current.error,
        })
    })
    .await
}

/// Asks the campaign to pause (running → paused). New sends stop within
/// [`POLL_EVERY`] in whichever process runs it.
pub async fn pause(db: &Db, campaign_id: &str) -> Result<CampaignState> {
    campaign::transition(db, campaign_id, CampaignState::Paused).await?;
    Ok(CampaignState::Paused)
}

/// Asks a paused campaign to go on (paused → running). If no process runs
/// it ([`is_attached`] is false), nothing sends until [`run_to_end`].
pub async fn resume(db: &Db, campaign_id: &str) -> Result<CampaignState> {
    campaign::transition(db, campaign_id, CampaignState::Running).await?;
    Ok(CampaignState::Running)
}

/// Cancels a scheduled, running or paused campaign and settles its
/// recipients in the same transaction; a live runner stops within [`POLL_EVERY`].
pub async fn cancel(db: &Db, campaign_id: &str) -> Result<StatusCounts> {
    let id = campaign_id.to_string();
    db.call(move |c| -> Result<_> {
        // Immediate: read-then-write must not lose the write lock to another process.
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        campaign::transition_blocking(&tx, &id, CampaignState::Cancelled, None)?;
        // A cloud run's rows are settled by its workers (what they had
        // not claimed becomes skipped) and reach here by catching up.
        if crate::cloud::runs::active_blocking(&tx, &id)?.is_none() {
            runner::settle_cancelled(&tx, &id)?;
        }
        let counts = runner::counts_blocking(&tx, &id)?;
        tx.commit()?;
        Ok(counts)
    })
    .await
}

/// Changes the send rate and/or concurrency of a campaign that has not
/// finished; a live runner applies it within [`POLL_EVERY`].
pub async fn set_pace(
    db: &Db,
    campaign_id: &str,
    rate_per_sec: Option<f64>,
    concurrency: Option<u32>,
) -> Result<Campaign> {
    if let Some(rate) = rate_per_sec {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(Error::InvalidCampaign(
                "the rate must be above 0 messages per second".into(),
            ));
        }
    }
    if concurrency == Some(0) {
        return Err(Error::InvalidCampaign(
            "the concurrency must be at least 1".into(),
        ));
    }
    let id = campaign_id.to_string();
    db.call(move |c| -> Result<_> {
        let current = campaign::get_blocking(c, &id)?;
        if matches!(
            current.state,
            CampaignState::Completed | CampaignState::Cancelled | CampaignState::Failed
        ) {
            return Err(Error::InvalidCampaign(format!(
                "the campaign is {}; its pace can no longer change",
                current.state
            )));
        }
        c.execute(
            "UPDATE campaigns SET rate_per_sec = ?2, concurrency = ?3, updated_at = ?4 WHERE id = ?1",
            params![
                id,
                rate_per_sec.unwrap_or(current.spec.rate_per_sec),
                concurrency.unwrap_or(current.spec.concurrency),
                now_millis()
            ],
        )?;
        campaign::get_blocking(c, &id)
    })
    .await
}
