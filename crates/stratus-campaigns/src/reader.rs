//! Long reads (progress, dry runs, exports) on their own connection, so they
//! never queue behind a running campaign's writes for the one writer.

use rusqlite::Connection;
use stratus_core::db::Db;

use crate::{Error, Result};

/// Runs `work` on a fresh read connection on the blocking pool; an
/// in-memory database (tests) has only its writer, so that is used instead.
pub(crate) async fn read<T: Send + 'static>(
    db: &Db,
    work: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
) -> Result<T> {
    if db.path().is_none() {
        return db.call(move |c| Ok(work(c))).await?;
    }
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        let conn = db.open_reader()?;
        work(&conn)
    })
    .await
    .map_err(|e| Error::Internal(format!("database reader failed: {e}")))?
}
