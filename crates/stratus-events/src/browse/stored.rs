//! The envelope as the cache stores it: columns for what is queried, and
//! `extra` (JSON) for the rest (migration 0007). This puts a line back
//! together for the detail view ([`event_detail`]) and the NDJSON export.

use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::{Map, Value};

use crate::envelope::format_millis;
use crate::error::Result;

/// The columns a stored envelope is read from, in [`envelope`]'s order.
pub(crate) const ENVELOPE_COLUMNS: &str =
    "event_id, type, event, distinct_id, anonymous_id, session_id, received_at, ts, properties, url, extra";

/// The envelope of a row selected with [`ENVELOPE_COLUMNS`] starting at
/// column `first`: the same fields as the batch line (times in the
/// collector's RFC 3339 form; keys in JSON's sorted order).
pub(crate) fn envelope(r: &Row<'_>, first: usize) -> rusqlite::Result<Value> {
    let text = |i: usize| r.get::<_, Option<String>>(first + i);
    let json = |i: usize| -> rusqlite::Result<Value> {
        let s: String = r.get(first + i)?;
        Ok(serde_json::from_str(&s).unwrap_or(Value::Null))
    };
    let mut fields = match json(10)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for (i, name) in [
        "event_id",
        "type",
        "event",
        "distinct_id",
        "anonymous_id",
        "session_id",
    ]
    .into_iter()
    .enumerate()
    {
        if let Some(v) = text(i)? {
            fields.insert(name.to_string(), Value::String(v));
        }
    }
    for (i, name) in [(6, "received_at"), (7, "ts")] {
        let ms: i64 = r.get(first + i)?;
        fields.insert(name.to_string(), Value::String(format_millis(ms)));
    }
    fields.insert("properties".to_string(), json(8)?);
    if let Some(url) = text(9)? {
        let context = fields
            .entry("context")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(c) = context {
            c.insert("url".to_string(), Value::String(url));
        }
    }
    Ok(Value::Object(fields))
}

/// The whole stored envelope of one event, for the detail view.
pub fn event_detail(conn: &Connection, event_id: &str) -> Result<Option<Value>> {
    Ok(conn
        .query_row(
            &format!("SELECT {ENVELOPE_COLUMNS} FROM events WHERE event_id = ?1"),
            [event_id],
            |r| envelope(r, 0),
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::event_detail;

    use crate::collector::gzip;
    use crate::sync::batch_reader::read_batch;
    use crate::sync::ledger::{ingest_objects, FetchedObject};

    #[test]
    fn the_detail_view_gets_back_the_line_that_was_synced() {
        let line = json!({
            "event_id": "0192f3a0-0000-7000-8000-000000000001",
            "type": "track",
            "event": "Form Submitted",
            "distinct_id": "cust-00001",
            "session_id": "0192f3a0-0000-7000-8000-0000000000aa",
            "client_ts": "2026-11-26T14:59:58.000Z",
            "sent_at": "2026-11-26T14:59:59.500Z",
            "received_at": "2026-11-26T15:00:00.000Z",
            "ts": "2026-11-26T14:59:59.000Z",
            "properties": {"form": "newsletter", "valid": true, "empty": null},
            "context": {"url": "https://shop.example/cart", "tz": "Europe/Paris",
                        "library": {"name": "stratus.js", "version": "0.4.2"}},
            "collector": {"ip": "198.51.100.0"},
            "from_a_newer_tracker": [1, 2]
        });
        let no_context = json!({
            "event_id": "0192f3a0-0000-7000-8000-000000000002",
            "type": "identify",
            "event": "$identify",
            "received_at": "2026-11-26T15:00:00.000Z",
            "ts": "2026-11-26T15:00:00.000Z",
            "properties": {}
        });
        let text = format!("{line}\n{no_context}\n");
        let batch = read_batch(&gzip(text.as_bytes()).unwrap());
        assert_eq!(batch.rows.len(), 2, "{:?}", batch.bad);
        assert_eq!(
            batch.rows[0].url.as_deref(),
            Some("https://shop.example/cart")
        );
        assert!(
            !batch.rows[0].extra.contains("shop.example/cart"),
            "the url is stored once, in its column: {}",
            batch.rows[0].extra
        );

        let db = stratus_core::db::Db::open_in_memory().unwrap();
        let fetched = FetchedObject {
            key: "events/v1/dt=2026-11-26/hh=15/a.ndjson.gz".into(),
            etag: "e1".into(),
            size: 1,
            batch,
            moves_watermark: true,
        };
        db.call_blocking(|conn| -> crate::Result<_> {
            ingest_objects(conn, "events/v1/", std::slice::from_ref(&fetched))?;
            for original in [&line, &no_context] {
                let id = original["event_id"].as_str().unwrap();
                assert_eq!(
                    event_detail(conn, id).unwrap().as_ref(),
                    Some(original),
                    "{id}"
                );
            }
            Ok(())
        })
        .unwrap();
    }
}
