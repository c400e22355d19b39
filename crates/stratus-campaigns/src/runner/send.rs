//! Sending to one recipient: the eligibility rules ([`crate::eligibility`]),
//! render, the opt-out check, `in_flight` on disk before the publish call,
//! then the outcome.
//!
//! Only what certainly did not reach the provider is tried again (a
//! refused connection, a "slow down" answer, a failed check before the
//! send); a publish without a clear answer (cut connection, 5xx, timeout)
//! may have been accepted, so its recipient becomes `unknown`, exactly as
//! after a crash, and is resent only by "retry failed" with unknown.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;

use super::breaker::Breaker;
use super::marks::{Claim, MarkWriter};
use super::recipient::{self, PendingRecipient, RecipientStatus};
use super::{RunControl, RunSettings};
use crate::campaign::{Campaign, Channel};
use crate::eligibility::{self, Moment, SkipReason};
use crate::message::CampaignMessage;
use crate::notifier::{Notifier, NotifyError, OutboundMessage};
use crate::push;
use crate::template::TemplateContext;
use crate::Result;

/// What every send task of one run shares.
pub(super) struct SendContext {
    pub db: Db,
    pub campaign: Campaign,
    pub template: CampaignMessage,
    /// The profile's level table as the run started.
    pub levels: crate::gamify::LevelTable,
    pub notifier: Arc<dyn Notifier>,
    pub control: RunControl,
    pub settings: RunSettings,
    pub cancel: CancellationToken,
    pub breaker: Breaker,
    pub marks: MarkWriter,
}

impl SendContext {
    async fn mark(
        &self,
        customer: &str,
        status: RecipientStatus,
        reason: Option<&str>,
        error: Option<(String, String)>,
    ) -> Result<()> {
        let (campaign, customer, reason) = (
            self.campaign.id.clone(),
            customer.to_string(),
            reason.map(str::to_string),
        );
        self.db
            .call(move |c| -> Result<_> {
                let error = error
                    .as_ref()
                    .map(|(code, msg)| (code.as_str(), msg.as_str()));
                Ok(recipient::mark(
                    c,
                    &campaign,
                    &customer,
                    status,
                    reason.as_deref(),
                    error,
                ))
            })
            .await?
    }

    async fn skip(
        &self,
        customer: &str,
        reason: SkipReason,
        error: Option<(String, String)>,
    ) -> Result<()> {
        self.mark(
            customer,
            RecipientStatus::Skipped,
            Some(reason.as_str()),
            error,
        )
        .await
    }

    /// Exponential backoff with equal jitter: half fixed, half random.
    fn backoff(&self, retry: u32) -> Duration {
        let base = self.settings.backoff_base.as_secs_f64() * 2f64.powi(retry.min(30) as i32);
        let capped = base.min(self.settings.backoff_max.as_secs_f64());
        let jitter = rand::rng().random_range(0.0..=1.0);
        Duration::from_secs_f64(capped / 2.0 + capped / 2.0 * jitter)
    }
}

/// Takes one recipient to a definite state (or leaves it pending when cancelled).
pub(super) async fn send_one(ctx: Arc<SendContext>, rec: PendingRecipient) -> Result<()> {
    let id = rec.customer_id.as_str();
    let Some(customer) = rec.customer else {
        return ctx.skip(id, SkipReason::CustomerDeleted, None).await;
    };
    let now = (ctx.settings.clock)();
    let spec = &ctx.campaign.spec;
    let address = match eligibility::check(
        &customer,
        rec.address.as_deref(),
        spec,
        Moment::Send { now },
    ) {
        Ok(address) => address.to_string(),
        // The window began while this one waited for its turn.
        Err(SkipReason::QuietHours) => {
            if let Some(at) = eligibility::quiet_hours_end(spec, &customer.time_zone, now) {
                let (campaign, until) = (ctx.campaign.id.clone(), vec![(id.to_string(), at)]);
                return ctx
                    .db
                    .call(move |c| recipient::defer(c, &campaign, &until))
                    .await;
            }
            return ctx.skip(id, SkipReason::QuietHours, None).await;
        }
        Err(reason) => return ctx.skip(id, reason, None).await,
    };
    if let Some(cap) = spec.frequency_cap {
        let (customer_id, since) = (id.to_string(), now - cap.window_millis());
        let recent = ctx
            .db
            .call(move |c| eligibility::sent_within_blocking(c, &customer_id, since))
            .await?;
        if let Err(reason) = eligibility::check_cap(spec.frequency_cap, recent) {
            return ctx.skip(id, reason, None).await;
        }
    }
    let context = TemplateContext::new(&customer, rec.rank, &ctx.levels);
    // A template that reads `new_badges` announces them: once the message
    // is sent they are no longer new.
    let announced = if ctx.template.uses("new_badges") {
        context.new_badges.clone()
    } else {
        Vec::new()
    };
    let body = match ctx.template.render(&context) {
        Ok(body) => body,
        Err(e) => {
            let error = Some(("template_error".to_string(), e.to_string()));
            return ctx.mark(id, RecipientStatus::Failed, None, error).await;
        }
    };
    let message = OutboundMessage {
        campaign_id: ctx.campaign.id.clone(),
        customer_id: id.to_string(),
        channel: ctx.campaign.spec.channel,
        address,
        body,
        sms_type: ctx.campaign.spec.sms_type,
        sender_id: ctx.campaign.spec.sender_id.clone(),
    };
    let mut retries = 0u32;
    loop {
        if !ctx.control.wait_unpaused(&ctx.cancel).await {
            return Ok(());
        }
        if attempt(&ctx, &message, &announced).await? == Attempt::Settled {
            return Ok(());
        }
        // Certainly not sent: wait, then try again (a breaker that opened
        // meanwhile holds this at the pause above).
        let wait = ctx.backoff(retries);
        retries += 1;
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.cancel.cancelled() => return Ok(()),
        }
        tokio::select! {
            _ = ctx.control.bucket().acquire() => {}
            _ = ctx.cancel.cancelled() => return Ok(()),
        }
    }
}

/// How one try ended.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    /// The recipient has its answer (or someone else owns the row).
    Settled,
    /// Certainly not sent: try again.
    Again,
}

/// One try: opt-out check, durable `in_flight`, publish, outcome.
async fn attempt(
    ctx: &SendContext,
    message: &OutboundMessage,
    announced: &[String],
) -> Result<Attempt> {
    let id = message.customer_id.as_str();
    if message.channel == Channel::Sms {
        match ctx.notifier.is_opted_out(&message.address).await {
            Ok(opted_out) => {
                ctx.breaker.on_answer();
                if opted_out {
                    return settle(ctx, id, &NotifyError::OptedOut).await;
                }
            }
            // A check that fails sent nothing: it uses up no attempt, and
            // a read is safe to repeat whatever its failure.
            Err(e @ NotifyError::Throttled(_)) => {
                ctx.breaker.on_answer();
                ctx.control.bucket().on_throttle();
                tracing::debug!("opt-out check for {id}: {e}");
                return Ok(Attempt::Again);
            }
            Err(e) if e.is_outage() => {
                ctx.breaker.on_outage(&e);
                tracing::debug!("opt-out check for {id}: {e}");
                return Ok(Attempt::Again);
            }
            Err(e) => {
                ctx.breaker.on_answer();
                return settle(ctx, id, &e).await;
            }
        }
    }
    match ctx.marks.claim(id, &message.body).await? {
        Claim::Marked => {}
        Claim::Taken => return Ok(Attempt::Settled),
        // Paused or cancelled from elsewhere: this run's steering catches
        // up within a poll; until then, wait as after any unsent try.
        Claim::Stopped => return Ok(Attempt::Again),
    }
    // Push goes to every enabled device of the customer under this one
    // mark (docs/campaigns.md, "Push: one row per customer").
    let published = match message.channel {
        Channel::Push => push::deliver(&ctx.db, ctx.notifier.as_ref(), message).await?,
        _ => ctx.notifier.publish(message).await,
    };
    let error = match published {
        Ok(message_id) => {
            ctx.breaker.on_answer();
            ctx.control.bucket().on_success();
            let (campaign, customer) = (message.campaign_id.clone(), message.customer_id.clone());
            let announced = announced.to_vec();
            ctx.db
                .call(move |c| {
                    recipient::mark_sent(c, &campaign, &customer, &message_id, &announced)
                })
                .await?;
            return Ok(Attempt::Settled);
        }
        Err(e) => e,
    };
    let attempted = match &error {
        NotifyError::Throttled(_) => {
            ctx.breaker.on_answer();
            ctx.control.bucket().on_throttle();
            true
        }
        NotifyError::Unreachable { .. } => {
            ctx.breaker.on_outage(&error);
            false
        }
        NotifyError::InDoubt { .. } => {
            ctx.breaker.on_outage(&error);
            let detail = Some((error.code(), error.to_string()));
            ctx.mark(
                id,
                RecipientStatus::Unknown,
                Some(recipient::IN_DOUBT),
                detail,
            )
            .await?;
            return Ok(Attempt::Settled);
        }
        _ => {
            ctx.breaker.on_answer();
            return settle(ctx, id, &error).await;
        }
    };
    let (campaign, customer, code, text) = (
        message.campaign_id.clone(),
        message.customer_id.clone(),
        error.code(),
        error.to_string(),
    );
    ctx.db
        .call(move |c| {
            recipient::release_unsent(c, &campaign, &customer, (&code, &text), attempted)
        })
        .await?;
    Ok(Attempt::Again)
}

/// A final answer from the provider: skipped for "never send to this
/// recipient" answers, failed for the rest.
async fn settle(ctx: &SendContext, id: &str, error: &NotifyError) -> Result<Attempt> {
    let detail = Some((error.code(), error.to_string()));
    match error.skip_reason() {
        Some(reason) => ctx.skip(id, reason, detail).await?,
        None => ctx.mark(id, RecipientStatus::Failed, None, detail).await?,
    }
    Ok(Attempt::Settled)
}
