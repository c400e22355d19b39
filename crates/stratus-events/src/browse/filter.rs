//! The filters of the event table, turned into one SQL `WHERE` clause with
//! bound parameters (user text never becomes SQL or FTS syntax).

use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What the support screen narrows events to. All parts are ANDed.
/// Serialized as a saved view's filter (`browse/views.rs`): a field added
/// later reads as its default from views saved before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventFilter {
    /// One customer's events (the timeline): any of the person's ids (user
    /// id, anonymous id, alias) selects every event of the person.
    pub distinct_id: Option<String>,
    pub session_id: Option<String>,
    /// Any of these event names; empty means all.
    pub events: Vec<String>,
    /// Inclusive lower bound of `ts`, unix ms.
    pub from_ms: Option<i64>,
    /// Exclusive upper bound of `ts`, unix ms.
    pub to_ms: Option<i64>,
    /// Property `key = value`: the value compares as text, so `42`, `true`
    /// (stored as 1) and `"42"` match the text `42`, `1`, `42`.
    pub properties: Vec<(String, String)>,
    /// Free text over name, properties and url; every word must appear, the
    /// last one as a prefix (search as you type).
    pub search: Option<String>,
}

/// The events of the person an id belongs to (two parameters, both the
/// id): one range of `events_by_person`.
pub(crate) const PERSON_OF_ID: &str =
    "person = coalesce((SELECT person FROM identities WHERE id = ?), ?)";

/// A `WHERE …` (or empty) clause and its parameters, in order.
pub(crate) struct SqlFilter {
    pub clause: String,
    pub params: Vec<SqlValue>,
}

impl SqlFilter {
    /// Appends one more condition (used for the keyset bound).
    pub fn and(&mut self, condition: &str, params: impl IntoIterator<Item = SqlValue>) {
        self.clause.push_str(if self.clause.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        self.clause.push_str(condition);
        self.params.extend(params);
    }
}

impl EventFilter {
    pub(crate) fn to_sql(&self) -> Result<SqlFilter> {
        let mut sql = SqlFilter {
            clause: String::new(),
            params: Vec::new(),
        };
        if let Some(id) = &self.distinct_id {
            sql.and(
                PERSON_OF_ID,
                [SqlValue::Text(id.clone()), SqlValue::Text(id.clone())],
            );
        }
        if let Some(id) = &self.session_id {
            sql.and("session_id = ?", [SqlValue::Text(id.clone())]);
        }
        if !self.events.is_empty() {
            let marks = vec!["?"; self.events.len()].join(", ");
            sql.and(
                &format!("event IN ({marks})"),
                self.events.iter().cloned().map(SqlValue::Text),
            );
        }
        if let Some(from) = self.from_ms {
            sql.and("ts >= ?", [SqlValue::Integer(from)]);
        }
        if let Some(to) = self.to_ms {
            sql.and("ts < ?", [SqlValue::Integer(to)]);
        }
        for (key, value) in &self.properties {
            sql.and(
                "CAST(json_extract(properties, ?) AS TEXT) = ?",
                [
                    SqlValue::Text(property_path(key)?),
                    SqlValue::Text(value.clone()),
                ],
            );
        }
        if let Some(query) = self.search.as_deref().and_then(fts_query) {
            sql.and(
                "rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)",
                [SqlValue::Text(query)],
            );
        }
        Ok(sql)
    }
}

/// A JSON path for a flat property key, quoted so dots and spaces are part
/// of the key.
pub(crate) fn property_path(key: &str) -> Result<String> {
    if key.is_empty()
        || key.len() > 200
        || key.contains(['"', '\\'])
        || key.chars().any(char::is_control)
    {
        return Err(Error::InvalidFilter(format!(
            "property name `{key}` must be 1 to 200 characters without quotes or backslashes"
        )));
    }
    Ok(format!("$.\"{key}\""))
}

/// Free text → an FTS5 query: each word a quoted phrase (so `-`, `:`, `*`
/// typed by a user are text, not syntax), the last one a prefix.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    if words.is_empty() {
        return None;
    }
    Some(format!("{}*", words.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_quoted_for_fts_and_paths() {
        assert_eq!(fts_query("  ").as_deref(), None);
        assert_eq!(
            fts_query(r#"cust-1 "ab" chec"#).as_deref(),
            Some(r#""cust-1" """ab""" "chec"*"#)
        );
        assert_eq!(property_path("form.valid").unwrap(), r#"$."form.valid""#);
        assert_eq!(
            property_path(r#"a"b"#).unwrap_err().code(),
            "invalid_filter"
        );
    }
}
