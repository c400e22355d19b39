//! The campaign-level circuit breaker. When the provider stops answering
//! (connections refused, no clear answers), sending on would only turn
//! recipients `unknown` one after another. After `threshold` outage
//! failures in a row the run pauses itself with the reason ("provider
//! unreachable since …"), probes the provider with a call that sends
//! nothing, and resumes on its own when it answers again. A Resume by hand
//! also closes the breaker; if the provider is still down it opens again.
//! A run that starts on a campaign a previous run paused for an outage
//! (the app quit or the process died while waiting) goes on probing, so
//! such a pause never needs a hand to end it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::DateTime;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use tokio::sync::Notify;

use super::send::SendContext;
use crate::campaign::{self, CampaignState};
use crate::notifier::NotifyError;
use crate::Result;

#[derive(Debug, Default)]
struct State {
    in_a_row: u32,
    /// Unix ms of the first outage failure of the current series.
    since: Option<i64>,
    last: Option<String>,
    open: bool,
}

/// Counts outage failures in a row across every send task of one run.
#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    state: Mutex<State>,
    opened: Notify,
}

/// Why the breaker opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outage {
    pub since: i64,
    pub last_error: String,
}

/// How every outage reason starts: how a later run recognises a pause the
/// breaker made (a pause by hand has no error).
const REASON_PREFIX: &str = "provider unreachable since ";

impl Outage {
    /// Whether a paused campaign's error is an outage reason.
    pub fn is_reason(error: &str) -> bool {
        error.starts_with(REASON_PREFIX)
    }

    /// What the campaign's error says while it is paused for the outage.
    pub fn reason(&self) -> String {
        let since = DateTime::from_timestamp_millis(self.since).map_or_else(
            || self.since.to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
        format!(
            "{REASON_PREFIX}{since} ({}); sending resumes by itself when it answers again",
            self.last_error
        )
    }
}

impl Breaker {
    pub fn new(threshold: u32) -> Self {
        Breaker {
            threshold: threshold.max(1),
            state: Mutex::new(State::default()),
            opened: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A few field writes per update: a poisoned lock holds usable state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The provider answered (whatever it said): the series is broken.
    pub fn on_answer(&self) {
        let mut s = self.lock();
        if !s.open {
            s.in_a_row = 0;
            s.since = None;
        }
    }

    /// The provider could not be reached or gave no clear answer.
    pub fn on_outage(&self, error: &NotifyError) {
        let mut s = self.lock();
        if s.open {
            return;
        }
        s.in_a_row += 1;
        s.since.get_or_insert_with(now_millis);
        s.last = Some(error.to_string());
        if s.in_a_row >= self.threshold {
            s.open = true;
            self.opened.notify_one();
        }
    }

    /// Waits until the breaker opens.
    async fn opened(&self) -> Outage {
        loop {
            {
                let s = self.lock();
                if s.open {
                    return Outage {
                        since: s.since.unwrap_or_else(now_millis),
                        last_error: s.last.clone().unwrap_or_default(),
                    };
                }
            }
            self.opened.notified().await;
        }
    }

    fn close(&self) {
        *self.lock() = State::default();
    }
}

/// Runs beside the send tasks: pauses the run when the breaker opens and
/// resumes it when a probe is answered, until the run ends. A database
/// error does not end the watch (the run would then stay paused for good):
/// it is logged and the watch starts again, and the breaker, still open,
/// brings it back to the same outage.
pub(super) async fn watch(ctx: Arc<SendContext>) {
    // The pause a previous run left, if it was an outage: probe from the start.
    let mut inherited = Some(&ctx.campaign)
        .filter(|c| c.state == CampaignState::Paused)
        .and_then(|c| c.error.clone())
        .filter(|e| Outage::is_reason(e));
    loop {
        match guard(&ctx, &mut inherited).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!("campaign {}: outage watch: {e}; retrying", ctx.campaign.id);
                tokio::select! {
                    _ = tokio::time::sleep(ctx.settings.probe_every_max) => {}
                    _ = ctx.cancel.cancelled() => return,
                }
            }
        }
    }
}

async fn guard(ctx: &SendContext, inherited: &mut Option<String>) -> Result<()> {
    loop {
        let reason = match inherited.clone() {
            Some(reason) => reason,
            None => {
                let outage = tokio::select! {
                    outage = ctx.breaker.opened() => outage,
                    _ = ctx.cancel.cancelled() => return Ok(()),
                };
                let reason = outage.reason();
                tracing::warn!("campaign {}: {reason}", ctx.campaign.id);
                // The row first, then this run: a steering watcher reading the row
                // in between must not see `running` and resume what we pause.
                if pause_for_outage(&ctx.db, &ctx.campaign.id, &reason).await? {
                    ctx.control.pause();
                }
                reason
            }
        };
        if !probe_until_answered(ctx, &reason).await? {
            return Ok(());
        }
        *inherited = None;
        ctx.breaker.close();
    }
}

/// Probes, slower and slower, while the campaign is paused for `reason`;
/// resumes it when the provider answers. False when the run was cancelled.
async fn probe_until_answered(ctx: &SendContext, reason: &str) -> Result<bool> {
    let mut wait = ctx.settings.backoff_base;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.cancel.cancelled() => return Ok(false),
        }
        if !still_paused_for(&ctx.db, &ctx.campaign.id, reason).await? {
            // Resumed (or cancelled) by hand: try again from scratch.
            return Ok(true);
        }
        match ctx.notifier.probe().await {
            Ok(()) => {
                if resume_after_outage(&ctx.db, &ctx.campaign.id, reason).await? {
                    tracing::info!(
                        "campaign {}: the provider answers again; resuming",
                        ctx.campaign.id
                    );
                    ctx.control.resume();
                }
                return Ok(true);
            }
            Err(e) => {
                tracing::debug!("campaign {}: probe failed: {e}", ctx.campaign.id);
                wait = (wait * 2).min(ctx.settings.probe_every_max);
            }
        }
    }
}

/// `running → paused` with the outage as the campaign's error; false when
/// the campaign was not running (paused by hand, cancelled, finished).
async fn pause_for_outage(db: &Db, id: &str, reason: &str) -> Result<bool> {
    let (id, reason) = (id.to_string(), reason.to_string());
    db.call(move |c| -> Result<bool> {
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if campaign::get_blocking(&tx, &id)?.state != CampaignState::Running {
            return Ok(false);
        }
        campaign::transition_blocking(&tx, &id, CampaignState::Paused, Some(&reason))?;
        tx.commit()?;
        Ok(true)
    })
    .await
}

async fn still_paused_for(db: &Db, id: &str, reason: &str) -> Result<bool> {
    let (id, reason) = (id.to_string(), reason.to_string());
    db.call(move |c| -> Result<bool> {
        let current = campaign::get_blocking(c, &id)?;
        Ok(current.state == CampaignState::Paused && current.error.as_deref() == Some(&reason))
    })
    .await
}

/// `paused → running` only if it is still paused for this outage (a pause
/// by hand meanwhile stays a pause).
async fn resume_after_outage(db: &Db, id: &str, reason: &str) -> Result<bool> {
    let (id, reason) = (id.to_string(), reason.to_string());
    db.call(move |c| -> Result<bool> {
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current = campaign::get_blocking(&tx, &id)?;
        if current.state != CampaignState::Paused || current.error.as_deref() != Some(&reason) {
            return Ok(false);
        }
        campaign::transition_blocking(&tx, &id, CampaignState::Running, None)?;
        tx.commit()?;
        Ok(true)
    })
    .await
}

/// Default pause between probes at most.
pub(crate) const PROBE_EVERY_MAX: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    fn outage() -> NotifyError {
        NotifyError::Unreachable {
            code: "connect".into(),
            message: "refused".into(),
        }
    }

    #[test]
    fn opens_after_threshold_outages_in_a_row_and_an_answer_breaks_the_series() {
        let b = Breaker::new(3);
        b.on_outage(&outage());
        b.on_outage(&outage());
        b.on_answer();
        b.on_outage(&outage());
        b.on_outage(&outage());
        assert!(
            !b.lock().open,
            "an answer in between starts the count again"
        );
        b.on_outage(&outage());
        assert!(b.lock().open);
        b.on_answer();
        assert!(
            b.lock().open,
            "a late answer does not close an open breaker"
        );
        b.close();
        assert_eq!(b.lock().in_a_row, 0);
    }

    #[test]
    fn the_reason_names_the_time_and_the_error() {
        let o = Outage {
            since: 1_764_584_043_000,
            last_error: "the provider could not be reached (connect): refused".into(),
        };
        assert_eq!(
            o.reason(),
            "provider unreachable since 2025-12-01 10:14:03 UTC (the provider could not be reached (connect): refused); sending resumes by itself when it answers again"
        );
    }
}
