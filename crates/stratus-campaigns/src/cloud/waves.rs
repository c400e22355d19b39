//! Chunks grouped by when their recipients may be sent: at the upload,
//! recipients in quiet hours (a campaign whose quiet hours wait) go into
//! chunks of their own per window end, so a chunk waits as a whole (its
//! queue message carries `not_before`) instead of being split again and
//! again by the workers. One group per distinct end: a few dozen time
//! zones at most, so memory stays a few chunks.

use std::collections::BTreeMap;

use super::manifest::ManifestEntry;

/// A chunk ready to upload: when it may go (`None`: now) and its entries.
pub type Wave = (Option<i64>, Vec<ManifestEntry>);

/// Entries filling chunks, one open chunk per wake time.
pub struct Waves {
    size: usize,
    open: BTreeMap<Option<i64>, Vec<ManifestEntry>>,
}

impl Waves {
    pub fn new(size: usize) -> Self {
        Waves {
            size: size.max(1),
            open: BTreeMap::new(),
        }
    }

    /// Adds an entry; a chunk that is full now.
    pub fn push(&mut self, entry: ManifestEntry, not_before: Option<i64>) -> Option<Wave> {
        let chunk = self.open.entry(not_before).or_default();
        chunk.push(entry);
        if chunk.len() < self.size {
            return None;
        }
        self.open.remove(&not_before).map(|full| (not_before, full))
    }

    /// The chunks not full yet, those due now first.
    pub fn finish(self) -> Vec<Wave> {
        self.open.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(c: &str) -> ManifestEntry {
        ManifestEntry {
            customer_id: c.into(),
            ..ManifestEntry::default()
        }
    }

    #[test]
    fn chunks_hold_recipients_of_one_wake_time() {
        let mut waves = Waves::new(2);
        assert_eq!(waves.push(entry("a"), None), None);
        assert_eq!(waves.push(entry("b"), Some(9)), None);
        let full = waves.push(entry("c"), None).unwrap();
        assert_eq!(full, (None, vec![entry("a"), entry("c")]));
        assert_eq!(waves.push(entry("d"), Some(5)), None);
        assert_eq!(waves.push(entry("e"), None), None);
        assert_eq!(
            waves.finish(),
            vec![
                (None, vec![entry("e")]),
                (Some(5), vec![entry("d")]),
                (Some(9), vec![entry("b")]),
            ]
        );
    }
}
