//! The cloud worker: sends one manifest chunk with the exactly-once-or-
//! unknown rule. Per recipient: a conditional `in_flight` mark (only from
//! absent or `pending`), the publish through the [`Notifier`] (push: to
//! each device of the entry, folded as the local runner folds them), then
//! `sent` with the provider's id; no clear answer → `unknown`. A mark found
//! `in_flight` (a worker died mid-publish, the chunk was delivered again)
//! becomes `unknown`, never a second send.
//!
//! The AWS Lambda glue (SQS events in, partial batch failures out) is in
//! `stratus-gateway`; this is the part that can run anywhere (the
//! benchmark runs it in-process).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stratus_core::store::ObjectStore;

use super::control::{Control, ControlCache, CONTROL_TTL};
use super::manifest::{self, ManifestEntry};
use super::marks::{Claim, FromState, MarkTable, Settle};
use super::queue::{ChunkMessage, ChunkQueue, StartMessage, MAX_DELAY};
use super::rules::Quiet;
use crate::campaign::{CampaignState, Channel};
use crate::eligibility::SkipReason;
use crate::notifier::{Notifier, NotifyError, OutboundMessage};
use crate::push::{self, DeviceNote};
use crate::recipients::RecipientStatus;
use crate::runner::{TokenBucket, CANCELLED_IN_FLIGHT, IN_DOUBT};
use crate::{Error, Result};

/// Reason of an `unknown` mark whose claim outlived its worker (the
/// desktop runner's word for a row left `in_flight` by a dead process).
pub const INTERRUPTED: &str = "interrupted";

/// How long a worker waits before it looks at a chunk again.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// A paused run's chunk comes back this much later.
    pub paused_recheck: Duration,
    /// After a send that certainly did not reach the provider (refused
    /// connection, throttling).
    pub retry_after: Duration,
    /// Time kept in hand before the invocation's deadline: the chunk's
    /// rest is requeued instead of being cut off mid-publish.
    pub deadline_margin: Duration,
    /// The longest a chunk waiting for quiet hours to end stays away
    /// before it is looked at again (SQS delays at most 15 minutes).
    pub quiet_recheck_max: Duration,
    /// Wall clock (Unix ms) for quiet hours and the frequency cap's
    /// window (tests pin it).
    pub clock: fn() -> i64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            paused_recheck: Duration::from_secs(60),
            retry_after: Duration::from_secs(20),
            deadline_margin: Duration::from_secs(10),
            quiet_recheck_max: MAX_DELAY,
            clock: stratus_core::clock::now_millis,
        }
    }
}

/// What one chunk came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkReport {
    pub sent: u64,
    pub failed: u64,
    pub skipped: u64,
    pub unknown: u64,
    /// Recipients someone had already answered (a redelivery).
    pub already: u64,
    /// Recipients put back until their quiet hours end.
    pub waiting: u64,
    /// Why the chunk went back on the queue, if it did.
    pub requeued: Option<&'static str>,
}

/// Sends chunks. One per Lambda instance; it keeps the control items it
/// read and its share of the rate between invocations.
pub struct Worker {
    pub marks: MarkTable,
    pub queue: ChunkQueue,
    /// The bucket holding the manifests.
    pub manifests: Arc<dyn ObjectStore>,
    pub notifier: Arc<dyn Notifier>,
    pub settings: WorkerSettings,
    controls: ControlCache,
    pace: TokenBucket,
}

/// What to do after one recipient.
enum Step {
    Next,
    /// Put the chunk back for later, with this delay and reason.
    Requeue(Duration, &'static str),
}

impl Worker {
    pub fn new(
        marks: MarkTable,
        queue: ChunkQueue,
        manifests: Arc<dyn ObjectStore>,
        notifier: Arc<dyn Notifier>,
        settings: WorkerSettings,
    ) -> Self {
        Worker {
            marks,
            queue,
            manifests,
            notifier,
            settings,
            controls: ControlCache::new(CONTROL_TTL),
            pace: TokenBucket::new(1.0),
        }
    }

    /// Sends one chunk. `deadline`: when the invocation is cut off (Lambda's).
    /// An error means the chunk was not finished and should be delivered
    /// again (claims left behind become `unknown` then); a chunk put back
    /// on purpose is `Ok` with `requeued` set, and its message is done.
    pub async fn process(
        &self,
        message: &ChunkMessage,
        deadline: Option<Instant>,
    ) -> Result<ChunkReport> {
        let run = message.run.as_str();
        let mut report = ChunkReport::default();
        if let Some(at) = message.not_before {
            let now = (self.settings.clock)();
            let state = self.controls.get(&self.marks, run).await?.state;
            // A cancelled run settles its waiting ones at once (below).
            if at > now && state != CampaignState::Cancelled {
                if matches!(state, CampaignState::Completed | CampaignState::Failed) {
                    return Ok(report);
                }
                self.queue
                    .requeue(message, self.quiet_delay(at - now))
                    .await?;
                report.waiting = message.only.as_ref().map_or(0, |o| o.len() as u64);
                report.requeued = Some("quiet_hours");
                return Ok(report);
            }
        }
        let bytes = self
            .manifests
            .get_bytes(&message.key)
            .await
            .map_err(|e| Error::Cloud(format!("cannot read {}: {e}", message.key)))?;
        let mut entries = manifest::decode(&bytes)?;
        if let Some(only) = &message.only {
            let only: HashSet<&str> = only.iter().map(String::as_str).collect();
            entries.retain(|e| only.contains(e.customer_id.as_str()));
        }
        // Recipients whose quiet hours are on: (entry, when they end).
        let mut waiting: Vec<(&ManifestEntry, i64)> = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let control = self.controls.get(&self.marks, run).await?;
            let step = match control.state {
                CampaignState::Running => {
                    if deadline.is_some_and(|d| {
                        d.saturating_duration_since(Instant::now()) < self.settings.deadline_margin
                    }) {
                        Step::Requeue(Duration::ZERO, "deadline")
                    } else {
                        let now = (self.settings.clock)();
                        match control.rules.quiet(&entry.time_zone, now) {
                            Quiet::Send => self.send(run, &control, entry, &mut report).await?,
                            Quiet::Wait(until) => {
                                waiting.push((entry, until));
                                Step::Next
                            }
                            Quiet::Skip => {
                                let quiet = Settle::because(SkipReason::QuietHours.as_str());
                                let skipped = RecipientStatus::Skipped;
                                self.settle_unclaimed(
                                    run,
                                    &control,
                                    entry,
                                    skipped,
                                    quiet,
                                    INTERRUPTED,
                                    &mut report,
                                )
                                .await?;
                                Step::Next
                            }
                        }
                    }
                }
                CampaignState::Cancelled => {
                    let rest = waiting.iter().map(|(e, _)| *e).chain(&entries[i..]);
                    self.settle_cancelled(run, &control, rest, &mut report)
                        .await?;
                    return Ok(report);
                }
                // Finished: every recipient has its answer already.
                CampaignState::Completed | CampaignState::Failed => return Ok(report),
                _ => Step::Requeue(self.settings.paused_recheck, "paused"),
            };
            if let Step::Requeue(delay, reason) = step {
                // The whole message: who waits is judged again then.
                self.queue.requeue(message, delay).await?;
                report.requeued = Some(reason);
                return Ok(report);
            }
        }
        if let Some(until) = waiting.iter().map(|(_, at)| *at).min() {
            let rest = ChunkMessage {
                not_before: Some(until),
                only: Some(waiting.iter().map(|(e, _)| e.customer_id.clone()).collect()),
                ..message.clone()
            };
            let delay = self.quiet_delay(until - (self.settings.clock)());
            self.queue.requeue(&rest, delay).await?;
            report.waiting = waiting.len() as u64;
            report.requeued = Some("quiet_hours");
        }
        Ok(report)
    }

    /// How long a chunk waiting `ms` more for quiet hours to end stays away.
    fn quiet_delay(&self, ms: i64) -> Duration {
        // Whole seconds (SQS's unit), rounded up: never back before the end.
        let seconds = u64::try_from(ms).unwrap_or(0).div_ceil(1000);
        Duration::from_secs(seconds).min(self.settings.quiet_recheck_max)
    }

    /// A scheduled run's start (its schedule's message): the run becomes
    /// `running` and its chunks go on the queue. The number of chunks
    /// queued; 0 when it was started already or cancelled. If queueing
    /// fails the run goes back to `scheduled` and the error makes the
    /// start message come again.
    pub async fn start(&self, message: &StartMessage) -> Result<u32> {
        let run = message.start.as_str();
        let control = self
            .marks
            .control(run)
            .await?
            .ok_or_else(|| Error::Cloud(format!("run {run} has no control item")))?;
        if !self.marks.start(run).await? {
            return Ok(0);
        }
        let chunks: Vec<ChunkMessage> = (0..control.chunks)
            .map(|chunk| ChunkMessage {
                run: run.to_string(),
                chunk,
                key: manifest::chunk_key(run, chunk),
                ..ChunkMessage::default()
            })
            .collect();
        if let Err(e) = self.queue.send_all(&chunks).await {
            let _ = self.marks.set_state(run, CampaignState::Scheduled).await;
            return Err(e);
        }
        Ok(control.chunks)
    }

    /// One recipient: claim, the frequency cap, publish, record.
    async fn send(
        &self,
        run: &str,
        control: &Control,
        entry: &ManifestEntry,
        report: &mut ChunkReport,
    ) -> Result<Step> {
        let rate = control.worker_rate();
        if (self.pace.rates().1 - rate).abs() > f64::EPSILON {
            self.pace.set_rate(rate);
        }
        self.pace.acquire().await;
        let customer = entry.customer_id.as_str();
        let token = uuid::Uuid::now_v7().to_string();
        match self.marks.claim(run, customer, &token).await? {
            Claim::Claimed => {}
            Claim::WasInFlight => {
                self.pace.refund();
                let detail = Settle::because(INTERRUPTED);
                if self
                    .marks
                    .settle(
                        run,
                        customer,
                        RecipientStatus::Unknown,
                        FromState::InFlight,
                        detail,
                    )
                    .await?
                {
                    report.unknown += 1;
                    // `unknown` does not count towards a cap (as locally).
                    self.marks
                        .forget_send(customer, &control.campaign_id)
                        .await?;
                }
                return Ok(Step::Next);
            }
            Claim::Settled(_) => {
                self.pace.refund();
                report.already += 1;
                return Ok(Step::Next);
            }
        }
        let now = (self.settings.clock)();
        let campaign = control.campaign_id.as_str();
        let cap = control.rules.frequency_cap;
        if let Some(cap) = cap {
            if !self
                .marks
                .reserve_send(customer, campaign, cap, now)
                .await?
            {
                self.pace.refund();
                let capped = Settle::because(SkipReason::FrequencyCap.as_str());
                let (skipped, ours) = (RecipientStatus::Skipped, FromState::InFlight);
                self.marks
                    .settle(run, customer, skipped, ours, capped)
                    .await?;
                report.skipped += 1;
                return Ok(Step::Next);
            }
        }
        let sent_before = report.sent;
        let step = self.publish(run, control, entry, report).await?;
        match (report.sent > sent_before, cap) {
            // Later capped campaigns count it.
            (true, None) => self.marks.record_send(customer, campaign, now).await?,
            // The reservation of a message that did not certainly go.
            (false, Some(_)) => self.marks.forget_send(customer, campaign).await?,
            _ => {}
        }
        Ok(step)
    }

    /// The claimed recipient's publish (the SMS opt-out check first) and
    /// its answer on the mark.
    async fn publish(
        &self,
        run: &str,
        control: &Control,
        entry: &ManifestEntry,
        report: &mut ChunkReport,
    ) -> Result<Step> {
        let customer = entry.customer_id.as_str();
        let message = OutboundMessage {
            campaign_id: control.campaign_id.clone(),
            customer_id: customer.to_string(),
            channel: control.channel,
            address: entry.address.clone(),
            body: entry.body.clone(),
            sms_type: control.sms_type,
            sender_id: control.sender_id.clone(),
        };
        if message.channel == Channel::Sms {
            match self.notifier.is_opted_out(&message.address).await {
                Ok(false) => {}
                Ok(true) => {
                    return self
                        .answer(run, customer, &NotifyError::OptedOut, Vec::new(), report)
                        .await
                }
                Err(e) => return self.not_sent(run, customer, e, Vec::new(), report).await,
            }
        }
        // Push goes to every device enabled at upload under this one mark
        // (docs/campaigns.md, "Push: one row per customer"); in-app to the
        // customer's inbox (the notifier routes it).
        let (published, devices) = match message.channel {
            Channel::Push => push::fan_out(self.notifier.as_ref(), &message, &entry.devices).await,
            _ => (self.notifier.publish(&message).await, Vec::new()),
        };
        match published {
            Ok(message_id) => {
                self.pace.on_success();
                let detail = Settle {
                    message_id: Some(message_id),
                    devices,
                    badges: entry.announced.clone(),
                    ..Settle::default()
                };
                self.marks
                    .settle(run, customer, RecipientStatus::Sent, FromState::Any, detail)
                    .await?;
                report.sent += 1;
                Ok(Step::Next)
            }
            Err(e @ NotifyError::InDoubt { .. }) => {
                let detail = Settle {
                    reason: Some(IN_DOUBT.into()),
                    error: Some((e.code(), e.to_string())),
                    devices,
                    ..Settle::default()
                };
                self.marks
                    .settle(
                        run,
                        customer,
                        RecipientStatus::Unknown,
                        FromState::InFlight,
                        detail,
                    )
                    .await?;
                report.unknown += 1;
                Ok(Step::Next)
            }
            Err(e) => self.not_sent(run, customer, e, devices, report).await,
        }
    }

    /// A call that did not send: retry later if it certainly never reached
    /// the provider (throttled, unreachable), else the provider's answer.
    /// `devices`: what push publishes said about devices (kept with a final
    /// answer; a retry learns it again).
    async fn not_sent(
        &self,
        run: &str,
        customer: &str,
        error: NotifyError,
        devices: Vec<DeviceNote>,
        report: &mut ChunkReport,
    ) -> Result<Step> {
        match &error {
            NotifyError::Throttled(_) | NotifyError::Unreachable { .. } => {
                if matches!(error, NotifyError::Throttled(_)) {
                    self.pace.on_throttle();
                }
                self.marks
                    .release(run, customer, (error.code(), error.to_string()))
                    .await?;
                let reason = if matches!(error, NotifyError::Throttled(_)) {
                    "throttled"
                } else {
                    "unreachable"
                };
                Ok(Step::Requeue(self.settings.retry_after, reason))
            }
            // An opt-out check with no clear answer sent nothing: try again.
            NotifyError::InDoubt { .. } => {
                self.marks
                    .release(run, customer, (error.code(), error.to_string()))
                    .await?;
                Ok(Step::Requeue(self.settings.retry_after, "unreachable"))
            }
            _ => self.answer(run, customer, &error, devices, report).await,
        }
    }

    /// A final answer: skipped for "never send to this recipient", else failed.
    async fn answer(
        &self,
        run: &str,
        customer: &str,
        error: &NotifyError,
        devices: Vec<DeviceNote>,
        report: &mut ChunkReport,
    ) -> Result<Step> {
        let (status, reason) = match error.skip_reason() {
            Some(reason) => (RecipientStatus::Skipped, Some(reason.as_str().to_string())),
            None => (RecipientStatus::Failed, None),
        };
        let detail = Settle {
            reason,
            error: Some((error.code(), error.to_string())),
            devices,
            ..Settle::default()
        };
        self.marks
            .settle(run, customer, status, FromState::InFlight, detail)
            .await?;
        match status {
            RecipientStatus::Skipped => report.skipped += 1,
            _ => report.failed += 1,
        }
        Ok(Step::Next)
    }

    /// A cancelled run: what nobody claimed is `skipped` (`cancelled`).
    async fn settle_cancelled<'e>(
        &self,
        run: &str,
        control: &Control,
        entries: impl Iterator<Item = &'e ManifestEntry>,
        report: &mut ChunkReport,
    ) -> Result<()> {
        for entry in entries {
            let cancelled = Settle::because(SkipReason::Cancelled.as_str());
            let skipped = RecipientStatus::Skipped;
            self.settle_unclaimed(
                run,
                control,
                entry,
                skipped,
                cancelled,
                CANCELLED_IN_FLIGHT,
                report,
            )
            .await?;
        }
        Ok(())
    }

    /// Settles a recipient nobody claimed (`status`); one a worker claimed
    /// and left behind becomes `unknown` (reason `left`: a live one records
    /// `sent` over this if its publish goes through); one with an answer
    /// stays as it is.
    #[allow(clippy::too_many_arguments)]
    async fn settle_unclaimed(
        &self,
        run: &str,
        control: &Control,
        entry: &ManifestEntry,
        status: RecipientStatus,
        detail: Settle,
        left: &str,
        report: &mut ChunkReport,
    ) -> Result<()> {
        let customer = entry.customer_id.as_str();
        if self
            .marks
            .settle(run, customer, status, FromState::Untouched, detail)
            .await?
        {
            match status {
                RecipientStatus::Skipped => report.skipped += 1,
                _ => report.failed += 1,
            }
            return Ok(());
        }
        let (unknown, claimed) = (RecipientStatus::Unknown, FromState::InFlight);
        if self
            .marks
            .settle(run, customer, unknown, claimed, Settle::because(left))
            .await?
        {
            report.unknown += 1;
            self.marks
                .forget_send(customer, &control.campaign_id)
                .await?;
        } else {
            report.already += 1;
        }
        Ok(())
    }
}
