//! The campaign list as the marketer sees it: each campaign with its
//! recipient counts, read from the rows in one pass.

use std::collections::HashMap;

use stratus_core::db::Db;

use crate::campaign::{self, Campaign};
use crate::runner::{RecipientStatus, StatusCounts};
use crate::Result;

/// All campaigns, most recently changed first, each with its counts by status.
pub async fn list_with_counts(db: &Db) -> Result<Vec<(Campaign, StatusCounts)>> {
    let campaigns = campaign::list(db).await?;
    let mut counts = db
        .call(|c| -> Result<_> {
            let mut stmt = c.prepare(
                "SELECT campaign_id, status, count(*) FROM recipients GROUP BY campaign_id, status",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await?
        .into_iter()
        .fold(
            HashMap::<String, StatusCounts>::new(),
            |mut by_campaign, (id, status, n)| {
                if let Some(status) = RecipientStatus::parse(&status) {
                    by_campaign
                        .entry(id)
                        .or_default()
                        .add(status, u64::try_from(n).unwrap_or(0));
                }
                by_campaign
            },
        );
    Ok(campaigns
        .into_iter()
        .map(|c| {
            let n = counts.remove(&c.id).unwrap_or_default();
            (c, n)
        })
        .collect())
}
