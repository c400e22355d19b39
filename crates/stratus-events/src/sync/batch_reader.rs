//! Reading a batch object: a stream of gunzipped NDJSON lines, one parsed row
//! or one kept-aside bad line each. Pure and blocking: sync runs it on the
//! blocking pool, in parallel with the downloads, on the body as it arrives.
//!
//! Memory stays small whatever is in the bucket: a line above
//! [`MAX_LINE_BYTES`] is a bad line (its first [`KEPT_RAW_BYTES`] kept), an
//! object that decompresses beyond [`MAX_OBJECT_BYTES`] is cut there, and the
//! lines kept are charged to the sync's [`crate::sync::memory_budget::MemoryBudget`]. A cut — a truncated
//! object, a damaged gzip stream, the size cap — keeps every complete line
//! before it and is recorded as one bad line with the reason.

use std::io::{BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;
use serde_json::{Map, Value};

use crate::envelope::{parse_millis, EventType};
use crate::sync::identity::link::{link_of, IdentityLink};
use crate::sync::memory_budget::Charge;

/// An event line above this is refused (the collector takes 512 KiB bodies).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// Decompressed bytes read from one object at most (a gzip bomb, a wrong file).
pub const MAX_OBJECT_BYTES: u64 = 64 * 1024 * 1024;
/// Bytes of a bad line kept for inspection.
pub const KEPT_RAW_BYTES: usize = 4 * 1024;

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
    /// The envelope's fields no column holds, as JSON (see [`crate::browse::stored`]).
    pub extra: String,
    /// The identity link the event carries (identify, alias, group).
    pub link: Option<IdentityLink>,
}

/// A line that could not be read as an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based, as editors count.
    pub line_number: usize,
    pub reason: String,
    /// At most [`KEPT_RAW_BYTES`] of the line.
    pub raw: String,
}

/// A batch object, read.
#[derive(Debug, Default)]
pub struct ParsedBatch {
    pub rows: Vec<EventRow>,
    /// Bad lines, the cut included.
    pub bad: Vec<BadLine>,
    /// Non-empty lines seen.
    pub lines: usize,
    /// Why the object was not read to its end (truncated, not gzip, too
    /// big); the lines before the cut are in `rows` and `bad`.
    pub corrupt: Option<String>,
    /// What the kept lines hold of the sync's memory budget; given back
    /// when the batch is dropped (after it is ingested).
    pub charge: Option<Charge>,
}

/// Gunzips and parses one whole batch object held in memory (tests, tools).
pub fn read_batch(gzipped: &[u8]) -> ParsedBatch {
    read_batch_from(gzipped, None)
}

/// Gunzips and parses a batch object as it is read, line by line. Never
/// fails: what cannot be read is reported in the result so a sync goes on.
/// With a `budget`, each kept line is charged to it first (waiting while
/// other objects, not yet ingested, hold it).
pub fn read_batch_from(body: impl Read, charge: Option<Charge>) -> ParsedBatch {
    let mut batch = ParsedBatch {
        charge,
        ..ParsedBatch::default()
    };
    let mut reader = BufReader::with_capacity(64 * 1024, MultiGzDecoder::new(body));
    let mut line = Vec::new();
    let mut too_long = false;
    let mut read: u64 = 0;
    let mut number = 1;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let reason = if read == 0 {
                    format!("not a readable gzip object: {e}")
                } else {
                    format!("the object is cut off here ({e}); the lines before were read")
                };
                cut(&mut batch, number, &line, reason);
                break;
            }
        };
        if buf.is_empty() {
            // A last line without a newline is complete at a clean end.
            if !line.is_empty() || too_long {
                take_line(&mut batch, number, &line, too_long);
            }
            break;
        }
        let (chunk, ends_line) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..i], true),
            None => (buf, false),
        };
        let used = chunk.len() + usize::from(ends_line);
        read += used as u64;
        if read > MAX_OBJECT_BYTES {
            let reason = format!(
                "the object decompresses to more than {} MiB; the rest is not read",
                MAX_OBJECT_BYTES / (1024 * 1024)
            );
            cut(&mut batch, number, &line, reason);
            break;
        }
        if !too_long && line.len() + chunk.len() > MAX_LINE_BYTES {
            too_long = true;
            line.extend_from_slice(
                &chunk[..chunk.len().min(KEPT_RAW_BYTES.saturating_sub(line.len()))],
            );
            line.truncate(KEPT_RAW_BYTES);
        } else if !too_long {
            line.extend_from_slice(chunk);
        }
        reader.consume(used);
        if ends_line {
            if let Some(charge) = &mut batch.charge {
                if !charge.take(line.len() as u64) {
                    // The sync stopped: this batch will not be ingested.
                    break;
                }
            }
            take_line(&mut batch, number, &line, too_long);
            line.clear();
            too_long = false;
            number += 1;
        }
    }
    batch
}

/// One complete line: a row, a bad line, or nothing (blank).
fn take_line(batch: &mut ParsedBatch, number: usize, line: &[u8], too_long: bool) {
    if !too_long && line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    batch.lines += 1;
    let parsed = if too_long {
        Err(format!(
            "the line is longer than {} KiB",
            MAX_LINE_BYTES / 1024
        ))
    } else {
        parse_line(line)
    };
    match parsed {
        Ok(row) => batch.rows.push(row),
        Err(reason) => batch.bad.push(BadLine {
            line_number: number,
            reason,
            raw: kept_raw(line),
        }),
    }
}

/// Records where and why reading stopped, with what was read of that line.
fn cut(batch: &mut ParsedBatch, number: usize, partial: &[u8], reason: String) {
    batch.bad.push(BadLine {
        line_number: number,
        reason: reason.clone(),
        raw: kept_raw(partial),
    });
    batch.corrupt = Some(reason);
}

/// At most [`KEPT_RAW_BYTES`] of a line, as text.
fn kept_raw(line: &[u8]) -> String {
    let mut raw = String::from_utf8_lossy(&line[..line.len().min(KEPT_RAW_BYTES)]).into_owned();
    while raw.len() > KEPT_RAW_BYTES {
        raw.pop();
    }
    raw
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
    let kind = EventType::parse(&kind_text).ok_or_else(|| {
        format!("type `{kind_text}` is not track, identify, page, alias or group")
    })?;
    let event = required(&mut fields, "event")?;
    let ts_text = required(&mut fields, "ts")?;
    let ts = parse_millis(&ts_text).ok_or_else(|| format!("ts `{ts_text}` is not RFC 3339"))?;
    let received_text = required(&mut fields, "received_at")?;
    let received_at = parse_millis(&received_text)
        .ok_or_else(|| format!("received_at `{received_text}` is not RFC 3339"))?;
    let properties = match fields.remove("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p,
        Some(_) => return Err("properties is not an object".to_string()),
    };
    let url = match fields.get_mut("context") {
        None | Some(Value::Null) => None,
        Some(Value::Object(context)) => optional_in(context, "context.url", "url")?,
        Some(_) => return Err("context is not an object".to_string()),
    };
    let distinct_id = optional_in(&mut fields, "distinct_id", "distinct_id")?;
    let anonymous_id = optional_in(&mut fields, "anonymous_id", "anonymous_id")?;
    let link = link_of(
        &event_id,
        kind.as_str(),
        ts,
        distinct_id.as_deref(),
        anonymous_id.as_deref(),
        &fields,
        Some(&properties),
    );
    Ok(EventRow {
        event_id,
        ts,
        received_at,
        event,
        kind: kind.as_str(),
        distinct_id,
        anonymous_id,
        session_id: optional_in(&mut fields, "session_id", "session_id")?,
        url,
        properties: Value::Object(properties).to_string(),
        extra: Value::Object(fields).to_string(),
        link,
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
        assert_eq!(batch.bad.len(), 1, "the cut is one bad line");
    }

    fn event_line(n: u32) -> String {
        format!(
            r#"{{"event_id":"0192f3a0-0000-7000-8000-{n:012}","type":"track","event":"Clicked","received_at":"2026-11-26T15:00:00.000Z","ts":"2026-11-26T14:59:59.000Z"}}"#
        )
    }

    #[test]
    fn a_truncated_object_keeps_every_complete_line_and_records_the_cut() {
        let text: String = (0..1000).map(|n| event_line(n) + "\n").collect();
        let whole = gzip(text.as_bytes()).unwrap();
        let cut_off = &whole[..whole.len() * 3 / 4];
        let batch = read_batch(cut_off);
        assert!(batch.rows.len() > 500, "{} rows", batch.rows.len());
        assert_eq!(batch.bad.len(), 1);
        let bad = &batch.bad[0];
        assert_eq!(bad.line_number, batch.rows.len() + 1);
        assert!(bad.reason.contains("cut off"), "{}", bad.reason);
        assert!(batch.corrupt.is_some());
        for (n, row) in batch.rows.iter().enumerate() {
            assert_eq!(row.event_id, format!("0192f3a0-0000-7000-8000-{n:012}"));
        }
    }

    #[test]
    fn a_gzip_bomb_is_read_only_up_to_the_object_cap_and_long_lines_are_cut_short() {
        // Some good lines, then 256 MiB of zeros without a newline.
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for n in 0..3 {
            std::io::Write::write_all(&mut encoder, (event_line(n) + "\n").as_bytes()).unwrap();
        }
        let zeros = vec![b'0'; 1024 * 1024];
        for _ in 0..256 {
            std::io::Write::write_all(&mut encoder, &zeros).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        let batch = read_batch(&bomb);
        assert_eq!(batch.rows.len(), 3, "the lines before the bomb are kept");
        let reasons: Vec<_> = batch.bad.iter().map(|b| b.reason.as_str()).collect();
        assert!(
            reasons.iter().any(|r| r.contains("more than 64 MiB")),
            "{reasons:?}"
        );
        assert!(batch.bad.iter().all(|b| b.raw.len() <= KEPT_RAW_BYTES));
        assert!(batch.lines <= 4);
    }
}
