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
