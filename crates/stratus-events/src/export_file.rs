//! Export of the filtered events to a new file in a folder: streamed through
//! [`crate::export::export`] on a read connection (the sync's writer stays
//! free), written under a `.part` name and renamed when complete, so a file
//! with the final name is always a whole export.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use stratus_core::db::Db;

use crate::error::{Error, Result};
use crate::export::{export, ExportFormat};
use crate::filter::EventFilter;

/// A finished export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    pub path: PathBuf,
    pub rows: u64,
    pub bytes: u64,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
        }
    }
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
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Export(format!("cannot create the folder {}: {e}", dir.display())))?;
    let path = free_name(dir, stem, format.extension());
    let part = path.with_extension(format!("{}.part", format.extension()));
    let write = {
        let part = part.clone();
        move |conn: &rusqlite::Connection| -> Result<u64> {
            let file = File::create(&part)
                .map_err(|e| Error::Export(format!("cannot write {}: {e}", part.display())))?;
            export(conn, &filter, format, BufWriter::new(file))
        }
    };
    let rows = if db.path().is_some() {
        let reader = db.open_reader()?;
        tokio::task::spawn_blocking(move || write(&reader))
            .await
            .map_err(|e| Error::Internal(format!("export worker failed: {e}")))?
    } else {
        db.call(move |c| Ok(write(c))).await?
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    std::fs::rename(&part, &path)?;
    let bytes = std::fs::metadata(&path)?.len();
    Ok(ExportedFile { path, rows, bytes })
}

fn free_name(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    let first = dir.join(format!("{stem}.{ext}"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("{stem}-{n}.{ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// A file name for an export made at `now_ms` from `label` (e.g. the
/// profile): `events-demo-20261126-150405`. Characters that are not safe in
/// a file name become `-`.
pub fn export_stem(label: &str, now_ms: i64) -> String {
    let safe: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let at = chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|t| t.format("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_default();
    format!("events-{safe}-{at}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
