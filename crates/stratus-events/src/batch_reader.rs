//! Reading a downloaded batch object: gunzip (bounded) and one parsed row or
//! one kept-aside bad line per NDJSON line. Pure and blocking: sync runs it on
//! the blocking pool, in parallel with the downloads.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use crate::envelope::Envelope;

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
    pub raw: String,
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

fn parse_line(line: &[u8]) -> Result<EventRow, String> {
    let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8: {e}"))?;
    let env: Envelope =
        serde_json::from_str(text).map_err(|e| format!("not an event envelope: {e}"))?;
    if uuid::Uuid::parse_str(&env.event_id).is_err() {
        return Err(format!("event_id `{}` is not a UUID", env.event_id));
    }
    let ts = env
        .ts_millis()
        .ok_or_else(|| format!("ts `{}` is not RFC 3339", env.ts))?;
    let received_at = env
        .received_millis()
        .ok_or_else(|| format!("received_at `{}` is not RFC 3339", env.received_at))?;
    let properties = serde_json::to_string(&env.properties).map_err(|e| e.to_string())?;
    Ok(EventRow {
        ts,
        received_at,
        kind: env.kind.as_str(),
        url: env.context.url.clone(),
        properties,
        raw: text.trim().to_string(),
        event_id: env.event_id,
        event: env.event,
        distinct_id: env.distinct_id,
        anonymous_id: env.anonymous_id,
        session_id: env.session_id,
    })
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
