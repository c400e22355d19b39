//! A delivery stream between the collector and the events bucket: on Lambda
//! at volume, one S3 object per request is too many (each costs a PUT and
//! each becomes an object sync must list and read), so a profile can choose
//! Amazon Data Firehose, which buffers minutes of requests into one object.
//!
//! Each record is a whole gzip member of whole NDJSON lines. Firehose
//! concatenates records into the object unchanged (the stream is configured
//! `UNCOMPRESSED`), and concatenated gzip members are one valid gzip stream:
//! the object is an ordinary batch to sync, under the same
//! `events/v1/dt=…/hh=…/` prefix, so sync does not care which wrote it.
//! Compressing per record also cuts Firehose's bill, which counts ingested
//! bytes.

use async_trait::async_trait;
use bytes::Bytes;
use stratus_events::collector::gzip;

/// Firehose takes records up to 1,000 KiB; whole lines are packed up to
/// this many uncompressed bytes, so a record stays below that even when
/// gzip cannot shrink it (it adds a few bytes per 16 KiB block at worst).
pub const MAX_RECORD_LINES_BYTES: usize = 900 * 1024;

/// Why records were not taken; the request is answered 503 and the
/// sender retries (sync drops the duplicates a retry may make, by event id).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StreamError(pub String);

/// Where a collector sends accepted events instead of the bucket.
#[async_trait]
pub trait EventStream: Send + Sync {
    /// Takes every record or fails; records already taken by a failing
    /// call may be sent again by the retry that follows.
    async fn send(&self, records: Vec<Bytes>) -> Result<(), StreamError>;
    /// For logs and errors.
    fn name(&self) -> &str;
}

/// NDJSON lines as records: whole lines, each record one gzip member of at
/// most [`MAX_RECORD_LINES_BYTES`] uncompressed (a longer single line gets
/// a record of its own).
pub fn records(ndjson: &[u8]) -> Result<Vec<Bytes>, StreamError> {
    let mut records = Vec::new();
    let mut start = 0;
    while start < ndjson.len() {
        let mut end = start;
        for line in ndjson[start..].split_inclusive(|b| *b == b'\n') {
            if end > start && end - start + line.len() > MAX_RECORD_LINES_BYTES {
                break;
            }
            end += line.len();
        }
        let member = gzip(&ndjson[start..end])
            .map_err(|e| StreamError(format!("cannot compress events: {e}")))?;
        records.push(Bytes::from(member));
        start = end;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::MultiGzDecoder;

    use super::*;

    fn lines(count: usize, width: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..count {
            let pad = "x".repeat(width);
            out.extend_from_slice(format!("{{\"i\":{i},\"pad\":\"{pad}\"}}\n").as_bytes());
        }
        out
    }

    /// What Firehose writes: the records one after another.
    fn object_of(records: &[Bytes]) -> Vec<u8> {
        records.iter().flat_map(|r| r.iter().copied()).collect()
    }

    #[test]
    fn concatenated_records_read_back_as_the_same_lines() {
        let ndjson = lines(5_000, 400);
        let records = records(&ndjson).unwrap();
        assert!(records.len() > 1, "2 MB of lines make several records");
        let mut read = Vec::new();
        MultiGzDecoder::new(&object_of(&records)[..])
            .read_to_end(&mut read)
            .unwrap();
        assert_eq!(read, ndjson, "same bytes, same order, no line split");
    }

    #[test]
    fn every_record_is_whole_lines_within_firehose_s_record_size() {
        let ndjson = lines(3_000, 700);
        for record in records(&ndjson).unwrap() {
            assert!(record.len() <= 1000 * 1024, "{} bytes", record.len());
            let mut text = Vec::new();
            MultiGzDecoder::new(&record[..])
                .read_to_end(&mut text)
                .unwrap();
            assert!(text.len() <= MAX_RECORD_LINES_BYTES);
            assert_eq!(text.last(), Some(&b'\n'), "a record ends at a line's end");
        }
    }

    #[test]
    fn a_line_longer_than_a_record_goes_alone_and_nothing_is_empty() {
        let mut ndjson = lines(2, 10);
        ndjson.extend(lines(1, MAX_RECORD_LINES_BYTES + 10));
        ndjson.extend(lines(2, 10));
        let records = records(&ndjson).unwrap();
        assert_eq!(records.len(), 3, "before, the long line, after");
        assert!(super::records(b"").unwrap().is_empty());
    }
}
