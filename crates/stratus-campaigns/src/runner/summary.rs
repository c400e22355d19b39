//! Progress derived from the recipient rows: the same numbers live and after a restart.

use std::collections::BTreeMap;

use rusqlite::Connection;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::jobs::Progress;

use super::recipient::RecipientStatus;
use crate::Result;

/// Recipients per status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
        self.to_progress_with(None)
    }

    /// The progress line, saying who waits for quiet hours when some do.
    pub fn to_progress_with(&self, waiting: Option<&Waiting>) -> Progress {
        let mut line = format!(
            "sent {} · failed {} · skipped {} · unknown {} · in flight {} · pending {}",
            self.sent, self.failed, self.skipped, self.unknown, self.in_flight, self.pending
        );
        if let Some(waiting) = waiting {
            line.push_str(" · ");
            line.push_str(&waiting.describe());
        }
        Progress::new(self.done(), Some(self.total()), line)
    }
}

/// Pending recipients waiting for their quiet hours to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub recipients: u64,
    /// Distinct time zones among them.
    pub time_zones: u64,
    /// When the first of them is due, Unix ms.
    pub next_due: i64,
}

impl Waiting {
    /// "waiting for quiet hours to end in 3 time zones (120 recipients, next at 13:00 UTC)".
    pub fn describe(&self) -> String {
        let next = chrono::DateTime::from_timestamp_millis(self.next_due)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        format!(
            "waiting for quiet hours to end in {} time zone{} ({} recipient{}, next at {next})",
            self.time_zones,
            if self.time_zones == 1 { "" } else { "s" },
            self.recipients,
            if self.recipients == 1 { "" } else { "s" },
        )
    }
}

/// Who waits for quiet hours after `now`; `None` when nobody does.
pub fn waiting_blocking(conn: &Connection, campaign: &str, now: i64) -> Result<Option<Waiting>> {
    let (recipients, time_zones, next_due): (i64, i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), count(DISTINCT IFNULL(c.time_zone, 'UTC')), min(r.not_before)
             FROM recipients r LEFT JOIN customers c ON c.id = r.customer_id
             WHERE r.campaign_id = ?1 AND r.status = 'pending' AND r.not_before IS NOT NULL
               AND r.not_before > ?2",
        )?
        .query_row(rusqlite::params![campaign, now], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    Ok(next_due.map(|next_due| Waiting {
        recipients: u64::try_from(recipients).unwrap_or(0),
        time_zones: u64::try_from(time_zones).unwrap_or(0),
        next_due,
    }))
}

/// Counts by status plus failures and skips grouped by code / reason.
#[derive(Debug, Clone, Default, PartialEq)]
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
    /// Pending recipients waiting for their quiet hours to end.
    pub waiting: Option<Waiting>,
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
    let (sent_last_minute, first_at): (i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), min(updated_at) FROM recipients
             WHERE campaign_id = ?1 AND status = 'sent' AND updated_at > ?2",
        )?
        .query_row(rusqlite::params![campaign, now - 60_000], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    // Over the part of the minute that had sends: a run that started 5 s
    // ago at 4 msg/s is at 4 msg/s, not 20 / 60 (the ETA would be 12× off).
    let window_ms = first_at.map_or(60_000, |first| (now - first).clamp(1_000, 60_000));
    let rate_last_minute = sent_last_minute as f64 * 1000.0 / window_ms as f64;
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
        waiting: waiting_blocking(conn, campaign, now)?,
    })
}

/// Counts by status and errors by code, from the rows.
pub async fn progress_summary(db: &Db, campaign: &str) -> Result<ProgressSummary> {
    let campaign = campaign.to_string();
    db.call(move |c| summary_blocking(c, &campaign, now_millis()))
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A campaign with `sent` rows marked one second apart up to `now`, and `pending` more.
    fn summary_of(sent: i64, pending: i64, now: i64) -> ProgressSummary {
        let db = stratus_core::db::Db::open_in_memory().unwrap();
        db.call_blocking(|c| {
            c.execute(
                "INSERT INTO campaigns (id, name, channel, segment, template, rate_per_sec, concurrency, state, created_at, updated_at)
                 VALUES ('k', 'k', 'sms', '', 'hi', 1, 1, 'running', 0, 0)",
                [],
            )?;
            for i in 0..sent + pending {
                let (status, at) = if i < sent { ("sent", now - (sent - 1 - i) * 1000) } else { ("pending", 0) };
                c.execute(
                    "INSERT INTO recipients (campaign_id, customer_id, status, updated_at) VALUES ('k', ?1, ?2, ?3)",
                    rusqlite::params![format!("c-{i:03}"), status, at],
                )?;
            }
            summary_blocking(c, "k", now)
        })
        .unwrap()
    }

    #[test]
    fn a_run_younger_than_a_minute_is_measured_over_its_own_time() {
        let now = 1_700_000_000_000;
        // 11 sends over the last 10 s, 22 to go: about 1.1 msg/s, 20 s left.
        let s = summary_of(11, 22, now);
        assert!(
            (s.rate_last_minute - 1.1).abs() < 1e-9,
            "{}",
            s.rate_last_minute
        );
        assert_eq!(s.eta_seconds, Some(20));
    }

    #[test]
    fn a_steady_run_is_measured_over_the_whole_minute() {
        let now = 1_700_000_000_000;
        // One send a second for 90 s: the minute holds 60 of them.
        let s = summary_of(90, 30, now);
        assert!(
            (s.rate_last_minute - 1.0).abs() < 0.02,
            "{}",
            s.rate_last_minute
        );
        assert_eq!(s.eta_seconds, Some(30));
    }
}
