//! Finding a customer by id, name, phone or email: the editor's picker for
//! previews and the phone preview's number chooser.

use rusqlite::params;
use stratus_core::db::Db;

use crate::customer::{self, Customer};
use crate::Result;

/// Up to `limit` customers whose id, name, phone or email contains `text`
/// (case-insensitive), ordered by id. An empty text lists the first ones.
pub async fn search(db: &Db, text: &str, limit: usize) -> Result<Vec<Customer>> {
    // LIKE's wildcards in the user's text are taken literally.
    let pattern = format!(
        "%{}%",
        text.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    db.call(move |c| -> Result<_> {
        let mut stmt = c.prepare_cached(&format!(
            "SELECT {} FROM customers
                 WHERE id LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\'
                    OR phone LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\'
                 ORDER BY id LIMIT ?2",
            customer::COLUMNS
        ))?;
        let rows = stmt
            .query_map(params![pattern, limit], |r| customer::from_row(r, 0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })
    .await
}
