//! What the campaigns capability holds on one person, for an access request
//! (the GDPR export, assembled in `stratus-app`): every row naming any of
//! their ids, every column, as JSON. A person may have several ids (the
//! events' identity graph), so this takes them all.

use rusqlite::types::ValueRef;
use rusqlite::{params_from_iter, Connection};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Result;

/// The tables holding a customer's rows, and the column naming them.
const TABLES: [(&str, &str); 4] = [
    ("customers", "id"),
    ("push_devices", "customer_id"),
    ("recipients", "customer_id"),
    ("outbox", "customer_id"),
];

/// Rows of one table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldRows {
    pub table: &'static str,
    pub rows: Vec<Map<String, Value>>,
}

/// Every row of [`TABLES`] naming one of `ids`, table by table.
pub fn held_on(conn: &Connection, ids: &[String]) -> Result<Vec<HeldRows>> {
    let marks = vec!["?"; ids.len().max(1)].join(", ");
    let mut held = Vec::new();
    for (table, column) in TABLES {
        let mut stmt = conn.prepare(&format!(
            "SELECT * FROM {table} WHERE {column} IN ({marks}) ORDER BY rowid"
        ))?;
        let names: Vec<String> = stmt.column_names().iter().map(|n| n.to_string()).collect();
        let rows = stmt.query_map(params_from_iter(ids), |r| {
            let mut row = Map::new();
            for (i, name) in names.iter().enumerate() {
                row.insert(name.clone(), json_of(r.get_ref(i)?));
            }
            Ok(row)
        })?;
        held.push(HeldRows {
            table,
            rows: rows.collect::<rusqlite::Result<_>>()?,
        });
    }
    Ok(held)
}

/// A column's value as JSON; a blob as lowercase hex text.
fn json_of(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(b.iter().map(|x| format!("{x:02x}")).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_core::db::Db;

    #[test]
    fn every_row_naming_one_of_the_ids_and_no_other() {
        let db = Db::open_in_memory().unwrap();
        db.call_blocking(|c| -> crate::Result<_> {
            c.execute_batch(
                "INSERT INTO customers (id, name, email, locale, time_zone, created_at, updated_at)
                   VALUES ('ann', 'Ann', 'ann@example.com', 'en', 'UTC', 1, 1),
                          ('bo', 'Bo', 'bo@example.com', 'en', 'UTC', 1, 1);
                 INSERT INTO campaigns (id, name, channel, segment, template, rate_per_sec, concurrency,
                     state, created_at, updated_at)
                   VALUES ('c1', 'Spring sale', 'sms', 'all', 't', 1, 1, 'completed', 0, 0);
                 INSERT INTO recipients (campaign_id, customer_id, status, rendered, updated_at)
                   VALUES ('c1', 'anon-ann', 'sent', 'Hi Ann', 10), ('c1', 'bo', 'sent', 'Hi Bo', 11);
                 INSERT INTO outbox (message_id, campaign_id, customer_id, channel, address, body, sent_at)
                   VALUES ('m1', 'c1', 'anon-ann', 'sms', '+15550100', 'Hi Ann', 10);",
            )?;
            let held = held_on(c, &["ann".into(), "anon-ann".into()])?;
            let count = |t: &str| held.iter().find(|h| h.table == t).unwrap().rows.len();
            assert_eq!(
                (count("customers"), count("push_devices"), count("recipients"), count("outbox")),
                (1, 0, 1, 1)
            );
            assert_eq!(held[0].rows[0]["email"], "ann@example.com");
            assert_eq!(held[2].rows[0]["rendered"], "Hi Ann");
            Ok(())
        })
        .unwrap();
    }
}
