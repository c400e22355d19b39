//! The manifest of a cloud run: every recipient's rendered message, frozen
//! at launch, as gzipped NDJSON chunks in the bucket
//! (`campaigns/<run>/manifest/<n>.ndjson.gz`), one queue message per chunk.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Recipients per chunk: one worker invocation sends a chunk, so a chunk
/// must fit the function's timeout at the slowest per-worker pace it is
/// likely to get (a worker requeues what its deadline leaves anyway).
pub const CHUNK_SIZE: usize = 250;

/// One recipient of a cloud run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    #[serde(rename = "c")]
    pub customer_id: String,
    /// Phone number (SMS), the newest device's endpoint ARN (push; it
    /// goes to every one of `devices`) or the customer id (in-app), as
    /// launched.
    #[serde(rename = "a")]
    pub address: String,
    /// What the provider gets: the SMS text, the push `MessageStructure=json`
    /// document, the in-app notification's JSON.
    #[serde(rename = "b")]
    pub body: String,
    /// Push: the endpoint ARNs of the customer's devices enabled at upload,
    /// each sent the message (`push::fan_out`).
    #[serde(rename = "d", default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    /// Badges the message announces: marked announced when the desktop
    /// catches up with a `sent` mark (as the local `mark_sent` does).
    #[serde(rename = "n", default, skip_serializing_if = "Vec::is_empty")]
    pub announced: Vec<String>,
    /// The customer's time zone: quiet hours are judged in it when the
    /// message leaves (absent: UTC).
    #[serde(rename = "z", default, skip_serializing_if = "String::is_empty")]
    pub time_zone: String,
}

/// The chunk's key in the bucket.
pub fn chunk_key(run_id: &str, chunk: u32) -> String {
    format!("campaigns/{run_id}/manifest/{chunk:06}.ndjson.gz")
}

/// Entries as gzipped NDJSON.
pub fn encode(entries: &[ManifestEntry]) -> Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for entry in entries {
        serde_json::to_writer(&mut gz, entry)
            .map_err(|e| Error::Internal(format!("manifest entry: {e}")))?;
        gz.write_all(b"\n").map_err(manifest_io)?;
    }
    gz.finish().map_err(manifest_io)
}

/// The entries of a chunk [`encode`] wrote. A broken chunk is an error: its
/// queue message fails and lands in the dead-letter queue after its retries.
pub fn decode(bytes: &[u8]) -> Result<Vec<ManifestEntry>> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .map_err(manifest_io)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .map_err(|e| Error::Cloud(format!("a manifest line is not an entry: {e}")))
        })
        .collect()
}

fn manifest_io(e: std::io::Error) -> Error {
    Error::Io {
        context: "cannot read or write a cloud run manifest".into(),
        source: e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_round_trip_and_keys_sort_in_order() {
        let entries = vec![
            ManifestEntry {
                customer_id: "c1".into(),
                address: "+12025550143".into(),
                body: "Hi Ann,\n500 points 🎉".into(),
                devices: Vec::new(),
                announced: Vec::new(),
                time_zone: "Europe/Paris".into(),
            },
            ManifestEntry {
                customer_id: "c2".into(),
                address: "arn:aws:sns:us-east-1:1:endpoint/GCM/app/x".into(),
                body: String::new(),
                devices: vec!["arn:aws:sns:us-east-1:1:endpoint/GCM/app/x".into()],
                announced: vec!["streak-7".into()],
                time_zone: String::new(),
            },
        ];
        assert_eq!(decode(&encode(&entries).unwrap()).unwrap(), entries);
        // A chunk an older desktop wrote (no devices, no badges) still reads.
        let old = br#"{"c":"c3","a":"+12025550143","b":"Hi"}"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(old).unwrap();
        let read = decode(&gz.finish().unwrap()).unwrap();
        assert!(read[0].devices.is_empty() && read[0].announced.is_empty());
        assert!(chunk_key("r", 9) < chunk_key("r", 10));
        assert!(decode(b"not gzip").is_err());
    }
}
