//! The bytes of fetched batches held in memory until the writer ingests
//! them, bounded for the whole sync whatever `--concurrency` is.
//!
//! Readers take from the budget line by line and wait while it is spent;
//! the object the writer needs next (the head, in key order) never waits,
//! so the sync always moves on: memory stays below the limit plus one
//! object's cap.

use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// The default of [`crate::sync::SyncOptions::memory_budget`].
pub const DEFAULT_BUDGET: u64 = 64 * 1024 * 1024;

pub struct MemoryBudget {
    limit: u64,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    held: u64,
    peak: u64,
    /// Sequence number of the next object the writer ingests.
    head: u64,
    closed: bool,
}

/// What one object holds; given back when dropped.
pub struct Charge {
    budget: Arc<MemoryBudget>,
    seq: u64,
    held: u64,
}

impl std::fmt::Debug for Charge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Charge {{ seq: {}, held: {} }}", self.seq, self.held)
    }
}

impl MemoryBudget {
    pub fn new(limit: u64) -> Arc<Self> {
        Arc::new(MemoryBudget {
            limit,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        })
    }

    /// A charge for the object `seq` (0-based, in the order of ingestion).
    pub fn charge(self: &Arc<Self>, seq: u64) -> Charge {
        Charge {
            budget: Arc::clone(self),
            seq,
            held: 0,
        }
    }

    /// The writer has ingested objects `0..count`.
    pub fn ingested(&self, count: u64) {
        let mut state = self.lock();
        state.head = state.head.max(count);
        self.changed.notify_all();
    }

    /// The sync ended: waiting readers stop.
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }

    /// Most bytes held at once.
    pub fn peak(&self) -> u64 {
        self.lock().peak
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Charge {
    /// Takes `bytes` more for this object, waiting while other objects hold
    /// the budget. `false` when the sync has ended.
    pub fn take(&mut self, bytes: u64) -> bool {
        let budget = &self.budget;
        let mut state = budget.lock();
        while !state.closed && self.seq > state.head && state.held + bytes > budget.limit {
            state = budget
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.closed {
            return false;
        }
        state.held += bytes;
        self.held += bytes;
        state.peak = state.peak.max(state.held);
        true
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        let mut state = self.budget.lock();
        state.held -= self.held.min(state.held);
        self.budget.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_wait_for_the_head_and_the_head_never_waits() {
        let budget = MemoryBudget::new(100);
        let mut later = budget.charge(1);
        assert!(later.take(90));
        let mut head = budget.charge(0);
        assert!(
            head.take(50),
            "the head goes over the limit rather than wait"
        );
        let waiting = std::thread::spawn(move || {
            let mut third = budget.charge(2);
            let ok = third.take(60);
            (ok, budget.peak())
        });
        drop(head);
        drop(later);
        let (ok, peak) = waiting.join().unwrap();
        assert!(ok);
        assert_eq!(peak, 140);
    }

    #[test]
    fn closing_releases_waiting_readers() {
        let budget = MemoryBudget::new(10);
        let mut head = budget.charge(0);
        assert!(head.take(10));
        let b = Arc::clone(&budget);
        let waiting = std::thread::spawn(move || b.charge(5).take(5));
        budget.close();
        assert!(!waiting.join().unwrap());
    }
}
