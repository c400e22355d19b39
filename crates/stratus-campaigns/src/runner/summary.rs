//! Progress derived from the recipient rows: the same numbers live and after a restart.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::Serialize;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::jobs::Progress;

use super::recipient::RecipientStatus;
use crate::Result;

/// Recipients per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub pending: u64,
    pub in_flight: u64,
    pub sent: u64,
    pub failed: u64,
    pub skipped: u64,
    pub unknown: u64,
}

impl StatusCounts {
    pub fn total(&self) -> u64 {
        self.pending + self.in_flight + self.sent + self.failed + self.skipped + self.unknown
    }

    /// Recipients with a definite answer.
    pub fn done(&self) -> u64 {
        self.sent + self.failed + self.skipped + self.unknown
    }

    pub fn get(&self, status: RecipientStatus) -> u64 {
        match status {
            RecipientStatus::Pending => self.pending,
            RecipientStatus::InFlight => self.in_flight,
            RecipientStatus::Sent => self.sent,
            RecipientStatus::Failed => self.failed,
            RecipientStatus::Skipped => self.skipped,
            RecipientStatus::Unknown => self.unknown,
        }
    }

    /// Adds `n` recipients of `status` (for counts gathered elsewhere).
    pub fn add(&mut self, status: RecipientStatus, n: u64) {
        *self.slot(status) += n;
    }

    fn slot(&mut self, status: RecipientStatus) -> &mut u64 {
        match status {
            RecipientStatus::Pending => &mut self.pending,
            RecipientStatus::InFlight => &mut self.in_flight,
            RecipientStatus::Sent => &mut self.sent,
            RecipientStatus::Failed => &mut self.failed,
            RecipientStatus::Skipped => &mut self.skipped,
            RecipientStatus::Unknown => &mut self.unknown,
        }
    }

    /// As the job system's progress line.
    pub fn to_progress(&self) -> Progress {
        Progress::new(
            self.done(),
            Some(self.total()),
            format!(
                "sent {} · failed {} · skipped {} · unknown {} · in flight {} · pending {}",
                self.sent, self.failed, self.skipped, self.unknown, self.in_flight, self.pending
            ),
        )
    }
}

/// Counts by status plus failures and skips grouped by code / reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProgressSummary {
    pub counts: StatusCounts,
    /// Failed recipients per provider error code.
    pub errors_by_code: BTreeMap<String, u64>,
    /// Skipped and unknown recipients per reason.
    pub reasons: BTreeMap<String, u64>,
    /// Messages sent per second over the last minute.
    pub rate_last_minute: f64,
    /// Seconds until the pending recipients are done at that rate; `None` when idle.
    pub eta_seconds: Option<u64>,
}

pub fn counts_blocking(conn: &Connection, campaign: &str) -> Result<StatusCounts> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*) FROM recipients WHERE campaign_id = ?1 GROUP BY status",
    )?;
    let mut counts = StatusCounts::default();
    let rows = stmt.query_map([campaign], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (status, n) = row?;
        if let Some(status) = RecipientStatus::parse(&status) {
            *counts.slot(status) = u64::try_from(n).unwrap_or(0);
        }
    }
    Ok(counts)
}

/// The summary as of `now` (Unix ms).
pub fn summary_blocking(conn: &Connection, campaign: &str, now: i64) -> Result<ProgressSummary> {
    let counts = counts_blocking(conn, campaign)?;
    let sent_last_minute: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM recipients WHERE campaign_id = ?1 AND status = 'sent' AND updated_at > ?2",
        )?
        .query_row(rusqlite::params![campaign, now - 60_000], |r| r.get(0))?;
    let rate_last_minute = sent_last_minute as f64 / 60.0;
    let remaining = counts.pending + counts.in_flight;
    let eta_seconds = (rate_last_minute > 0.0 && remaining > 0)
        .then(|| (remaining as f64 / rate_last_minute).ceil() as u64);
    let group = |sql: &str| -> Result<BTreeMap<String, u64>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([campaign], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut map = BTreeMap::new();
        for row in rows {
            let (key, n) = row?;
            map.insert(key, u64::try_from(n).unwrap_or(0));
        }
        Ok(map)
    };
    Ok(ProgressSummary {
        counts,
        errors_by_code: group(
            "SELECT IFNULL(error_code, 'unknown'), count(*) FROM recipients
             WHERE campaign_id = ?1 AND status = 'failed' GROUP BY 1",
        )?,
        reasons: group(
            "SELECT IFNULL(reason, 'unknown'), count(*) FROM recipients
             WHERE campaign_id = ?1 AND status IN ('skipped', 'unknown') GROUP BY 1",
        )?,
        rate_last_minute,
        eta_seconds,
    })
}

/// Counts by status and errors by code, from the rows.
pub async fn progress_summary(db: &Db, campaign: &str) -> Result<ProgressSummary> {
    let campaign = campaign.to_string();
    db.call(move |c| Ok(summary_blocking(c, &campaign, now_millis())))
        .await?
}
