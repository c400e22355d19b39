//! Sending to one recipient: skip rules, render, `in_flight` committed
//! before the publish call, then the outcome; retries with backoff.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Timelike};
use rand::Rng;
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;

use super::recipient::{self, PendingRecipient, RecipientStatus};
use super::{RunControl, RunSettings};
use crate::campaign::{Campaign, Channel, QuietHours};
use crate::notifier::{Notifier, NotifyError, OutboundMessage};
use crate::template::{MessageTemplate, TemplateContext};
use crate::Result;

/// What every send task of one run shares.
pub(super) struct SendContext {
    pub db: Db,
    pub campaign: Campaign,
    pub template: MessageTemplate,
    pub notifier: Arc<dyn Notifier>,
    pub control: RunControl,
    pub settings: RunSettings,
    pub cancel: CancellationToken,
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
            .call(move |c| {
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

    /// Exponential backoff with equal jitter: half fixed, half random.
    fn backoff(&self, retry: u32) -> Duration {
        let base = self.settings.backoff_base.as_secs_f64() * 2f64.powi(retry.min(30) as i32);
        let capped = base.min(self.settings.backoff_max.as_secs_f64());
        let jitter = rand::rng().random_range(0.0..=1.0);
        Duration::from_secs_f64(capped / 2.0 + capped / 2.0 * jitter)
    }
}

/// Whether `now_millis` falls in the quiet hours of `time_zone` (UTC if unknown).
pub fn in_quiet_hours(quiet: QuietHours, time_zone: &str, now_millis: i64) -> bool {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    match DateTime::from_timestamp_millis(now_millis) {
        Some(t) => {
            let local = t.with_timezone(&tz);
            let minute = local.hour() * 60 + local.minute();
            quiet.contains(u16::try_from(minute).unwrap_or(0))
        }
        None => false,
    }
}

/// Takes one recipient to a definite state (or leaves it pending when cancelled).
pub(super) async fn send_one(ctx: Arc<SendContext>, rec: PendingRecipient) -> Result<()> {
    let id = rec.customer_id.as_str();
    let Some(customer) = rec.customer else {
        return ctx
            .mark(id, RecipientStatus::Skipped, Some("customer_deleted"), None)
            .await;
    };
    let Some(address) = rec.address else {
        return ctx
            .mark(id, RecipientStatus::Skipped, Some("no_address"), None)
            .await;
    };
    if let Some(quiet) = ctx.campaign.spec.quiet_hours {
        if in_quiet_hours(quiet, &customer.time_zone, (ctx.settings.clock)()) {
            return ctx
                .mark(id, RecipientStatus::Skipped, Some("quiet_hours"), None)
                .await;
        }
    }
    let body = match ctx
        .template
        .render(&TemplateContext::new(&customer, rec.rank))
    {
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
    let (mut failures, mut retries) = (0u32, 0u32);
    loop {
        if !ctx.control.wait_unpaused(&ctx.cancel).await {
            return Ok(());
        }
        let error = match attempt(&ctx, &message).await? {
            None => return Ok(()),
            Some(error) => error,
        };
        if let Some(reason) = error.skip_reason() {
            let detail = Some((error.code(), error.to_string()));
            return ctx
                .mark(id, RecipientStatus::Skipped, Some(reason), detail)
                .await;
        }
        match &error {
            NotifyError::Throttled(_) => ctx.control.bucket().on_throttle(),
            NotifyError::Transient { .. } => {
                failures += 1;
                if failures >= ctx.settings.max_attempts {
                    let detail = Some((error.code(), error.to_string()));
                    return ctx.mark(id, RecipientStatus::Failed, None, detail).await;
                }
            }
            _ => {
                let detail = Some((error.code(), error.to_string()));
                return ctx.mark(id, RecipientStatus::Failed, None, detail).await;
            }
        }
        // Not sent: back to pending, so a crash during the wait resends it.
        ctx.mark(
            id,
            RecipientStatus::Pending,
            Some("retrying"),
            Some((error.code(), error.to_string())),
        )
        .await?;
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

/// One try: opt-out check, `in_flight`, publish, `sent`. `None` = done.
async fn attempt(ctx: &SendContext, message: &OutboundMessage) -> Result<Option<NotifyError>> {
    if message.channel == Channel::Sms {
        match ctx.notifier.is_opted_out(&message.address).await {
            Ok(true) => return Ok(Some(NotifyError::OptedOut)),
            Ok(false) => {}
            Err(e) => return Ok(Some(e)),
        }
    }
    let (campaign, customer, body) = (
        message.campaign_id.clone(),
        message.customer_id.clone(),
        message.body.clone(),
    );
    let claimed = ctx
        .db
        .call(move |c| Ok(recipient::mark_in_flight(c, &campaign, &customer, &body)))
        .await??;
    if !claimed {
        return Ok(None);
    }
    match ctx.notifier.publish(message).await {
        Ok(message_id) => {
            ctx.control.bucket().on_success();
            let (campaign, customer) = (message.campaign_id.clone(), message.customer_id.clone());
            ctx.db
                .call(move |c| Ok(recipient::mark_sent(c, &campaign, &customer, &message_id)))
                .await??;
            Ok(None)
        }
        Err(e) => Ok(Some(e)),
    }
}
