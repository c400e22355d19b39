//! Reading a downloaded batch object: gunzip (bounded) and one parsed row or
//! one kept-aside bad line per NDJSON line. Pure and blocking: sync runs it on
//! the blocking pool, in parallel with the downloads.

use std::io::Read;

use flate2::read::MultiGzDecoder;
use serde_json::{Map, Value};

use crate::envelope::{parse_millis, EventType};

/// A decompressed batch above this is refused (a gzip bomb or a wrong file).
pub const MAX_BATCH_BYTES: u64 = 512 * 1024 * 1024;

/// One event, as the `events` table stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub event_id: String,
    pub ts: i64,
    pub received_at: i64,
    pub event: String,
    pub kind: &'static str,
    pub distinct_id: Option<String>,
    pub anonymous_id: Option<String>,
    pub session_id: Option<String>,
    pub url: Option<String>,
    pub properties: String,
    /// The envelope's fields no column holds, as JSON (see [`crate::stored`]).
    pub extra: String,
}

/// A line that could not be read as an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based, as editors count.
    pub line_number: usize,
    pub reason: String,
    pub raw: String,
}

/// A batch object, read.
#[derive(Debug, Default)]
pub struct ParsedBatch {
    pub rows: Vec<EventRow>,
    pub bad: Vec<BadLine>,
    /// Non-empty lines seen.
    pub lines: usize,
    /// Set when the object as a whole cannot be read (not gzip, too big).
    pub corrupt: Option<String>,
}

/// Gunzips and parses one batch object. Never fails: what cannot be read is
/// reported in the result so a sync goes on.
pub fn read_batch(gzipped: &[u8]) -> ParsedBatch {
    let mut text = Vec::new();
    let mut decoder = MultiGzDecoder::new(gzipped).take(MAX_BATCH_BYTES + 1);
    if let Err(e) = decoder.read_to_end(&mut text) {
        return ParsedBatch {
            corrupt: Some(format!("not a readable gzip object: {e}")),
            ..ParsedBatch::default()
        };
    }
    if text.len() as u64 > MAX_BATCH_BYTES {
        return ParsedBatch {
            corrupt: Some(format!(
                "decompresses to more than {MAX_BATCH_BYTES} bytes; refused"
            )),
            ..ParsedBatch::default()
        };
    }
    let mut batch = ParsedBatch::default();
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        batch.lines += 1;
        match parse_line(line) {
            Ok(row) => batch.rows.push(row),
            Err(reason) => batch.bad.push(BadLine {
                line_number: i + 1,
                reason,
                raw: String::from_utf8_lossy(line).into_owned(),
            }),
        }
    }
    batch
}

/// One line → one row. The line is parsed once, as a JSON object: the
/// columns are taken out of it and what is left is the row's `extra`, so
/// fields this version does not know survive into the detail view.
fn parse_line(line: &[u8]) -> Result<EventRow, String> {
    let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut fields: Map<String, Value> =
        serde_json::from_str(text).map_err(|e| format!("not an event envelope: {e}"))?;
    let event_id = required(&mut fields, "event_id")?;
    if uuid::Uuid::parse_str(&event_id).is_err() {
        return Err(format!("event_id `{event_id}` is not a UUID"));
    }
    let kind_text = required(&mut fields, "type")?;
    let kind = EventType::parse(&kind_text)
        .ok_or_else(|| format!("type `{kind_text}` is not track, identify or page"))?;
    let event = required(&mut fields, "event")?;
    let ts_text = required(&mut fields, "ts")?;
    let ts = parse_millis(&ts_text).ok_or_else(|| format!("ts `{ts_text}` is not RFC 3339"))?;
    let received_text = required(&mut fields, "received_at")?;
    let received_at = parse_millis(&received_text)
        .ok_or_else(|| format!("received_at `{received_text}` is not RFC 3339"))?;
    let properties = match fields.remove("properties") {
        None | Some(Value::Null) => "{}".to_string(),
        Some(p @ Value::Object(_)) => p.to_string(),
        Some(_) => return Err("properties is not an object".to_string()),
    };
    let url = match fields.get_mut("context") {
        None | Some(Value::Null) => None,
        Some(Value::Object(context)) => optional_in(context, "context.url", "url")?,
        Some(_) => return Err("context is not an object".to_string()),
    };
    Ok(EventRow {
        event_id,
        ts,
        received_at,
        event,
        kind: kind.as_str(),
        distinct_id: optional_in(&mut fields, "distinct_id", "distinct_id")?,
        anonymous_id: optional_in(&mut fields, "anonymous_id", "anonymous_id")?,
        session_id: optional_in(&mut fields, "session_id", "session_id")?,
        url,
        properties,
        extra: Value::Object(fields).to_string(),
    })
}

/// Takes a required string field out of the line.
fn required(fields: &mut Map<String, Value>, name: &str) -> Result<String, String> {
    optional_in(fields, name, name)?.ok_or_else(|| format!("{name} is missing"))
}

/// Takes an optional string field out of `fields` (`shown` names it in errors).
fn optional_in(
    fields: &mut Map<String, Value>,
    shown: &str,
    name: &str,
) -> Result<Option<String>, String> {
    match fields.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("{shown} is not a string: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::gzip;

    #[test]
    fn good_and_bad_lines_are_told_apart_and_numbered() {
        let good = r#"{"event_id":"0192f3a0-0000-7000-8000-000000000001","type":"track","event":"Clicked","distinct_id":"cust-00001","received_at":"2026-11-26T15:00:00.000Z","ts":"2026-11-26T14:59:59.000Z","context":{"url":"https://shop.example/cart"}}"#;
        let text = format!("{good}\nnot json\n\n{{\"event_id\":\"x\"}}\n");
        let batch = read_batch(&gzip(text.as_bytes()).unwrap());
        assert_eq!(batch.lines, 3);
        assert_eq!(batch.rows.len(), 1);
        assert_eq!(batch.rows[0].ts, 1_795_705_199_000);
        assert_eq!(
            batch.rows[0].url.as_deref(),
            Some("https://shop.example/cart")
        );
        let numbers: Vec<_> = batch.bad.iter().map(|b| b.line_number).collect();
        assert_eq!(numbers, vec![2, 4]);
        assert!(batch.corrupt.is_none());
    }

    #[test]
    fn an_object_that_is_not_gzip_is_corrupt_not_a_panic() {
        let batch = read_batch(b"plain text, not gzip");
        assert!(batch.corrupt.is_some());
        assert!(batch.rows.is_empty());
    }
}
