//! The desktop catching up with a cloud run: marks changed since the last
//! look (the `by_change` index) are written into the recipients rows, so
//! the progress bar, the recipient table, exports and "retry failed" work
//! as for a local run. Steering is reconciled both ways (the newer of the
//! campaign row and the control item wins), and when no row is left
//! pending the run is over here too.

use aws_config::SdkConfig;
use rusqlite::params;
use stratus_core::db::Db;

use super::control::Control;
use super::marks::Mark;
use super::runs::{self, CloudRunState};
use crate::campaign::{self, CampaignState};
use crate::recipients::RecipientStatus;
use crate::{gamify, push, Result};

/// A catch-up reads again this far behind the newest mark it applied: a
/// worker's clock may run a little behind, and the index is eventually
/// consistent. Applying a mark twice changes nothing.
pub const OVERLAP_MS: i64 = 60_000;

/// What one catch-up did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUp {
    pub run_id: String,
    /// Recipients rows that changed.
    pub applied: u64,
    /// The campaign's state afterwards.
    pub state: CampaignState,
    /// Every recipient of the run has its answer here now.
    pub finished: bool,
}

/// Brings the campaign's rows up to its cloud run's marks. `None` when no
/// cloud run is under way for it.
pub async fn catch_up(db: &Db, sdk: &SdkConfig, campaign_id: &str) -> Result<Option<CatchUp>> {
    let id = campaign_id.to_string();
    let Some(run) = db.read(move |c| runs::active_blocking(c, &id)).await? else {
        return Ok(None);
    };
    let marks = &run.marks(sdk);
    let mut applied = 0u64;
    let mut newest = run.caught_up_to;
    let mut start = None;
    loop {
        let (page, next) = marks
            .changed_since(&run.run_id, (run.caught_up_to - OVERLAP_MS).max(0), start)
            .await?;
        newest = page.iter().map(|m| m.changed).fold(newest, i64::max);
        let (id, run_id) = (run.campaign_id.clone(), run.run_id.clone());
        applied += db
            .call(move |c| -> Result<u64> {
                let tx = c.transaction()?;
                let n = apply(&tx, &id, &page)?;
                runs::set_caught_up(&tx, &run_id, newest)?;
                tx.commit()?;
                Ok(n)
            })
            .await?;
        match next {
            Some(key) => start = Some(key),
            None => break,
        }
    }
    let control = marks.control(&run.run_id).await?;
    let (id, run_id, uploading) = (
        run.campaign_id.clone(),
        run.run_id.clone(),
        run.state == CloudRunState::Uploading,
    );
    let (state, finished, push) = db
        .call(move |c| -> Result<_> {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let current = campaign::get_blocking(&tx, &id)?;
            let open: i64 = tx.query_row(
                "SELECT count(*) FROM recipients
                 WHERE campaign_id = ?1 AND status IN ('pending', 'in_flight')",
                [&id],
                |r| r.get(0),
            )?;
            let finished = open == 0 && !uploading;
            let mut push = Push::default();
            if finished {
                runs::set_finished(&tx, &run_id)?;
                // A scheduled run may have started and ended between two looks.
                if current.state == CampaignState::Scheduled {
                    campaign::transition_blocking(&tx, &id, CampaignState::Running, None)?;
                }
                if matches!(
                    current.state,
                    CampaignState::Scheduled | CampaignState::Running | CampaignState::Paused
                ) {
                    campaign::transition_blocking(&tx, &id, CampaignState::Completed, None)?;
                }
            } else if let Some(control) = &control {
                push = reconcile(&tx, &current, control)?;
            }
            let state = campaign::get_blocking(&tx, &id)?.state;
            tx.commit()?;
            Ok((state, finished, push))
        })
        .await?;
    if finished && state == CampaignState::Completed {
        // Tell the workers too (a late redelivery then stops at once);
        // a control item already finished refuses, which is fine.
        let _ = marks.set_state(&run.run_id, CampaignState::Completed).await;
    } else {
        // Refused when the run finished meanwhile: the next catch-up
        // reads that and ends here too.
        if let Some(state) = push.state {
            if let Err(e) = marks.set_state(&run.run_id, state).await {
                tracing::warn!("cannot pass {state} on to cloud run {}: {e}", run.run_id);
            }
        }
        if let Some(rate) = push.rate {
            if let Err(e) = marks.set_rate(&run.run_id, rate).await {
                tracing::warn!("cannot pass the rate on to cloud run {}: {e}", run.run_id);
            }
        }
    }
    Ok(Some(CatchUp {
        run_id: run.run_id,
        applied,
        state,
        finished,
    }))
}

/// Writes marks into the rows; a mark already applied changes nothing.
/// With a row that changes go what the mark says beyond it, as the local
/// runner writes them when it sends: the devices SNS disabled (so the next
/// campaign skips them), and for a `sent` mark the badges its message
/// announced (the local `mark_sent` transaction's part).
fn apply(tx: &rusqlite::Connection, campaign_id: &str, marks: &[Mark]) -> Result<u64> {
    let mut update = tx.prepare_cached(
        "UPDATE recipients SET status = ?3, reason = ?4, error_code = ?5, error_message = ?6,
             message_id = ?7, attempts = max(attempts, ?8), updated_at = ?9
         WHERE campaign_id = ?1 AND customer_id = ?2
           AND NOT (status = ?3 AND updated_at = ?9)",
    )?;
    let mut n = 0u64;
    for m in marks {
        let changed = update.execute(params![
            campaign_id,
            m.customer_id,
            m.status.as_str(),
            m.reason,
            m.error_code,
            m.error_message,
            m.message_id,
            m.attempts,
            m.changed
        ])? as u64;
        if changed == 0 {
            continue;
        }
        n += changed;
        push::record_notes(tx, &m.devices, Some(m.changed))?;
        if m.status == RecipientStatus::Sent {
            gamify::mark_announced(tx, &m.customer_id, &m.badges)?;
        }
    }
    Ok(n)
}

/// What this computer's newer steering asks of the control item.
#[derive(Debug, Default)]
struct Push {
    state: Option<CampaignState>,
    rate: Option<f64>,
}

/// Steering written on one side only (the app paused, another computer
/// changed the rate): the newer write wins. Returns what to write to the
/// control item when this computer's is newer.
fn reconcile(
    tx: &rusqlite::Connection,
    current: &campaign::Campaign,
    control: &Control,
) -> Result<Push> {
    let steerable = |s: CampaignState| {
        matches!(
            s,
            CampaignState::Running | CampaignState::Paused | CampaignState::Cancelled
        )
    };
    let ours = current.updated_at >= control.updated;
    let mut push = Push::default();
    // A scheduled run's start is the schedule's doing, never this computer's.
    if current.state == CampaignState::Scheduled && control.state == CampaignState::Running {
        campaign::transition_blocking(tx, &current.id, CampaignState::Running, None)?;
        return Ok(push);
    }
    if current.state != control.state && steerable(current.state) && steerable(control.state) {
        if ours {
            push.state = Some(current.state);
        } else if current.state.can_become(control.state) {
            campaign::transition_blocking(tx, &current.id, control.state, None)?;
        }
    }
    if (current.spec.rate_per_sec - control.rate_per_sec).abs() > f64::EPSILON {
        if ours {
            push.rate = Some(current.spec.rate_per_sec);
        } else {
            tx.execute(
                "UPDATE campaigns SET rate_per_sec = ?2 WHERE id = ?1",
                params![current.id, control.rate_per_sec],
            )?;
        }
    }
    Ok(push)
}
