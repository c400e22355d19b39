//! The campaign runner: streams pending recipients from SQLite page by page,
//! sends at the configured rate and concurrency (both changeable while
//! running), and leaves every recipient in a definite state.
//!
//! Crash safety: `in_flight` is on disk before each publish (batched, see
//! [`marks`]); on start, rows still `in_flight` become `unknown` and are not
//! resent. A publish without a clear answer ends `unknown` the same way; an
//! outage pauses the run by itself ([`breaker`]).

mod breaker;
mod control;
mod marks;
mod rate;
mod recipient;
mod send;
mod summary;

use std::sync::Arc;
use std::time::Duration;

use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::jobs::{CancellationToken, Progress};
use tokio::task::JoinSet;

pub use control::RunControl;
pub(crate) use rate::TokenBucket;
pub use recipient::RecipientStatus;
pub(crate) use recipient::{
    defer, mark, pending_page, settle_cancelled, PendingRecipient, CANCELLED_IN_FLIGHT, IN_DOUBT,
};
pub use summary::{
    counts_blocking, progress_summary, summary_blocking, waiting_blocking, ProgressSummary,
    StatusCounts, Waiting,
};

use crate::campaign::{self, CampaignState};
use crate::message::CampaignMessage;
use crate::notifier::Notifier;
use crate::{Error, Result};
use send::SendContext;

/// Tuning that is not part of the campaign.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Pending recipients read per query.
    pub page_size: usize,
    /// Outage failures in a row (refused connections, no clear answers,
    /// failed checks) after which the run pauses itself until the provider
    /// answers a probe again.
    pub breaker_threshold: u32,
    /// Waits before a retry of what certainly was not sent.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Longest wait between two probes of a provider that is down.
    pub probe_every_max: Duration,
    /// How often progress is read from the rows and reported.
    pub progress_every: Duration,
    /// Wall clock for quiet hours and schedules (tests pin it).
    pub clock: fn() -> i64,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            page_size: 200,
            breaker_threshold: 5,
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(30),
            probe_every_max: breaker::PROBE_EVERY_MAX,
            progress_every: Duration::from_millis(250),
            clock: now_millis,
        }
    }
}
/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    pub state: CampaignState,
    pub counts: StatusCounts,
    /// Rows found `in_flight` at start (a previous run died) and made `unknown`.
    pub recovered_unknown: u64,
}

impl RunOutcome {
    /// Whether every recipient got a clear answer that is not a failure:
    /// a completed run with `failed` or `unknown` rows is not a clean one.
    pub fn is_clean(&self) -> bool {
        self.state == CampaignState::Completed
            && self.counts.failed == 0
            && self.counts.unknown == 0
    }
}

/// A campaign to send and what sends it: what every way of running one
/// takes (see `crate::run`).
#[derive(Clone)]
pub struct RunRequest {
    pub db: Db,
    pub campaign_id: String,
    pub notifier: Arc<dyn Notifier>,
    pub settings: RunSettings,
}

impl RunRequest {
    /// A request with the default [`RunSettings`].
    pub fn new(db: &Db, campaign_id: impl Into<String>, notifier: Arc<dyn Notifier>) -> Self {
        RunRequest {
            db: db.clone(),
            campaign_id: campaign_id.into(),
            notifier,
            settings: RunSettings::default(),
        }
    }

    pub fn with_settings(self, settings: RunSettings) -> Self {
        RunRequest { settings, ..self }
    }
}

/// Runs a scheduled (or interrupted running/paused) campaign to its end,
/// steered by `control` in this process only. `cancel` cancels the
/// campaign: every recipient left is settled.
pub async fn run_with_control(
    request: &RunRequest,
    control: &RunControl,
    progress: impl Fn(Progress) + Send + Sync + 'static,
    cancel: &CancellationToken,
) -> Result<RunOutcome> {
    let stops = Stops {
        cancel: cancel.clone(),
        detach: CancellationToken::new(),
    };
    run_inner(request, control, Some(progress), stops).await
}

/// Why a run may stop before the end.
pub(crate) struct Stops {
    /// Cancel the campaign: settle every recipient left.
    pub cancel: CancellationToken,
    /// Stop this process's sending only (Ctrl-C, app quit): sends under way
    /// finish, the rest stay pending and the state stays as it is, so a
    /// later run continues where this one stopped.
    pub detach: CancellationToken,
}

pub(crate) async fn run_inner(
    request: &RunRequest,
    control: &RunControl,
    progress: Option<impl Fn(Progress) + Send + Sync + 'static>,
    stops: Stops,
) -> Result<RunOutcome> {
    let RunRequest {
        db,
        campaign_id,
        notifier,
        settings,
    } = request;
    let (notifier, settings) = (Arc::clone(notifier), settings.clone());
    // Every wait and loop watches `halt`; what happens after depends on which stop fired.
    let halt = stops.cancel.child_token();
    let _detach_watch = {
        let (halt, detach) = (halt.clone(), stops.detach.clone());
        AbortOnDrop(
            tokio::spawn(async move {
                detach.cancelled().await;
                halt.cancel();
            })
            .abort_handle(),
        )
    };
    let cancel = &halt;
    let id = campaign_id.to_string();
    let (campaign, recovered_unknown, levels) = {
        let id = id.clone();
        db.call(move |c| -> Result<_> {
            let campaign = campaign::get_blocking(c, &id)?;
            let recovered = recipient::recover_in_flight(c, &id)?;
            Ok((campaign, recovered, crate::gamify::levels_blocking(c)?))
        })
        .await?
    };
    match campaign.state {
        CampaignState::Scheduled => {
            if let Some(at) = campaign.spec.scheduled_at {
                let wait = u64::try_from(at - (settings.clock)()).unwrap_or(0);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                    _ = cancel.cancelled() => {}
                }
            }
            if stops.cancel.is_cancelled() {
                return finish_cancelled(db, &id, recovered_unknown).await;
            }
            if stops.detach.is_cancelled() {
                return detached(db, &id, recovered_unknown).await;
            }
            set_state(db, &id, CampaignState::Running, None).await?;
        }
        CampaignState::Running => {}
        CampaignState::Paused => {
            // Interrupted while paused: stay paused (also in the database,
            // which other processes read) until someone resumes, or, for a
            // pause the breaker made, until the provider answers a probe.
            control.pause();
        }
        other => {
            return Err(Error::IllegalTransition {
                from: other,
                to: CampaignState::Running,
            })
        }
    }
    let template = match CampaignMessage::compile(&campaign.spec) {
        Ok(t) => t,
        Err(e) => {
            set_state(db, &id, CampaignState::Failed, Some(e.to_string())).await?;
            return Err(e);
        }
    };
    let with_rank = template.uses("rank");
    let progress = progress.map(Arc::new);
    let reporter_stop = CancellationToken::new();
    let reporter = progress.as_ref().map(|progress| {
        tokio::spawn(report_progress(
            db.clone(),
            id.clone(),
            Arc::clone(progress),
            settings.progress_every,
            settings.clock,
            reporter_stop.clone(),
        ))
    });
    let ctx = Arc::new(SendContext {
        db: db.clone(),
        marks: marks::MarkWriter::start(db.clone(), campaign.id.clone()),
        campaign,
        template,
        levels,
        notifier,
        control: control.clone(),
        breaker: breaker::Breaker::new(settings.breaker_threshold),
        settings: settings.clone(),
        cancel: cancel.clone(),
    });
    let guard = AbortOnDrop(
        tokio::spawn({
            let ctx = Arc::clone(&ctx);
            breaker::watch(ctx)
        })
        .abort_handle(),
    );
    let result = dispatch(&ctx, with_rank).await;
    drop(guard);
    reporter_stop.cancel();
    if let Some(reporter) = reporter {
        let _ = reporter.await;
    }
    let counts = {
        let id = id.clone();
        db.call(move |c| counts_blocking(c, &id)).await?
    };
    if let Some(progress) = &progress {
        progress(counts.to_progress());
    }
    if let Err(e) = result {
        let _ = set_state(db, &id, CampaignState::Failed, Some(e.to_string())).await;
        return Err(e);
    }
    if stops.cancel.is_cancelled() {
        return finish_cancelled(db, &id, recovered_unknown).await;
    }
    if stops.detach.is_cancelled() {
        return detached(db, &id, recovered_unknown).await;
    }
    set_state(db, &id, CampaignState::Completed, None).await?;
    Ok(RunOutcome {
        state: CampaignState::Completed,
        counts,
        recovered_unknown,
    })
}

/// Longest sleep while every pending recipient waits for quiet hours: the
/// runner looks again at least this often, so rows re-queued meanwhile
/// (retry failed while running) do not wait for a window that is not theirs.
const WAIT_LOOK_EVERY: Duration = Duration::from_secs(60);

/// Pages through due pending rows until none are left (or cancel / an
/// error). When only recipients waiting for their quiet hours are left, it
/// sleeps until the first of them is due: nothing spins, and the waiting
/// rows stay in the database, not in memory.
async fn dispatch(ctx: &Arc<SendContext>, with_rank: bool) -> Result<()> {
    let mut tasks: JoinSet<Result<()>> = JoinSet::new();
    let mut first_error: Option<Error> = None;
    'passes: loop {
        let mut cursor = String::new();
        let mut dispatched = 0u64;
        loop {
            let now = (ctx.settings.clock)();
            let page = {
                let (id, after, size) = (
                    ctx.campaign.id.clone(),
                    cursor.clone(),
                    ctx.settings.page_size,
                );
                ctx.db
                    .call(move |c| recipient::pending_page(c, &id, &after, size, with_rank, now))
                    .await?
            };
            let Some(last) = page.last() else { break };
            cursor = last.customer_id.clone();
            // Those in quiet hours wait in the database; they take no send slot.
            let (page, waiting) = split_waiting(ctx, page, now);
            if !waiting.is_empty() {
                let id = ctx.campaign.id.clone();
                ctx.db
                    .call(move |c| recipient::defer(c, &id, &waiting))
                    .await?;
            }
            for rec in page {
                // Pause, concurrency, rate — re-checking pause after each wait,
                // so a pause during a long wait still stops this send.
                loop {
                    if ctx.control.is_paused() {
                        pause_until_resumed(ctx).await?;
                    }
                    if ctx.cancel.is_cancelled() || first_error.is_some() {
                        break 'passes;
                    }
                    while tasks.len() >= ctx.control.concurrency() as usize {
                        join_one(&mut tasks, &mut first_error).await;
                    }
                    tokio::select! {
                        _ = ctx.control.bucket().acquire() => {}
                        _ = ctx.cancel.cancelled() => break 'passes,
                    }
                    if !ctx.control.is_paused() {
                        break;
                    }
                }
                tasks.spawn(send::send_one(Arc::clone(ctx), rec));
                dispatched += 1;
            }
        }
        // Wait for this pass's sends, then look again: rows re-queued
        // meanwhile (retry failed while running) or deferred by a send get
        // another pass.
        while join_one(&mut tasks, &mut first_error).await {}
        if first_error.is_some() {
            break;
        }
        if dispatched == 0 && !wait_for_next_due(ctx).await? {
            break;
        }
    }
    while join_one(&mut tasks, &mut first_error).await {}
    first_error.map_or(Ok(()), Err)
}

/// Splits a page into recipients to send now and those in quiet hours a
/// `wait` campaign delays, with when they are due.
fn split_waiting(
    ctx: &SendContext,
    page: Vec<recipient::PendingRecipient>,
    now: i64,
) -> (Vec<recipient::PendingRecipient>, Vec<(String, i64)>) {
    let mut waiting = Vec::new();
    let due = page
        .into_iter()
        .filter(|rec| {
            let wake = rec.customer.as_ref().and_then(|c| {
                crate::eligibility::quiet_hours_end(&ctx.campaign.spec, &c.time_zone, now)
            });
            if let Some(at) = wake {
                waiting.push((rec.customer_id.clone(), at));
            }
            wake.is_none()
        })
        .collect();
    (due, waiting)
}

/// Sleeps until the first waiting recipient is due (at most
/// [`WAIT_LOOK_EVERY`] at a time, and not past a cancel); `false` when
/// nobody waits, so the run is over.
async fn wait_for_next_due(ctx: &SendContext) -> Result<bool> {
    let now = (ctx.settings.clock)();
    let next = {
        let id = ctx.campaign.id.clone();
        ctx.db.call(move |c| recipient::next_due(c, &id)).await?
    };
    let Some(at) = next else { return Ok(false) };
    let wait = Duration::from_millis(u64::try_from(at - now).unwrap_or(0)).min(WAIT_LOOK_EVERY);
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = ctx.cancel.cancelled() => {}
    }
    Ok(!ctx.cancel.is_cancelled())
}

/// Waits for one send and keeps the first error (a panicked send counts as
/// one); `false` when no send was running.
async fn join_one(tasks: &mut JoinSet<Result<()>>, first_error: &mut Option<Error>) -> bool {
    let Some(joined) = tasks.join_next().await else {
        return false;
    };
    if let Err(e) = joined
        .map_err(|e| Error::Internal(e.to_string()))
        .and_then(|r| r)
    {
        first_error.get_or_insert(e);
    }
    true
}

/// Records `paused`, waits for resume (or cancel), records `running` again.
/// A cancel while paused goes straight from paused to cancelled.
async fn pause_until_resumed(ctx: &SendContext) -> Result<()> {
    let id = &ctx.campaign.id;
    set_state(&ctx.db, id, CampaignState::Paused, None).await?;
    if ctx.control.wait_unpaused(&ctx.cancel).await {
        set_state(&ctx.db, id, CampaignState::Running, None).await?;
    }
    Ok(())
}

/// Records `to`; already being there is fine, because another process
/// steering the campaign through the database may have written it first.
async fn set_state(db: &Db, id: &str, to: CampaignState, error: Option<String>) -> Result<()> {
    let id = id.to_string();
    db.call(move |c| -> Result<()> {
        if campaign::get_blocking(c, &id)?.state == to {
            return Ok(());
        }
        campaign::transition_blocking(c, &id, to, error.as_deref()).map(|_| ())
    })
    .await
}

async fn finish_cancelled(db: &Db, id: &str, recovered_unknown: u64) -> Result<RunOutcome> {
    let counts = {
        let id = id.to_string();
        db.call(move |c| -> Result<_> {
            recipient::settle_cancelled(c, &id)?;
            counts_blocking(c, &id)
        })
        .await?
    };
    set_state(db, id, CampaignState::Cancelled, None).await?;
    Ok(RunOutcome {
        state: CampaignState::Cancelled,
        counts,
        recovered_unknown,
    })
}

/// Stopped by a detach: nothing settled, the state left as it is.
async fn detached(db: &Db, id: &str, recovered_unknown: u64) -> Result<RunOutcome> {
    let id = id.to_string();
    let (state, counts) = db
        .call(move |c| -> Result<_> {
            Ok((
                campaign::get_blocking(c, &id)?.state,
                counts_blocking(c, &id)?,
            ))
        })
        .await?;
    Ok(RunOutcome {
        state,
        counts,
        recovered_unknown,
    })
}

/// Aborts a helper task when the run ends, however it ends.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn report_progress(
    db: Db,
    id: String,
    progress: Arc<impl Fn(Progress) + Send + Sync + 'static>,
    every: Duration,
    clock: fn() -> i64,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        let (id, now) = (id.clone(), clock());
        match db
            .call(move |c| -> Result<_> {
                Ok(counts_blocking(c, &id).and_then(|counts| {
                    // Nothing on its way with some pending: are they all
                    // waiting for quiet hours? (Only then is it worth a look.)
                    let waiting = if counts.pending > 0 && counts.in_flight == 0 {
                        waiting_blocking(c, &id, now)?
                    } else {
                        None
                    };
                    Ok((counts, waiting))
                }))
            })
            .await
        {
            Ok(Ok((counts, waiting))) => progress(counts.to_progress_with(waiting.as_ref())),
            Ok(Err(e)) => tracing::warn!("cannot read campaign progress: {e}"),
            Err(e) => tracing::warn!("cannot read campaign progress: {e}"),
        }
    }
}

/// Re-queues failed (and, if chosen, unknown) recipients. A finished
/// campaign with some to retry goes back to `scheduled`; with none it stays
/// as it is (0 is returned); a running or paused one picks them up.
pub async fn retry_failed(db: &Db, campaign_id: &str, include_unknown: bool) -> Result<u64> {
    let id = campaign_id.to_string();
    db.call(move |c| -> Result<_> {
        // Immediate: read-then-write must not lose the write lock to another process.
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let state = campaign::get_blocking(&tx, &id)?.state;
        // Rows a cloud run still owns are not this computer's to re-queue.
        if crate::cloud::runs::active_blocking(&tx, &id)?.is_some() {
            return Err(Error::RunsInCloud(id.clone()));
        }
        if state == CampaignState::Draft {
            return Err(Error::IllegalTransition {
                from: state,
                to: CampaignState::Scheduled,
            });
        }
        let n = recipient::requeue(&tx, &id, include_unknown)?;
        if n == 0 {
            // Nothing to send: a finished campaign stays finished.
            return Ok(0);
        }
        if matches!(
            state,
            CampaignState::Completed | CampaignState::Cancelled | CampaignState::Failed
        ) {
            campaign::transition_blocking(&tx, &id, CampaignState::Scheduled, None)?;
        }
        tx.commit()?;
        Ok(n)
    })
    .await
}
