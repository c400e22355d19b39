//! The local record of a campaign's cloud runs (`cloud_runs`): where its
//! marks and queue are, how far the recipients rows have caught up, and
//! whether the workers still own it.

use rusqlite::{params, Connection, OptionalExtension, Row};
use stratus_core::db::Db;

use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudRunState {
    /// The manifest or the queue messages are not all out yet: launching
    /// in the cloud again finishes the upload.
    Uploading,
    /// The workers own it; the recipients rows catch up from the marks.
    Started,
    /// Every recipient of the round has its answer in the local rows.
    Finished,
}

impl CloudRunState {
    pub fn as_str(self) -> &'static str {
        match self {
            CloudRunState::Uploading => "uploading",
            CloudRunState::Started => "started",
            CloudRunState::Finished => "finished",
        }
    }

    fn parse(s: &str) -> CloudRunState {
        match s {
            "uploading" => CloudRunState::Uploading,
            "started" => CloudRunState::Started,
            _ => CloudRunState::Finished,
        }
    }
}

/// One round of a campaign sent in the cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudRun {
    pub campaign_id: String,
    pub round: i64,
    /// The marks' partition key and the manifest's folder.
    pub run_id: String,
    pub table_name: String,
    pub queue_url: String,
    pub bucket: String,
    pub chunks: i64,
    pub recipients: i64,
    pub state: CloudRunState,
    /// Unix ms: marks changed before this are in the recipients rows.
    pub caught_up_to: i64,
    pub created_at: i64,
}

impl CloudRun {
    /// Whether the workers may still change its recipients.
    pub fn is_active(&self) -> bool {
        self.state != CloudRunState::Finished
    }

    /// The table its marks and control item are in, reached with the
    /// profile's AWS configuration.
    pub fn marks(&self, sdk: &aws_config::SdkConfig) -> super::marks::MarkTable {
        super::marks::MarkTable::new(aws_sdk_dynamodb::Client::new(sdk), &self.table_name)
    }
}

const COLUMNS: &str = "campaign_id, round, run_id, table_name, queue_url, bucket, chunks, \
     recipients, state, caught_up_to, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<CloudRun> {
    let state: String = r.get(8)?;
    Ok(CloudRun {
        campaign_id: r.get(0)?,
        round: r.get(1)?,
        run_id: r.get(2)?,
        table_name: r.get(3)?,
        queue_url: r.get(4)?,
        bucket: r.get(5)?,
        chunks: r.get(6)?,
        recipients: r.get(7)?,
        state: CloudRunState::parse(&state),
        caught_up_to: r.get(9)?,
        created_at: r.get(10)?,
    })
}

/// The campaign's latest cloud round, if it was ever launched in the cloud.
pub fn latest_blocking(conn: &Connection, campaign: &str) -> Result<Option<CloudRun>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM cloud_runs WHERE campaign_id = ?1 ORDER BY round DESC LIMIT 1"
            ),
            [campaign],
            from_row,
        )
        .optional()?)
}

/// The round the workers still own, if any: while there is one, nothing
/// sends the campaign from this computer.
pub fn active_blocking(conn: &Connection, campaign: &str) -> Result<Option<CloudRun>> {
    Ok(latest_blocking(conn, campaign)?.filter(CloudRun::is_active))
}

pub async fn latest(db: &Db, campaign: &str) -> Result<Option<CloudRun>> {
    let campaign = campaign.to_string();
    db.read(move |c| latest_blocking(c, &campaign)).await
}

pub(super) fn insert(conn: &Connection, run: &CloudRun) -> Result<()> {
    conn.execute(
        &format!("INSERT INTO cloud_runs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        params![
            run.campaign_id,
            run.round,
            run.run_id,
            run.table_name,
            run.queue_url,
            run.bucket,
            run.chunks,
            run.recipients,
            run.state.as_str(),
            run.caught_up_to,
            run.created_at
        ],
    )?;
    Ok(())
}

pub(super) fn set_started(
    conn: &Connection,
    run_id: &str,
    chunks: i64,
    recipients: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE cloud_runs SET state = 'started', chunks = ?2, recipients = ?3 WHERE run_id = ?1",
        params![run_id, chunks, recipients],
    )?;
    Ok(())
}

pub(super) fn set_finished(conn: &Connection, run_id: &str) -> Result<()> {
    conn.execute(
        "UPDATE cloud_runs SET state = 'finished' WHERE run_id = ?1",
        [run_id],
    )?;
    Ok(())
}

pub(super) fn set_caught_up(conn: &Connection, run_id: &str, to: i64) -> Result<()> {
    conn.execute(
        "UPDATE cloud_runs SET caught_up_to = max(caught_up_to, ?2) WHERE run_id = ?1",
        params![run_id, to],
    )?;
    Ok(())
}

/// Campaigns whose latest round the workers still own (the app catches
/// them all up in the background, watched or not).
pub async fn active_campaigns(db: &Db) -> Result<Vec<String>> {
    db.read(|c| -> Result<Vec<String>> {
        let mut stmt = c.prepare(
            "SELECT campaign_id FROM cloud_runs AS r
             WHERE state != 'finished'
               AND round = (SELECT max(round) FROM cloud_runs WHERE campaign_id = r.campaign_id)
             ORDER BY created_at",
        )?;
        let ids = stmt.query_map([], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    })
    .await
}
