//! Campaign rows: create, edit, load, lifecycle transitions and the launch snapshot.

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use stratus_core::clock::now_millis;
use stratus_core::db::Db;

use super::{
    Campaign, CampaignSpec, CampaignState, Channel, FrequencyCap, QuietHours, QuietMode, SmsType,
};
use crate::customer;
use crate::eligibility::{self, Moment};
use crate::push::{devices, PushContent};
use crate::segment::Segment;
use crate::{Error, Result};

const COLUMNS: &str = "id, name, channel, segment, template, rate_per_sec, concurrency, scheduled_at, \
     quiet_start, quiet_end, sms_type, sender_id, state, error, created_at, updated_at, launched_at, finished_at, \
     quiet_mode, cap_messages, cap_days, push";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Campaign> {
    let channel: String = r.get(2)?;
    let quiet: (Option<u16>, Option<u16>) = (r.get(8)?, r.get(9)?);
    let sms_type: String = r.get(10)?;
    let state: String = r.get(12)?;
    let quiet_mode: String = r.get(18)?;
    let cap: (Option<u32>, Option<u32>) = (r.get(19)?, r.get(20)?);
    Ok(Campaign {
        id: r.get(0)?,
        spec: CampaignSpec {
            name: r.get(1)?,
            // The CHECK constraint admits only known channels.
            channel: Channel::parse(&channel).unwrap_or(Channel::Sms),
            segment: r.get(3)?,
            template: r.get(4)?,
            rate_per_sec: r.get(5)?,
            concurrency: r.get(6)?,
            scheduled_at: r.get(7)?,
            quiet_hours: match quiet {
                (Some(start_minute), Some(end_minute)) => Some(QuietHours {
                    start_minute,
                    end_minute,
                }),
                _ => None,
            },
            // The CHECK constraint admits only known modes.
            quiet_mode: QuietMode::parse(&quiet_mode).unwrap_or_default(),
            frequency_cap: match cap {
                (Some(messages), Some(days)) => Some(FrequencyCap { messages, days }),
                _ => None,
            },
            sms_type: if sms_type == "promotional" {
                SmsType::Promotional
            } else {
                SmsType::Transactional
            },
            sender_id: r.get(11)?,
            push: push_from_column(r.get(21)?),
        },
        // The CHECK constraint admits only known states.
        state: CampaignState::parse(&state).unwrap_or(CampaignState::Failed),
        error: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
        launched_at: r.get(16)?,
        finished_at: r.get(17)?,
    })
}

/// A stored `push` column; NULL (SMS, or saved before push content
/// existed) reads as no fields.
fn push_from_column(json: Option<String>) -> PushContent {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

/// The `push` column for `spec`: NULL for SMS.
fn push_column(spec: &CampaignSpec) -> Option<String> {
    spec.channel
        .has_notification()
        .then(|| serde_json::to_string(&spec.push).unwrap_or_else(|_| "{}".into()))
}

/// Loads a campaign (blocking).
pub fn get_blocking(conn: &Connection, id: &str) -> Result<Campaign> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM campaigns WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .ok_or_else(|| Error::CampaignNotFound(id.to_string()))
}

pub async fn get(db: &Db, id: &str) -> Result<Campaign> {
    let id = id.to_string();
    db.call(move |c| get_blocking(c, &id)).await
}

/// All campaigns, most recently changed first.
pub async fn list(db: &Db) -> Result<Vec<Campaign>> {
    db.call(|c| -> Result<_> {
        let mut stmt = c.prepare(&format!(
            "SELECT {COLUMNS} FROM campaigns ORDER BY updated_at DESC, id"
        ))?;
        let rows = stmt
            .query_map([], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })
    .await
}

/// Stores a new draft (blocking).
pub fn create_draft_blocking(conn: &Connection, spec: &CampaignSpec, now: i64) -> Result<Campaign> {
    spec.validate()?;
    let id = uuid::Uuid::now_v7().to_string();
    conn.execute(
        &format!("INSERT INTO campaigns ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'draft', NULL, ?13, ?13, NULL, NULL, ?14, ?15, ?16, ?17)"),
        params![
            id, spec.name, spec.channel.as_str(), spec.segment, spec.template, spec.rate_per_sec,
            spec.concurrency, spec.scheduled_at, spec.quiet_hours.map(|q| q.start_minute),
            spec.quiet_hours.map(|q| q.end_minute), spec.sms_type.as_str(), spec.sender_id, now,
            spec.quiet_mode.as_str(), spec.frequency_cap.map(|c| c.messages),
            spec.frequency_cap.map(|c| c.days), push_column(spec)
        ],
    )?;
    get_blocking(conn, &id)
}

pub async fn create_draft(db: &Db, spec: CampaignSpec) -> Result<Campaign> {
    db.call(move |c| create_draft_blocking(c, &spec, now_millis()))
        .await
}

/// Replaces a draft's settings; only drafts can be edited.
pub async fn update_draft(db: &Db, id: &str, spec: CampaignSpec) -> Result<Campaign> {
    spec.validate()?;
    let id = id.to_string();
    db.call(move |c| -> Result<_> {
        let current = get_blocking(c, &id)?;
        if current.state != CampaignState::Draft {
            return Err(Error::IllegalTransition { from: current.state, to: CampaignState::Draft });
        }
        c.execute(
            "UPDATE campaigns SET name = ?2, channel = ?3, segment = ?4, template = ?5, rate_per_sec = ?6,
                 concurrency = ?7, scheduled_at = ?8, quiet_start = ?9, quiet_end = ?10, sms_type = ?11,
                 sender_id = ?12, updated_at = ?13, quiet_mode = ?14, cap_messages = ?15, cap_days = ?16,
                 push = ?17
             WHERE id = ?1",
            params![
                id, spec.name, spec.channel.as_str(), spec.segment, spec.template, spec.rate_per_sec,
                spec.concurrency, spec.scheduled_at, spec.quiet_hours.map(|q| q.start_minute),
                spec.quiet_hours.map(|q| q.end_minute), spec.sms_type.as_str(), spec.sender_id, now_millis(),
                spec.quiet_mode.as_str(), spec.frequency_cap.map(|c| c.messages),
                spec.frequency_cap.map(|c| c.days), push_column(&spec)
            ],
        )?;
        get_blocking(c, &id)
    })
    .await
}

/// Moves a campaign to `to` if the lifecycle allows it (blocking). The
/// check and the write are one statement, so two callers cannot both win.
pub fn transition_blocking(
    conn: &Connection,
    id: &str,
    to: CampaignState,
    error: Option<&str>,
) -> Result<CampaignState> {
    let from = get_blocking(conn, id)?.state;
    if !from.can_become(to) {
        return Err(Error::IllegalTransition { from, to });
    }
    let now = now_millis();
    let finished = matches!(
        to,
        CampaignState::Completed | CampaignState::Cancelled | CampaignState::Failed
    );
    let changed = conn.execute(
        "UPDATE campaigns SET state = ?3, error = ?4, updated_at = ?5,
             finished_at = CASE WHEN ?6 THEN ?5 ELSE NULL END
         WHERE id = ?1 AND state = ?2",
        params![id, from.as_str(), to.as_str(), error, now, finished],
    )?;
    if changed == 0 {
        let now_state = get_blocking(conn, id)?.state;
        return Err(Error::IllegalTransition {
            from: now_state,
            to,
        });
    }
    Ok(from)
}

pub async fn transition(db: &Db, id: &str, to: CampaignState) -> Result<CampaignState> {
    let id = id.to_string();
    db.call(move |c| transition_blocking(c, &id, to, None))
        .await
}

/// What a launch put into the audience snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchReport {
    /// Rows created (everyone the segment matched).
    pub recipients: u64,
    /// Of those, already `skipped` (no consent or no address for the channel).
    pub skipped: u64,
}

/// Draft → scheduled: snapshots the segment into `pending` recipient rows,
/// in the same transaction as the state change (blocking).
pub fn launch_blocking(conn: &mut Connection, id: &str, now: i64) -> Result<LaunchReport> {
    // Immediate: a read-then-write transaction must not lose the race for the
    // write lock to another process (SQLITE_BUSY_SNAPSHOT is not retried).
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let report = launch_in(&tx, id, now)?;
    tx.commit()?;
    Ok(report)
}

/// [`launch_blocking`] inside a transaction the caller owns.
pub fn launch_in(tx: &Connection, id: &str, now: i64) -> Result<LaunchReport> {
    let campaign = get_blocking(tx, id)?;
    campaign.spec.validate()?;
    transition_blocking(tx, id, CampaignState::Scheduled, None)?;
    tx.execute(
        "UPDATE campaigns SET launched_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    let levels = crate::gamify::levels_blocking(tx)?;
    let filter = Segment::parse(&campaign.spec.segment)?.to_sql(now, &levels);
    // Customers the launch rules leave out are recorded as skipped, so the
    // report says who was left out and why.
    let mut select = tx.prepare(&format!(
        "SELECT {} FROM customers WHERE {}",
        customer::COLUMNS,
        filter.condition
    ))?;
    let mut insert = tx.prepare(
        "INSERT INTO recipients (campaign_id, customer_id, address, status, reason, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut report = LaunchReport {
        recipients: 0,
        skipped: 0,
    };
    let mut rows = select.query(params_from_iter(filter.params.iter()))?;
    while let Some(row) = rows.next()? {
        let customer = customer::from_row(row, 0)?;
        let address = eligibility::address(&customer, campaign.spec.channel);
        let (status, reason) =
            match eligibility::check(&customer, address, &campaign.spec, Moment::Launch) {
                Ok(_) => ("pending", None),
                Err(reason) => {
                    report.skipped += 1;
                    let reason =
                        devices::launch_reason(tx, &customer.id, campaign.spec.channel, reason)?;
                    ("skipped", Some(reason.as_str()))
                }
            };
        insert.execute(params![id, customer.id, address, status, reason, now])?;
        report.recipients += 1;
    }
    Ok(report)
}

pub async fn launch(db: &Db, id: &str) -> Result<LaunchReport> {
    let id = id.to_string();
    db.call(move |c| launch_blocking(c, &id, now_millis()))
        .await
}
