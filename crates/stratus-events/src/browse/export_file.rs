//! Export of the filtered events to a new file in a folder: streamed through
//! [`crate::browse::export::export`] on a read connection (the sync's writer stays
//! free), written under a `.part` name and renamed when complete, so a file
//! with the final name is always a whole export.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use stratus_core::db::Db;
use stratus_core::private_files;

use crate::browse::export::{export, ExportFormat};
use crate::browse::filter::EventFilter;
use crate::error::{Error, Result};

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
