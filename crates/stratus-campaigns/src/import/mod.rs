//! Customer import from CSV or NDJSON: every row validated, bad rows reported
//! with their line number, good rows upserted by id in one transaction.

mod lines;
mod row;

use std::collections::BTreeSet;

use bytes::Bytes;
use rusqlite::{params_from_iter, Connection};
use stratus_core::clock::now_millis;
use stratus_core::db::Db;

use crate::customer::{json_list, Customer};
use crate::{Error, Result};
use lines::LineCounter;
use row::{Collector, Field};

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Csv,
    /// One JSON object per line.
    Ndjson,
}

impl ImportFormat {
    /// Guesses the format from a file name or S3 key (`.csv`, `.ndjson`, `.jsonl`).
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(ImportFormat::Csv)
        } else if lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
            Some(ImportFormat::Ndjson)
        } else {
            None
        }
    }
}

/// What to do when some rows are bad. Either way, every bad row is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Import nothing if any row is bad.
    AllOrNothing,
    /// Import the good rows, report the bad ones.
    ValidRows,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub format: ImportFormat,
    pub mode: ImportMode,
    /// ISO region (e.g. `US`) for phone numbers written without `+`.
    pub default_region: Option<String>,
}

/// A refused row: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line in the file (the line a multi-line CSV record starts on).
    pub line: u64,
    pub customer_id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub inserted: u64,
    pub updated: u64,
    pub bad_rows: Vec<BadRow>,
    /// Columns that map to no customer field (kept out of the database).
    pub ignored_columns: Vec<String>,
    /// Device tokens stored (`push_token` + `push_platform` columns); new
    /// ones wait for registration with SNS (`push::register::register_pending`).
    pub devices: u64,
}

/// Parsed rows ready to store, and what was refused.
struct Parsed {
    rows: Vec<Customer>,
    devices: Vec<row::ImportedDevice>,
    fields: BTreeSet<Field>,
    bad_rows: Vec<BadRow>,
    ignored_columns: Vec<String>,
}

/// Imports customers from a file's bytes (local file or S3 object) in one transaction.
pub async fn import_customers(
    db: &Db,
    data: Bytes,
    options: ImportOptions,
) -> Result<ImportReport> {
    db.call(move |conn| import_blocking(conn, &data, &options))
        .await
}

/// [`import_customers`] for callers already off the async workers.
pub fn import_blocking(
    conn: &mut Connection,
    data: &[u8],
    options: &ImportOptions,
) -> Result<ImportReport> {
    let text = decode(data)?;
    let parsed = match options.format {
        ImportFormat::Csv => parse_csv(text, options)?,
        ImportFormat::Ndjson => parse_ndjson(text, options),
    };
    if options.mode == ImportMode::AllOrNothing && !parsed.bad_rows.is_empty() {
        return Err(Error::ImportRejected(parsed.bad_rows));
    }
    let (inserted, updated) = store(conn, &parsed)?;
    Ok(ImportReport {
        inserted,
        updated,
        devices: parsed.devices.len() as u64,
        bad_rows: parsed.bad_rows,
        ignored_columns: parsed.ignored_columns,
    })
}

/// UTF-8 with or without a byte-order mark.
fn decode(data: &[u8]) -> Result<&str> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    std::str::from_utf8(data).map_err(|e| {
        let line = data[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        Error::ImportFile(format!(
            "line {line} is not valid UTF-8; save the file as UTF-8"
        ))
    })
}

fn parse_csv(text: &str, options: &ImportOptions) -> Result<Parsed> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::ImportFile(format!("the header line cannot be read: {e}")))?
        .clone();
    let mapping: Vec<Option<Field>> = headers.iter().map(Field::from_header).collect();
    let ignored_columns = headers
        .iter()
        .zip(&mapping)
        .filter(|(_, f)| f.is_none())
        .map(|(h, _)| h.to_string())
        .collect();
    let fields: BTreeSet<Field> = mapping.iter().flatten().copied().collect();
    for required in [Field::Id, Field::Name] {
        if !fields.contains(&required) {
            return Err(Error::ImportFile(format!(
                "the file has no `{}` column (headers: {})",
                required.column(),
                headers.iter().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let mut collector = Collector::new(options);
    let mut lines = LineCounter::new(text.as_bytes());
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
                let values = mapping
                    .iter()
                    .zip(record.iter())
                    .filter_map(|(f, v)| f.map(|f| (f, v.to_string())))
                    .collect();
                collector.add(line, values);
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                collector.refuse(line, None, format!("the row cannot be read: {e}"));
            }
        }
    }
    Ok(collector.finish(fields, ignored_columns))
}

fn parse_ndjson(text: &str, options: &ImportOptions) -> Parsed {
    let mut collector = Collector::new(options);
    let mut fields = BTreeSet::new();
    let mut ignored = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(_) => {
                collector.refuse(line_no, None, "the line is not a JSON object".into());
                continue;
            }
            Err(e) => {
                collector.refuse(line_no, None, format!("the line is not valid JSON: {e}"));
                continue;
            }
        };
        let mut values = Vec::new();
        for (key, value) in object {
            let Some(field) = Field::from_header(&key) else {
                ignored.insert(key);
                continue;
            };
            fields.insert(field);
            let text = match value {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            values.push((field, text));
        }
        collector.add(line_no, values);
    }
    // NDJSON rows may each carry different keys; only keys seen are updated.
    collector.finish(fields, ignored.into_iter().collect())
}

/// Upserts the rows; on conflict only the columns present in the file change.
fn store(conn: &mut Connection, parsed: &Parsed) -> Result<(u64, u64)> {
    let updated_columns: Vec<&str> = parsed
        .fields
        .iter()
        .filter(|f| **f != Field::Id && f.is_customer_column())
        .map(|f| f.column())
        .collect();
    let set_clause = updated_columns
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .chain(std::iter::once(
            "updated_at = excluded.updated_at".to_string(),
        ))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO customers (id, name, email, locale, time_zone, phone, push_endpoint_arn,
             sms_opt_in, push_opt_in, points, streak, level, badges, last_active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)
         ON CONFLICT (id) DO UPDATE SET {set_clause}"
    );
    let now = now_millis();
    // Immediate: a read-then-write transaction must not lose the race for the
    // write lock to another process (SQLITE_BUSY_SNAPSHOT is not retried).
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let (mut inserted, mut updated) = (0, 0);
    {
        let mut exists = tx.prepare("SELECT EXISTS(SELECT 1 FROM customers WHERE id = ?1)")?;
        let mut upsert = tx.prepare(&sql)?;
        for c in &parsed.rows {
            let known: bool = exists.query_row([&c.id], |r| r.get(0))?;
            let badges = json_list(&c.badges);
            let values: [&dyn rusqlite::ToSql; 15] = [
                &c.id,
                &c.name,
                &c.email,
                &c.locale,
                &c.time_zone,
                &c.phone,
                &c.push_endpoint_arn,
                &c.sms_opt_in,
                &c.push_opt_in,
                &c.points,
                &c.streak,
                &c.level,
                &badges,
                &c.last_active,
                &now,
            ];
            upsert.execute(params_from_iter(values))?;
            if known {
                updated += 1;
            } else {
                inserted += 1;
            }
        }
        let mut device = tx.prepare(
            "INSERT INTO push_devices (id, customer_id, platform, token, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (platform, token) WHERE token IS NOT NULL DO UPDATE SET
                 customer_id = excluded.customer_id, updated_at = excluded.updated_at",
        )?;
        for d in &parsed.devices {
            device.execute(rusqlite::params![
                uuid::Uuid::now_v7().to_string(),
                d.customer_id,
                d.platform.as_str(),
                d.token,
                now
            ])?;
        }
    }
    tx.commit()?;
    Ok((inserted, updated))
}
