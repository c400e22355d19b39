//! GDPR/CCPA requests for one person, as both front ends run them: the
//! export (everything held on them, one file) and the erasure. Two
//! capabilities hold a person's data — the events cache and bucket, and the
//! campaigns' rows (customer list, push devices, messages sent) — and the
//! events crate never imports campaigns, so they are joined here.
//!
//! The export is one JSON document (`stratus-person-export/1`): every part
//! of it is JSON already (envelopes, rejected lines, rows), a person can
//! open it in any text editor or parse it with any language, and it needs
//! no archive format. A person's data is small next to the bucket, so the
//! document is built in memory and written once, under a `.part` name that
//! becomes the final name only when complete.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;
use stratus_campaigns::held::held_on;
use stratus_campaigns::received::received_by;
use stratus_core::clock::now_millis;
use stratus_core::jobs::{CancellationToken, JobContext, Progress};
use stratus_core::private_files;
use stratus_core::stack::Stack;
use stratus_events::browse::export::export_stem;
use stratus_events::envelope::format_millis;
use stratus_events::privacy::erase::{erase_person, ErasureReport};
use stratus_events::privacy::export::gather_holdings;
use stratus_events::privacy::record::{close_request, open_request, OpenRequest, RequestKind};
use stratus_events::sync::autosync::SyncGate;

use crate::Error;

/// The export's format name, first field of the document.
pub const EXPORT_FORMAT: &str = "stratus-person-export/1";

/// Where an export's file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportTarget {
    /// A new file in this folder, named after the person and the time
    /// (`events-person-<id>-<when>.json`, `-2`… when taken): the app's exports folder.
    Folder(PathBuf),
    /// Exactly this file, which must not exist yet (the CLI's `--out`).
    File(PathBuf),
}

/// What an export wrote, as recorded in `privacy_requests`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExportCounts {
    pub file: String,
    pub bytes: u64,
    pub cached_events: u64,
    pub identity_links: u64,
    pub bucket_events: u64,
    pub bucket_rejected: u64,
    pub objects_read: u64,
    pub customer_rows: u64,
    pub campaign_rows: u64,
}

/// A finished export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonExport {
    pub request_id: i64,
    pub person: String,
    pub ids: Vec<String>,
    pub path: PathBuf,
    pub counts: ExportCounts,
}

impl PersonExport {
    /// How the app's job ends and what the CLI prints.
    pub fn summary(&self) -> String {
        let c = &self.counts;
        format!(
            "exported {} ({}): {} cached events, {} bucket lines ({} rejected) from {} batch objects, \
             {} identity links, {} customer rows, {} campaign rows to {}; request #{} recorded",
            self.person,
            self.ids.join(", "),
            c.cached_events,
            c.bucket_events + c.bucket_rejected,
            c.bucket_rejected,
            c.objects_read,
            c.identity_links,
            c.customer_rows,
            c.campaign_rows,
            self.path.display(),
            self.request_id
        )
    }
}

/// Writes everything held on the person `subject` (any id) belongs to into
/// one JSON file; the request is recorded (who, when, counts, the file).
/// Progress counts batch objects read.
pub async fn export_person(
    stack: &Stack,
    subject: &str,
    requested_by: &str,
    target: &ExportTarget,
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<PersonExport, Error> {
    let request = open_request(&stack.db, RequestKind::Export, subject, requested_by).await?;
    let mut counts = ExportCounts::default();
    let outcome = write_export(
        stack,
        subject,
        requested_by,
        &request,
        target,
        &mut counts,
        &progress,
        cancel,
    )
    .await;
    let (outcome, recorded) = match outcome {
        Ok(path) => (Ok(path), Ok(())),
        Err(e) => {
            let text = e.to_string();
            (Err(e), Err(stratus_events::Error::Export(text)))
        }
    };
    close_request(&stack.db, request.id, &counts, recorded).await?;
    Ok(PersonExport {
        request_id: request.id,
        person: request.person,
        ids: request.ids,
        path: outcome?,
        counts,
    })
}

#[allow(clippy::too_many_arguments)]
async fn write_export(
    stack: &Stack,
    subject: &str,
    requested_by: &str,
    request: &OpenRequest,
    target: &ExportTarget,
    counts: &mut ExportCounts,
    progress: &impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<PathBuf, Error> {
    let events =
        gather_holdings(&stack.db, stack.events.clone(), request, progress, cancel).await?;
    let ids = request.ids.clone();
    let (received, held) = stack
        .db
        .read(move |c| -> stratus_campaigns::Result<_> {
            Ok((received_by(c, &ids)?, held_on(c, &ids)?))
        })
        .await?;
    counts.cached_events = events.cached_events.len() as u64;
    counts.identity_links = events.identity_links.len() as u64;
    counts.bucket_events = events.bucket_events.len() as u64;
    counts.bucket_rejected = events.bucket_rejected.len() as u64;
    counts.objects_read = events.objects_read;
    for h in &held {
        let n = h.rows.len() as u64;
        if h.table == "customers" {
            counts.customer_rows += n;
        } else {
            counts.campaign_rows += n;
        }
    }
    let document = json!({
        "format": EXPORT_FORMAT,
        "exported_at": format_millis(now_millis()),
        "request_id": request.id,
        "requested_by": requested_by,
        "subject": subject,
        "person": request.person,
        "ids": request.ids,
        "events": events,
        "campaigns": {"received": received, "rows": held},
    });
    progress(Progress::new(
        events.objects_read,
        Some(events.objects_read),
        "writing the file",
    ));
    let (path, bytes) = write_document(&document, target, &request.person)?;
    counts.file = path.display().to_string();
    counts.bytes = bytes;
    Ok(path)
}

/// Writes `document` under a `.part` name, then gives it its final name
/// (never replacing a file); returns the path and its size.
fn write_document(
    document: &serde_json::Value,
    target: &ExportTarget,
    person: &str,
) -> Result<(PathBuf, u64), Error> {
    let failed = |what: &str, path: &Path, e: std::io::Error| {
        Error::ExportFile(format!("cannot {what} {}: {e}", path.display()))
    };
    // `events-person-<id>-<when>`, made safe for a file name.
    let stem = export_stem(&format!("person-{person}"), now_millis());
    let dir = match target {
        ExportTarget::Folder(dir) => {
            private_files::private_dir(dir).map_err(|e| failed("create the folder", dir, e))?;
            dir.clone()
        }
        ExportTarget::File(path) => match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    let (part, file) =
        private_files::create_part(&dir, &stem).map_err(|e| failed("write in", &dir, e))?;
    let written = (|| {
        let mut out = BufWriter::new(file);
        serde_json::to_writer_pretty(&mut out, document)?;
        out.write_all(b"\n")?;
        out.flush()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&part);
        return Err(failed("write", &part, e));
    }
    let path = match target {
        ExportTarget::Folder(dir) => private_files::publish(&part, dir, &stem, "json")
            .map_err(|e| failed("name the export in", dir, e)),
        // A hard link never replaces an existing file.
        ExportTarget::File(path) => std::fs::hard_link(&part, path)
            .and_then(|()| std::fs::remove_file(&part))
            .map(|()| path.clone())
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::ExportFile(format!(
                        "{} already exists; choose a new file name",
                        path.display()
                    ))
                } else {
                    failed("write", path, e)
                }
            }),
    };
    let path = path.inspect_err(|_| {
        let _ = std::fs::remove_file(&part);
    })?;
    let bytes = std::fs::metadata(&path)
        .map_err(|e| failed("read", &path, e))?
        .len();
    Ok((path, bytes))
}

/// Erases the person `subject` (any id) belongs to: the bucket's lines
/// (accepted and rejected), the cache, the identity graph, and their
/// customer rows (the campaigns capability's `customer::forget`; recipient
/// rows of past campaigns stay as the campaigns' ledger).
pub async fn erase(
    stack: &Stack,
    subject: &str,
    requested_by: &str,
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<ErasureReport, Error> {
    Ok(erase_person(
        &stack.db,
        stack.events.clone(),
        subject,
        requested_by,
        Box::new(stratus_campaigns::customer::forget),
        progress,
        cancel,
    )
    .await?)
}

/// How an erasure ends (the app's job, the CLI's line).
pub fn erasure_summary(r: &ErasureReport) -> String {
    format!(
        "erased {} ({}): {} lines ({} rejected) from {} batch objects ({} rewritten, {} deleted), \
         {} cached events, {} links, {} ids, {} customer rows; request #{} recorded",
        r.person,
        r.ids.join(", "),
        r.lines_removed,
        r.bad_lines_removed,
        r.objects_read,
        r.objects_rewritten,
        r.objects_deleted,
        r.events_deleted,
        r.links_deleted,
        r.identities_deleted,
        r.directory_rows_deleted,
        r.request_id
    )
}

/// The export as a job body: the job's progress and cancel, its summary.
pub async fn export_job(
    stack: Stack,
    subject: String,
    requested_by: String,
    target: ExportTarget,
    ctx: JobContext,
) -> Result<String, Error> {
    let export = export_person(
        &stack,
        &subject,
        &requested_by,
        &target,
        ctx.reporter(),
        ctx.cancel_token(),
    )
    .await?;
    Ok(export.summary())
}

/// The erasure as a job body; it waits for a sync holding `gate` (the
/// app's timed one) and keeps syncs out until it is done, so no sync
/// ingests an object while it is rewritten.
pub async fn erase_job(
    stack: Stack,
    subject: String,
    requested_by: String,
    gate: SyncGate,
    ctx: JobContext,
) -> Result<String, Error> {
    let _no_sync = gate.enter().await;
    let report = erase(
        &stack,
        &subject,
        &requested_by,
        ctx.reporter(),
        ctx.cancel_token(),
    )
    .await?;
    Ok(erasure_summary(&report))
}
