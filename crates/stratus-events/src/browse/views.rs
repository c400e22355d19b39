//! Saved views: named event filters support staff save, list, reopen and
//! delete (`saved_views`, migration 0016). A view keeps the filter as it was
//! saved, times included; names are unique whatever their case, and saving
//! a name again replaces its filter.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use stratus_core::clock::now_millis;

use crate::browse::filter::EventFilter;
use crate::error::{Error, Result};

/// Longest view name, in characters.
pub const MAX_VIEW_NAME: usize = 80;

/// One saved view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedView {
    pub name: String,
    pub filter: EventFilter,
    /// Unix ms.
    pub created_at: i64,
    pub updated_at: i64,
}

/// The name trimmed, or why it cannot name a view.
fn view_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_VIEW_NAME {
        return Err(Error::InvalidViewName(format!(
            "a view name is 1 to {MAX_VIEW_NAME} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::InvalidViewName(
            "a view name cannot hold control characters".into(),
        ));
    }
    Ok(name.to_string())
}

/// Saves `filter` as the view `name` (replacing the filter of a view of the
/// same name, whatever its case; the name keeps its first spelling). The
/// filter is checked first, so a view always opens.
pub fn save_view(conn: &Connection, name: &str, filter: &EventFilter) -> Result<SavedView> {
    let name = view_name(name)?;
    filter.to_sql()?;
    let json = serde_json::to_string(filter)?;
    let now = now_millis();
    conn.execute(
        "INSERT INTO saved_views (name, filter, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (name) DO UPDATE SET filter = excluded.filter, updated_at = excluded.updated_at",
        params![name, json, now],
    )?;
    get_view(conn, &name)?.ok_or(Error::ViewNotFound(name))
}

/// Every saved view, by name (case-insensitive).
pub fn list_views(conn: &Connection) -> Result<Vec<SavedView>> {
    let mut stmt = conn.prepare(
        "SELECT name, filter, created_at, updated_at FROM saved_views ORDER BY name COLLATE NOCASE",
    )?;
    let rows = stmt.query_map([], view_row)?;
    rows.map(|r| r?).collect()
}

/// The view `name` (any case), if saved.
pub fn get_view(conn: &Connection, name: &str) -> Result<Option<SavedView>> {
    conn.query_row(
        "SELECT name, filter, created_at, updated_at FROM saved_views WHERE name = ?1",
        [name.trim()],
        view_row,
    )
    .optional()?
    .transpose()
}

/// Deletes the view `name` (any case); [`Error::ViewNotFound`] if there is none.
pub fn delete_view(conn: &Connection, name: &str) -> Result<()> {
    match conn.execute("DELETE FROM saved_views WHERE name = ?1", [name.trim()])? {
        0 => Err(Error::ViewNotFound(name.trim().to_string())),
        _ => Ok(()),
    }
}

/// A row as a view; a filter that no longer reads is an error, not a panic.
fn view_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<SavedView>> {
    let name: String = r.get(0)?;
    let text: String = r.get(1)?;
    let (created_at, updated_at) = (r.get(2)?, r.get(3)?);
    Ok(serde_json::from_str(&text)
        .map_err(|e| Error::InvalidFilter(format!("the saved view `{name}` cannot be read: {e}")))
        .map(|filter| SavedView {
            name,
            filter,
            created_at,
            updated_at,
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_core::db::Db;

    fn filter(event: &str, plan: &str) -> EventFilter {
        EventFilter {
            events: vec![event.into()],
            from_ms: Some(1_000),
            properties: vec![("plan".into(), plan.into())],
            search: Some("checkout".into()),
            ..EventFilter::default()
        }
    }

    #[test]
    fn views_are_saved_listed_reopened_replaced_and_deleted() {
        let db = Db::open_in_memory().unwrap();
        db.call_blocking(|c| -> Result<()> {
            let first = save_view(c, "  Failed checkouts ", &filter("Checkout Failed", "pro"))?;
            assert_eq!(first.name, "Failed checkouts");
            save_view(c, "android", &EventFilter::default())?;
            // Reopened exactly as saved.
            assert_eq!(
                get_view(c, "failed checkouts")?.unwrap().filter,
                filter("Checkout Failed", "pro")
            );
            // The same name in another case replaces the filter, keeps the name.
            let again = save_view(c, "FAILED CHECKOUTS", &filter("Checkout Failed", "free"))?;
            assert_eq!(again.name, "Failed checkouts");
            assert_eq!(again.created_at, first.created_at);
            let names: Vec<String> = list_views(c)?.into_iter().map(|v| v.name).collect();
            assert_eq!(names, ["android", "Failed checkouts"]);
            assert_eq!(
                list_views(c)?[1].filter.properties,
                [("plan".to_string(), "free".to_string())]
            );
            delete_view(c, "Android")?;
            assert_eq!(list_views(c)?.len(), 1);
            assert_eq!(
                delete_view(c, "android").unwrap_err().code(),
                "view_not_found"
            );
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_bad_name_or_filter_is_refused_and_nothing_saved() {
        let db = Db::open_in_memory().unwrap();
        db.call_blocking(|c| -> Result<()> {
            for name in ["", "   ", "a\nb", &"x".repeat(MAX_VIEW_NAME + 1)] {
                assert_eq!(
                    save_view(c, name, &EventFilter::default())
                        .unwrap_err()
                        .code(),
                    "invalid_view_name",
                    "{name:?}"
                );
            }
            let bad = EventFilter {
                properties: vec![("a\"b".into(), "1".into())],
                ..EventFilter::default()
            };
            assert_eq!(
                save_view(c, "v", &bad).unwrap_err().code(),
                "invalid_filter"
            );
            // A view saved before a filter field existed still opens.
            c.execute(
                "INSERT INTO saved_views VALUES ('old', '{\"events\":[\"Login\"]}', 1, 1)",
                [],
            )?;
            assert_eq!(get_view(c, "old")?.unwrap().filter.events, ["Login"]);
            assert!(list_views(c)?.iter().all(|v| v.name == "old"));
            Ok(())
        })
        .unwrap();
    }
}
