//! Who got what: the recipient table page by page, its CSV export, and
//! failures grouped by the provider's error code.
//!
//! Pages are keyset pages on the customer id (`after` = the last id of the
//! previous page), so a page costs the same at row 10 and row 1,000,000 and
//! rows changing status meanwhile are neither skipped nor repeated within
//! one status filter. The export streams every matching row (no cap) and
//! is safe to open in a spreadsheet.

use std::io::Write;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, Row};
use stratus_core::db::Db;

pub use crate::runner::RecipientStatus;
use crate::{Error, Result};

/// Which recipients to list or export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientFilter {
    pub status: Option<RecipientStatus>,
    /// The provider's error code (failed rows) or a skip reason.
    pub error_code: Option<String>,
}

/// One recipient as the table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRow {
    pub customer_id: String,
    /// `None` when the customer was deleted after launch.
    pub name: Option<String>,
    pub address: Option<String>,
    pub status: RecipientStatus,
    /// Why skipped / unknown.
    pub reason: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub message_id: Option<String>,
    pub attempts: i64,
    /// The text sent (or about to be).
    pub rendered: Option<String>,
    /// Unix ms of the last status change.
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientPage {
    pub rows: Vec<RecipientRow>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next_after: Option<String>,
}

/// Failed recipients sharing one provider error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorGroup {
    pub code: String,
    pub count: u64,
    /// One of the messages, as the provider wrote it.
    pub sample_message: String,
    pub sample_customer_id: String,
}

/// Largest page a caller gets, whatever it asks for.
pub const MAX_PAGE: usize = 1_000;

const SELECT: &str = "SELECT r.customer_id, c.name, r.address, r.status, r.reason, r.error_code,
        r.error_message, r.message_id, r.attempts, r.rendered, r.updated_at
     FROM recipients r LEFT JOIN customers c ON c.id = r.customer_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<RecipientRow> {
    let status: String = r.get(3)?;
    Ok(RecipientRow {
        customer_id: r.get(0)?,
        name: r.get(1)?,
        address: r.get(2)?,
        // The CHECK constraint admits only known statuses.
        status: RecipientStatus::parse(&status).unwrap_or(RecipientStatus::Unknown),
        reason: r.get(4)?,
        error_code: r.get(5)?,
        error_message: r.get(6)?,
        message_id: r.get(7)?,
        attempts: r.get(8)?,
        rendered: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

/// WHERE clause and parameters for a campaign and filter (`after` optional).
fn condition(
    campaign: &str,
    filter: &RecipientFilter,
    after: Option<&str>,
) -> (String, Vec<Value>) {
    let mut sql = String::from("r.campaign_id = ?");
    let mut values: Vec<Value> = vec![campaign.to_string().into()];
    if let Some(status) = filter.status {
        sql.push_str(" AND r.status = ?");
        values.push(status.as_str().to_string().into());
    }
    if let Some(code) = &filter.error_code {
        sql.push_str(" AND (r.error_code = ? OR r.reason = ?)");
        values.push(code.clone().into());
        values.push(code.clone().into());
    }
    if let Some(after) = after {
        sql.push_str(" AND r.customer_id > ?");
        values.push(after.to_string().into());
    }
    (sql, values)
}

/// One page of recipients (blocking).
pub fn page_blocking(
    conn: &Connection,
    campaign: &str,
    filter: &RecipientFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<RecipientPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let (condition, mut values) = condition(campaign, filter, after);
    // One extra row says whether another page follows.
    values.push(i64::try_from(limit + 1).unwrap_or(i64::MAX).into());
    let sql = format!("{SELECT} WHERE {condition} ORDER BY r.customer_id LIMIT ?");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt
        .query_map(params_from_iter(values), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let next_after = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| r.customer_id.clone())
    } else {
        None
    };
    Ok(RecipientPage { rows, next_after })
}

/// One page of a campaign's recipients, filtered; `after` is the previous
/// page's `next_after`.
pub async fn page(
    db: &Db,
    campaign: &str,
    filter: RecipientFilter,
    after: Option<String>,
    limit: usize,
) -> Result<RecipientPage> {
    let campaign = campaign.to_string();
    db.read(move |c| page_blocking(c, &campaign, &filter, after.as_deref(), limit))
        .await
}

/// Failed recipients grouped by error code, largest group first (blocking).
pub fn error_groups_blocking(conn: &Connection, campaign: &str) -> Result<Vec<ErrorGroup>> {
    // SQLite fills the bare columns from the row that gave min(): a real sample.
    let mut stmt = conn.prepare_cached(
        "SELECT IFNULL(error_code, 'unknown'), count(*), min(customer_id), IFNULL(error_message, '')
         FROM recipients WHERE campaign_id = ?1 AND status = 'failed'
         GROUP BY 1 ORDER BY 2 DESC, 1",
    )?;
    let groups = stmt
        .query_map([campaign], |r| {
            Ok(ErrorGroup {
                code: r.get(0)?,
                count: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                sample_customer_id: r.get(2)?,
                sample_message: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(groups)
}

pub async fn error_groups(db: &Db, campaign: &str) -> Result<Vec<ErrorGroup>> {
    let campaign = campaign.to_string();
    db.read(move |c| error_groups_blocking(c, &campaign)).await
}

/// The export's columns, in order.
pub const CSV_HEADER: [&str; 11] = [
    "customer_id",
    "name",
    "address",
    "status",
    "reason",
    "error_code",
    "error_message",
    "message_id",
    "attempts",
    "message",
    "updated_at",
];

/// Writes every matching recipient as CSV, streaming row by row (blocking).
/// Returns the number of rows written.
pub fn export_csv_blocking(
    conn: &Connection,
    campaign: &str,
    filter: &RecipientFilter,
    out: impl Write,
) -> Result<u64> {
    let io = |e: csv::Error| Error::Io {
        context: "cannot write the recipient export".into(),
        source: e.into(),
    };
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_HEADER).map_err(io)?;
    let (condition, values) = condition(campaign, filter, None);
    let sql = format!("{SELECT} WHERE {condition} ORDER BY r.customer_id");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    let mut written = 0u64;
    while let Some(row) = rows.next()? {
        let r = from_row(row)?;
        let attempts = r.attempts.to_string();
        let updated = r.updated_at.to_string();
        let fields = [
            r.customer_id.as_str(),
            r.name.as_deref().unwrap_or(""),
            r.address.as_deref().unwrap_or(""),
            r.status.as_str(),
            r.reason.as_deref().unwrap_or(""),
            r.error_code.as_deref().unwrap_or(""),
            r.error_message.as_deref().unwrap_or(""),
            r.message_id.as_deref().unwrap_or(""),
            attempts.as_str(),
            r.rendered.as_deref().unwrap_or(""),
            updated.as_str(),
        ];
        writer
            .write_record(fields.iter().map(|f| spreadsheet_safe(f).into_owned()))
            .map_err(io)?;
        written += 1;
    }
    writer.flush().map_err(|source| Error::Io {
        context: "cannot write the recipient export".into(),
        source,
    })?;
    Ok(written)
}

/// Exports to a file; a partial file is removed when the export fails.
pub async fn export_csv(
    db: &Db,
    campaign: &str,
    filter: RecipientFilter,
    path: &std::path::Path,
) -> Result<u64> {
    let (campaign, path) = (campaign.to_string(), path.to_path_buf());
    db.read(move |c| {
        let file = std::fs::File::create(&path).map_err(|source| Error::Io {
            context: format!("cannot create {}", path.display()),
            source,
        })?;
        let result = export_csv_blocking(c, &campaign, &filter, std::io::BufWriter::new(file));
        if result.is_err() {
            let _ = std::fs::remove_file(&path);
        }
        result
    })
    .await
}

/// Spreadsheets run cells starting with `=`, `+`, `-`, `@`, tab or CR as
/// formulas (CSV injection): such cells get a leading `'`. A phone number
/// (`+` and digits only) cannot be a formula and stays as it is.
pub fn spreadsheet_safe(value: &str) -> std::borrow::Cow<'_, str> {
    let is_phone = value
        .strip_prefix('+')
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_phone => format!("'{value}").into(),
        _ => value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_looking_cells_are_defused_and_phones_kept() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("-2+3"), "'-2+3");
        assert_eq!(
            spreadsheet_safe("+1+cmd|' /C calc'!A0"),
            "'+1+cmd|' /C calc'!A0"
        );
        assert_eq!(spreadsheet_safe("\tx"), "'\tx");
        assert_eq!(spreadsheet_safe("+12025550143"), "+12025550143");
        assert_eq!(spreadsheet_safe("Hi Ann, 500 points"), "Hi Ann, 500 points");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
