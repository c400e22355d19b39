//! Export of the filtered events, streamed row by row to any writer: no row
//! cap and constant memory, so a million-row export is a file, not a crash.

use std::io::Write;

use rusqlite::{params_from_iter, Connection};

use crate::browse::filter::EventFilter;
use crate::browse::stored::{envelope, ENVELOPE_COLUMNS};
use crate::envelope::format_millis;
use crate::error::Result;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One row per event, properties as JSON text; formula cells escaped.
    Csv,
    /// The stored envelopes, one per line.
    Ndjson,
}

const CSV_HEADER: [&str; 9] = [
    "ts",
    "event",
    "type",
    "distinct_id",
    "anonymous_id",
    "session_id",
    "url",
    "event_id",
    "properties",
];

/// Writes every event matching `filter`, oldest first; returns the count.
/// For big exports pass a connection from `Db::open_reader`, so the sync's
/// writer is not held for the length of the download.
pub fn export(
    conn: &Connection,
    filter: &EventFilter,
    format: ExportFormat,
    out: impl Write,
) -> Result<u64> {
    let sql = filter.to_sql()?;
    let text = format!(
        "SELECT ts, event, type, distinct_id, anonymous_id, session_id, url, event_id, properties,
             {ENVELOPE_COLUMNS}
         FROM events{} ORDER BY ts, rowid",
        sql.clause
    );
    let mut stmt = conn.prepare(&text)?;
    let mut rows = stmt.query(params_from_iter(sql.params))?;
    let mut count = 0;
    match format {
        ExportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(CSV_HEADER)?;
            while let Some(r) = rows.next()? {
                let ts: i64 = r.get(0)?;
                let mut record = vec![format_millis(ts)];
                for i in 1..9 {
                    let cell: Option<String> = r.get(i)?;
                    record.push(escape_formula(cell.unwrap_or_default()));
                }
                csv.write_record(&record)?;
                count += 1;
            }
            csv.flush()?;
        }
        ExportFormat::Ndjson => {
            let mut out = out;
            while let Some(r) = rows.next()? {
                serde_json::to_writer(&mut out, &envelope(r, 9)?)?;
                out.write_all(b"\n")?;
                count += 1;
            }
            out.flush()?;
        }
    }
    Ok(count)
}

/// A cell a spreadsheet would run as a formula (`= + - @`, or a tab or CR
/// that some parsers strip before one) gets a leading `'`, as OWASP advises.
/// Negative numbers are escaped too: they are text in an event export.
pub fn escape_formula(cell: String) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_escaped_and_others_kept() {
        assert_eq!(
            escape_formula("=HYPERLINK(\"x\")".into()),
            "'=HYPERLINK(\"x\")"
        );
        for c in ["+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(escape_formula(c.into()).starts_with('\''), "{c:?}");
        }
        assert_eq!(escape_formula("Checkout".into()), "Checkout");
        assert_eq!(escape_formula(String::new()), "");
    }
}
