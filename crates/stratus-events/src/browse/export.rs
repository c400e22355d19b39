//! Export of the filtered events, streamed row by row: no row cap and
//! constant memory, so a million-row export is a file, not a crash.
//! [`export`] writes to any writer (the CLI's stdout or file);
//! [`export_to_file`] writes a new private file in a folder (the app): on a
//! read connection (the sync's writer stays free), under a `.part` name
//! renamed when complete, so a file with the final name is always a whole
//! export.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rusqlite::{params_from_iter, Connection};
use stratus_core::db::Db;
use stratus_core::private_files;

use crate::browse::filter::EventFilter;
use crate::browse::stored::{envelope, ENVELOPE_COLUMNS};
use crate::envelope::format_millis;
use crate::error::{Error, Result};

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One row per event, properties as JSON text; formula cells escaped.
    Csv,
    /// The stored envelopes, one per line.
    Ndjson,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
        }
    }
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

/// A finished export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    pub path: PathBuf,
    pub rows: u64,
    pub bytes: u64,
}

/// Writes every event matching `filter` to `dir/<stem>.<csv|ndjson>`
/// (creating `dir`; `-2`, `-3`… appended when the name is taken).
pub async fn export_to_file(
    db: &Db,
    filter: EventFilter,
    format: ExportFormat,
    dir: &Path,
    stem: &str,
) -> Result<ExportedFile> {
    if stem.is_empty() || stem.contains(['/', '\\']) || stem.starts_with('.') {
        return Err(Error::Export(format!(
            "`{stem}` is not a file name; use letters, digits and dashes"
        )));
    }
    // Exports hold customer data: a 0700 folder, 0600 files, and never an
    // existing file written over (see `private_files`).
    private_files::private_dir(dir)
        .map_err(|e| Error::Export(format!("cannot create the folder {}: {e}", dir.display())))?;
    let (part, file) = private_files::create_part(dir, stem)
        .map_err(|e| Error::Export(format!("cannot write in {}: {e}", dir.display())))?;
    let write = move |conn: &rusqlite::Connection| -> Result<u64> {
        export(conn, &filter, format, BufWriter::new(file))
    };
    let rows = match db.read(write).await {
        Ok(rows) => rows,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    let path = private_files::publish(&part, dir, stem, format.extension()).map_err(|e| {
        let _ = std::fs::remove_file(&part);
        Error::Export(format!("cannot name the export in {}: {e}", dir.display()))
    })?;
    let bytes = std::fs::metadata(&path)?.len();
    Ok(ExportedFile { path, rows, bytes })
}

/// A file name for an export made at `now_ms` from `label` (e.g. the
/// profile): `events-demo-20261126-150405`. Characters that are not safe in
/// a file name become `-`.
pub fn export_stem(label: &str, now_ms: i64) -> String {
    let safe = private_files::safe_stem(label);
    let at = chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|t| t.format("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_default();
    format!("events-{safe}-{at}")
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

    #[cfg(unix)]
    #[tokio::test]
    async fn an_export_is_private_and_never_overwrites_a_file() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("exports");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.join("events.csv"), "someone else's file").unwrap();
        let db = Db::open_in_memory().unwrap();
        let file = export_to_file(
            &db,
            EventFilter::default(),
            ExportFormat::Csv,
            &dir,
            "events",
        )
        .await
        .unwrap();
        assert_eq!(file.path, dir.join("events-2.csv"));
        assert_eq!(
            std::fs::read_to_string(dir.join("events.csv")).unwrap(),
            "someone else's file"
        );
        assert_eq!(mode(&file.path), 0o600);
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn export_names_are_safe_and_dated() {
        assert_eq!(
            export_stem("demo", 1_795_705_200_000),
            "events-demo-20261126-150000"
        );
        assert_eq!(
            export_stem("../prod eu", 0),
            "events----prod-eu-19700101-000000"
        );
    }
}
