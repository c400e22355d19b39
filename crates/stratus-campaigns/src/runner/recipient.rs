//! Recipient rows: the durable record of who got what. Every status change
//! is a committed write, so a crash loses nothing but the moment; the
//! `in_flight` mark before a publish is also synced to disk, so not even a
//! power loss can forget that a message may be on its way.

use rusqlite::{params, Connection, OptionalExtension};
use stratus_core::clock::now_millis;

use crate::customer::{self, Customer};
use crate::eligibility::SkipReason;
use crate::Result;

/// Where one recipient stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecipientStatus {
    Pending,
    /// Committed before the publish call: the message may be on its way.
    InFlight,
    Sent,
    Failed,
    Skipped,
    /// Maybe sent: in flight when the process stopped, or the provider gave
    /// no clear answer. Not resent by default.
    Unknown,
}

impl RecipientStatus {
    pub const ALL: [RecipientStatus; 6] = [
        RecipientStatus::Pending,
        RecipientStatus::InFlight,
        RecipientStatus::Sent,
        RecipientStatus::Failed,
        RecipientStatus::Skipped,
        RecipientStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecipientStatus::Pending => "pending",
            RecipientStatus::InFlight => "in_flight",
            RecipientStatus::Sent => "sent",
            RecipientStatus::Failed => "failed",
            RecipientStatus::Skipped => "skipped",
            RecipientStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A final answer for this run (everything but pending and in flight).
    pub fn is_definite(self) -> bool {
        !matches!(self, RecipientStatus::Pending | RecipientStatus::InFlight)
    }
}

/// One pending recipient with what rendering needs.
#[derive(Debug, Clone)]
pub struct PendingRecipient {
    pub customer_id: String,
    pub address: Option<String>,
    /// `None` when the customer was deleted after launch.
    pub customer: Option<Customer>,
    pub rank: i64,
}

/// The next page of pending recipients due at `now` after `after` (keyset
/// paging on the primary key keeps memory flat and never revisits a row in
/// one run). Rows waiting for their quiet hours to end (`not_before` later
/// than `now`) stay in the database until they are due.
pub fn pending_page(
    conn: &Connection,
    campaign: &str,
    after: &str,
    limit: usize,
    with_rank: bool,
    now: i64,
) -> Result<Vec<PendingRecipient>> {
    let customer_columns = customer::COLUMNS
        .split(',')
        .map(|c| format!("c.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rank = if with_rank {
        "(SELECT count(*) FROM customers x WHERE x.points > c.points) + 1"
    } else {
        "0"
    };
    let sql = format!(
        "SELECT r.customer_id, r.address, {rank}, {customer_columns}
         FROM recipients r LEFT JOIN customers c ON c.id = r.customer_id
         WHERE r.campaign_id = ?1 AND r.status = 'pending' AND r.customer_id > ?2
           AND (r.not_before IS NULL OR r.not_before <= ?4)
         ORDER BY r.customer_id LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![campaign, after, limit, now], |r| {
        let exists: Option<String> = r.get(3)?;
        Ok(PendingRecipient {
            customer_id: r.get(0)?,
            address: r.get(1)?,
            rank: r.get(2)?,
            customer: match exists {
                Some(_) => Some(customer::from_row(r, 3)?),
                None => None,
            },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// `pending → in_flight`, with the text about to be sent and one more attempt.
/// Returns false if the row was no longer pending (someone else owns it).
pub fn mark_in_flight(
    conn: &Connection,
    campaign: &str,
    customer: &str,
    rendered: &str,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE recipients SET status = 'in_flight', rendered = ?3, attempts = attempts + 1, updated_at = ?4
             WHERE campaign_id = ?1 AND customer_id = ?2 AND status = 'pending'",
        )?
        .execute(params![campaign, customer, rendered, now_millis()])?;
    Ok(n == 1)
}

/// [`mark_in_flight`] for each `(customer, rendered)` in one transaction
/// committed with `synchronous=FULL`, so the marks are on disk when this
/// returns. One flag per claim: false if that row was no longer pending.
/// `None` (nothing marked) when the campaign is not `running` in the
/// database: a pause or cancel from any process, once committed, stops
/// every send that has not been marked yet.
pub fn mark_in_flight_durably(
    conn: &mut Connection,
    campaign: &str,
    claims: &[(String, String)],
) -> Result<Option<Vec<bool>>> {
    durably(conn, |tx| {
        let state: Option<String> = tx
            .query_row(
                "SELECT state FROM campaigns WHERE id = ?1",
                [campaign],
                |r| r.get(0),
            )
            .optional()?;
        if state.as_deref() != Some("running") {
            return Ok(None);
        }
        claims
            .iter()
            .map(|(customer, rendered)| mark_in_flight(tx, campaign, customer, rendered))
            .collect::<Result<Vec<_>>>()
            .map(Some)
    })
}

/// Runs `work` in an immediate transaction whose commit is synced to disk
/// (`synchronous=FULL`), then puts the connection's level back: in WAL mode
/// the usual `NORMAL` may lose the last commits on power loss.
fn durably<T>(conn: &mut Connection, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let level: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let result = (|| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = work(&tx)?;
        tx.commit()?;
        Ok(out)
    })();
    conn.pragma_update(None, "synchronous", level)?;
    result
}

/// `in_flight → pending` after a publish the provider certainly did not act
/// on, for another try. `attempted`: whether it counts as an attempt — a
/// "slow down" answer does, a refused connection (the request never left)
/// does not. A row a cancel settled meanwhile becomes `skipped`/`cancelled`:
/// it was not sent.
pub fn release_unsent(
    conn: &Connection,
    campaign: &str,
    customer: &str,
    error: (&str, &str),
    attempted: bool,
) -> Result<()> {
    let now = now_millis();
    let undo = i64::from(!attempted);
    conn.prepare_cached(
        "UPDATE recipients SET status = 'pending', attempts = max(attempts - ?6, 0), reason = 'retrying',
             error_code = ?3, error_message = ?4, updated_at = ?5
         WHERE campaign_id = ?1 AND customer_id = ?2 AND status = 'in_flight'",
    )?
    .execute(params![campaign, customer, error.0, error.1, now, undo])?;
    conn.prepare_cached(
        "UPDATE recipients SET status = 'skipped', reason = ?5, attempts = max(attempts - ?4, 0),
             updated_at = ?3
         WHERE campaign_id = ?1 AND customer_id = ?2 AND status = 'unknown' AND reason = ?6",
    )?
    .execute(params![
        campaign,
        customer,
        now,
        undo,
        SkipReason::Cancelled.as_str(),
        CANCELLED_IN_FLIGHT
    ])?;
    Ok(())
}

/// Pending recipients in quiet hours: not sent before their window ends
/// (`(customer, Unix ms)`), in one transaction. The rows stay `pending`
/// (reason `quiet_hours`) and leave the runner's memory.
pub fn defer(conn: &mut Connection, campaign: &str, until: &[(String, i64)]) -> Result<()> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "UPDATE recipients SET not_before = ?3, reason = ?4, updated_at = ?5
             WHERE campaign_id = ?1 AND customer_id = ?2 AND status = 'pending'",
        )?;
        for (customer, at) in until {
            stmt.execute(params![
                campaign,
                customer,
                at,
                SkipReason::QuietHours.as_str(),
                now_millis()
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// When the first pending recipient that waited for quiet hours is due
/// (possibly already: one that came due since the last page); `None` when
/// nobody waits.
pub fn next_due(conn: &Connection, campaign: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT min(not_before) FROM recipients
             WHERE campaign_id = ?1 AND status = 'pending' AND not_before IS NOT NULL",
        )?
        .query_row(params![campaign], |r| r.get(0))?)
}

/// `in_flight → sent` with the provider's message id; the badges the
/// message announced are marked announced on the customer in the same
/// transaction, so a later campaign's `new_badges` no longer has them.
pub fn mark_sent(
    conn: &mut Connection,
    campaign: &str,
    customer: &str,
    message_id: &str,
    announced_badges: &[String],
) -> Result<()> {
    let tx = conn.transaction()?;
    set_sent(&tx, campaign, customer, message_id)?;
    crate::gamify::mark_announced(&tx, customer, announced_badges)?;
    tx.commit()?;
    Ok(())
}

fn set_sent(conn: &Connection, campaign: &str, customer: &str, message_id: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE recipients SET status = 'sent', message_id = ?3, reason = NULL, error_code = NULL,
             error_message = NULL, updated_at = ?4
         WHERE campaign_id = ?1 AND customer_id = ?2",
    )?
    .execute(params![campaign, customer, message_id, now_millis()])?;
    Ok(())
}

/// Sets a final or waiting status with its reason / error.
pub fn mark(
    conn: &Connection,
    campaign: &str,
    customer: &str,
    status: RecipientStatus,
    reason: Option<&str>,
    error: Option<(&str, &str)>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE recipients SET status = ?3, reason = ?4, error_code = ?5, error_message = ?6, updated_at = ?7
         WHERE campaign_id = ?1 AND customer_id = ?2",
    )?
    .execute(params![
        campaign,
        customer,
        status.as_str(),
        reason,
        error.map(|e| e.0),
        error.map(|e| e.1),
        now_millis()
    ])?;
    Ok(())
}

/// Reason of an `unknown` row whose publish got no clear answer.
pub const IN_DOUBT: &str = "in_doubt";

/// Reason of an `unknown` row that was in flight when its campaign was cancelled.
pub const CANCELLED_IN_FLIGHT: &str = "cancelled_in_flight";

/// After a crash: rows left `in_flight` may or may not have been sent.
pub fn recover_in_flight(conn: &Connection, campaign: &str) -> Result<u64> {
    let n = conn.execute(
        "UPDATE recipients SET status = 'unknown', reason = 'interrupted', updated_at = ?2
         WHERE campaign_id = ?1 AND status = 'in_flight'",
        params![campaign, now_millis()],
    )?;
    Ok(n as u64)
}

/// Settles the rows of a cancelled campaign: pending → `skipped`
/// (`cancelled`), in flight → `unknown` (`cancelled_in_flight`: the message
/// may be on its way). The one place this happens, whoever cancelled (the
/// runner, `live::cancel` from any process, a cancel that landed while a
/// run was finishing). One statement, so it is atomic on its own and also
/// fits inside a caller's transaction.
pub fn settle_cancelled(conn: &Connection, campaign: &str) -> Result<()> {
    conn.execute(
        "UPDATE recipients
         SET status = CASE status WHEN 'pending' THEN 'skipped' ELSE 'unknown' END,
             reason = CASE status WHEN 'pending' THEN ?3 ELSE ?4 END,
             updated_at = ?2
         WHERE campaign_id = ?1 AND status IN ('pending', 'in_flight')",
        params![
            campaign,
            now_millis(),
            SkipReason::Cancelled.as_str(),
            CANCELLED_IN_FLIGHT
        ],
    )?;
    Ok(())
}

/// Puts failed (and optionally unknown) rows back to pending.
pub fn requeue(conn: &Connection, campaign: &str, include_unknown: bool) -> Result<u64> {
    let n = conn.execute(
        "UPDATE recipients SET status = 'pending', reason = NULL, error_code = NULL, error_message = NULL,
             not_before = NULL, updated_at = ?3
         WHERE campaign_id = ?1 AND (status = 'failed' OR (?2 AND status = 'unknown'))",
        params![campaign, include_unknown, now_millis()],
    )?;
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    static STATEMENTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

    fn record(sql: &str) {
        STATEMENTS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(sql.to_ascii_uppercase());
    }

    /// Every way a run is cancelled settles its rows through this one function.
    #[test]
    fn a_cancel_skips_what_was_pending_and_leaves_in_flight_in_doubt() {
        let db = stratus_core::db::Db::open_in_memory().unwrap();
        let rows = db
            .call_blocking(|c| -> Result<_> {
                c.execute_batch(
                    "INSERT INTO campaigns (id, name, channel, segment, template, rate_per_sec, concurrency, state, created_at, updated_at)
                     VALUES ('k', 'k', 'sms', '', 'hi', 1, 1, 'cancelled', 0, 0);
                     INSERT INTO recipients (campaign_id, customer_id, status, updated_at) VALUES
                       ('k', 'a', 'pending', 0), ('k', 'b', 'in_flight', 0), ('k', 'c', 'sent', 0);",
                )?;
                settle_cancelled(c, "k")?;
                let mut stmt = c.prepare(
                    "SELECT customer_id, status, reason FROM recipients ORDER BY customer_id",
                )?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .unwrap();
        let rows: Vec<(&str, &str, Option<&str>)> = rows
            .iter()
            .map(|(id, status, reason)| (id.as_str(), status.as_str(), reason.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                ("a", "skipped", Some("cancelled")),
                ("b", "unknown", Some("cancelled_in_flight")),
                ("c", "sent", None)
            ]
        );
    }

    /// A batch of marks costs one synced commit, not one per recipient.
    #[test]
    #[allow(deprecated)] // the legacy trace hook hands over bound values
    fn a_batch_of_marks_is_one_commit_under_synchronous_full() {
        let db = stratus_core::db::Db::open_in_memory().unwrap();
        db.call_blocking(|c| -> Result<_> {
            c.execute_batch(
                "INSERT INTO campaigns (id, name, channel, segment, template, rate_per_sec, concurrency, state, created_at, updated_at)
                 VALUES ('k', 'k', 'sms', '', 'hi', 1, 1, 'running', 0, 0);
                 INSERT INTO recipients (campaign_id, customer_id, status, updated_at) VALUES
                   ('k', 'a', 'pending', 0), ('k', 'b', 'sent', 0), ('k', 'c', 'pending', 0);",
            )?;
            c.trace(Some(record));
            let claims: Vec<(String, String)> = ["a", "b", "c"]
                .iter()
                .map(|id| (id.to_string(), format!("hi {id}")))
                .collect();
            let claimed = mark_in_flight_durably(c, "k", &claims)?;
            assert_eq!(claimed, Some(vec![true, false, true]), "b was no longer pending");
            c.execute("UPDATE campaigns SET state = 'paused'", [])?;
            let paused = mark_in_flight_durably(c, "k", &claims[2..])?;
            assert_eq!(paused, None, "a paused campaign marks nobody");
            c.trace(None);
            Ok(())
        })
        .unwrap();
        let log = STATEMENTS.lock().unwrap().clone();
        let commits = log.iter().filter(|s| s.starts_with("COMMIT")).count();
        assert_eq!(
            commits, 2,
            "one per batch of marks, not one per mark: {log:#?}"
        );
        let full = log
            .iter()
            .position(|s| s.starts_with("PRAGMA SYNCHRONOUS") && s.contains("FULL"))
            .unwrap();
        let commit = log.iter().position(|s| s.starts_with("COMMIT")).unwrap();
        let back = log
            .iter()
            .rposition(|s| s.starts_with("PRAGMA SYNCHRONOUS"))
            .unwrap();
        assert!(full < commit && commit < back, "{log:#?}");
    }
}
