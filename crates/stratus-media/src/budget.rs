//! How many decoded pixels may be in memory at once.
//!
//! A resize holds its decoded original (4 bytes a pixel, plus the resize
//! buffers) for the length of the render, so eight distinct cold misses of
//! large PNGs at once took the function from 93 MB to 1.55 GB. Each render
//! first reserves its source's pixel count — read from the header, before
//! the original is downloaded or decoded — from one shared budget; a request
//! that cannot get its share within a short wait is answered "busy" (503 with
//! `Retry-After`) instead of piling on.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::MediaError;

/// The budget's size and how long a render may wait for its share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetConfig {
    /// Source pixels being rendered at once, summed over renders.
    pub pixels: u64,
    /// How long a render waits for room before the request is refused.
    pub max_wait: Duration,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            // Two originals at the 50 MP limit, or eight 12 MP photos.
            pixels: 100_000_000,
            max_wait: Duration::from_secs(2),
        }
    }
}

/// Seconds a refused client is told to wait before trying again.
pub const RETRY_AFTER_SECS: u64 = 2;

/// The shared budget of one [`crate::VariantService`].
#[derive(Debug)]
pub struct RenderBudget {
    permits: Arc<Semaphore>,
    /// Total permits; one permit is one source pixel.
    total: u32,
    max_wait: Duration,
}

/// A reservation, returned to the budget when dropped.
pub type Reservation = OwnedSemaphorePermit;

impl RenderBudget {
    pub fn new(config: BudgetConfig) -> Self {
        let total = u32::try_from(config.pixels.max(1)).unwrap_or(u32::MAX);
        RenderBudget {
            permits: Arc::new(Semaphore::new(total as usize)),
            total,
            max_wait: config.max_wait,
        }
    }

    /// Reserves `pixels` (at most the whole budget, so one image larger than
    /// the budget still runs alone), waiting at most `max_wait`.
    pub async fn reserve(&self, key: &str, pixels: u64) -> Result<Reservation, MediaError> {
        let weight = u32::try_from(pixels.clamp(1, u64::from(self.total))).unwrap_or(self.total);
        let acquire = Arc::clone(&self.permits).acquire_many_owned(weight);
        match tokio::time::timeout(self.max_wait, acquire).await {
            Ok(Ok(reservation)) => Ok(reservation),
            _ => Err(MediaError::Busy {
                key: key.to_string(),
                retry_after_secs: RETRY_AFTER_SECS,
            }),
        }
    }

    /// Pixels not reserved right now.
    pub fn available(&self) -> u64 {
        self.permits.available_permits() as u64
    }
}
