//! Spool segments on disk: `<id>.open` while requests are appended to it,
//! renamed to `<id>.ready` once sealed. A record is one byte for the stream
//! (`E` accepted event, `B` rejected one), the compact JSON line and `\n`;
//! JSON lines hold no raw newline, so a record boundary is always a newline.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::collector::RequestLines;

const OPEN: &str = "open";
const READY: &str = "ready";
const EVENT: u8 = b'E';
const BAD: u8 = b'B';

/// A segment's file name: its time-ordered id and whether it is sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SegmentName {
    pub id: Uuid,
    pub sealed: bool,
}

impl SegmentName {
    pub fn new_open() -> SegmentName {
        SegmentName {
            id: Uuid::now_v7(),
            sealed: false,
        }
    }

    pub fn path(&self, dir: &Path) -> PathBuf {
        let ext = if self.sealed { READY } else { OPEN };
        dir.join(format!("{}.{ext}", self.id.as_simple()))
    }

    pub fn sealed(self) -> SegmentName {
        SegmentName {
            sealed: true,
            ..self
        }
    }

    fn parse(file_name: &str) -> Option<SegmentName> {
        let (id, ext) = file_name.split_once('.')?;
        let sealed = match ext {
            OPEN => false,
            READY => true,
            _ => return None,
        };
        Some(SegmentName {
            id: Uuid::try_parse(id).ok()?,
            sealed,
        })
    }
}

/// The segments in `dir` with their sizes, oldest first.
pub fn list(dir: &Path) -> io::Result<Vec<(SegmentName, u64)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().and_then(SegmentName::parse) else {
            continue;
        };
        found.push((name, entry.metadata()?.len()));
    }
    found.sort();
    Ok(found)
}

/// A request's lines as spool records, ready to append in one write.
pub fn records(lines: &RequestLines) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        lines.events.len() + lines.bad.len() + lines.event_lines + lines.bad_lines,
    );
    for (tag, ndjson) in [(EVENT, &lines.events), (BAD, &lines.bad)] {
        for line in ndjson.split_inclusive(|b| *b == b'\n') {
            out.push(tag);
            out.extend_from_slice(line);
        }
    }
    out
}

/// A sealed segment's records back as the two streams. A record without its
/// final newline was cut by a crash in the middle of a write; its request
/// was never answered, so it is dropped.
pub fn read_lines(bytes: &[u8]) -> RequestLines {
    let mut lines = RequestLines::default();
    let complete = match bytes.iter().rposition(|b| *b == b'\n') {
        Some(end) => &bytes[..=end],
        None => &[][..],
    };
    for record in complete.split_inclusive(|b| *b == b'\n') {
        match record.split_first() {
            Some((&EVENT, line)) if line.len() > 1 => {
                lines.events.extend_from_slice(line);
                lines.event_lines += 1;
            }
            Some((&BAD, line)) if line.len() > 1 => {
                lines.bad.extend_from_slice(line);
                lines.bad_lines += 1;
            }
            _ => tracing::warn!("skipped an unreadable spool record"),
        }
    }
    lines
}

/// Makes a rename or a new file in `dir` survive a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_a_torn_tail_is_dropped() {
        let lines = RequestLines {
            events: b"{\"a\":1}\n{\"a\":2}\n".to_vec(),
            event_lines: 2,
            bad: b"{\"b\":1}\n".to_vec(),
            bad_lines: 1,
        };
        let mut bytes = records(&lines);
        assert_eq!(read_lines(&bytes), lines);
        bytes.extend_from_slice(b"E{\"a\":3");
        assert_eq!(read_lines(&bytes), lines, "the cut record is not kept");
    }

    #[test]
    fn names_sort_by_time_and_parse_back() {
        let first = SegmentName::new_open();
        let second = SegmentName::new_open().sealed();
        assert!(first < second);
        let path = second.path(Path::new("/s"));
        let file = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(SegmentName::parse(file), Some(second));
        assert_eq!(SegmentName::parse("lock"), None);
    }
}
