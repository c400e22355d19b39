//! The live controls of a run: pause/resume, rate and concurrency.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use stratus_core::jobs::CancellationToken;
use tokio::sync::watch;

use super::rate::TokenBucket;
use crate::campaign::Campaign;

struct ControlInner {
    paused: watch::Sender<bool>,
    concurrency: AtomicU32,
    bucket: TokenBucket,
}

/// The handle a UI holds on a running campaign: pause, resume, rate and
/// concurrency changes take effect while it runs. Cheap to clone.
#[derive(Clone)]
pub struct RunControl {
    inner: Arc<ControlInner>,
}

impl RunControl {
    pub fn new(rate_per_sec: f64, concurrency: u32) -> Self {
        RunControl {
            inner: Arc::new(ControlInner {
                paused: watch::channel(false).0,
                concurrency: AtomicU32::new(concurrency.max(1)),
                bucket: TokenBucket::new(rate_per_sec),
            }),
        }
    }

    /// With the campaign's own rate and concurrency.
    pub fn for_campaign(campaign: &Campaign) -> Self {
        Self::new(campaign.spec.rate_per_sec, campaign.spec.concurrency)
    }

    /// No new sends start until [`RunControl::resume`].
    pub fn pause(&self) {
        self.inner.paused.send_replace(true);
    }

    pub fn resume(&self) {
        self.inner.paused.send_replace(false);
    }

    pub fn is_paused(&self) -> bool {
        *self.inner.paused.borrow()
    }

    pub fn set_rate(&self, rate_per_sec: f64) {
        self.inner.bucket.set_rate(rate_per_sec);
    }

    /// (enforced, configured) messages per second; enforced is lower after throttling.
    pub fn rates(&self) -> (f64, f64) {
        self.inner.bucket.rates()
    }

    pub fn set_concurrency(&self, concurrency: u32) {
        self.inner
            .concurrency
            .store(concurrency.max(1), Ordering::Relaxed);
    }

    pub fn concurrency(&self) -> u32 {
        self.inner.concurrency.load(Ordering::Relaxed)
    }

    pub(crate) fn bucket(&self) -> &TokenBucket {
        &self.inner.bucket
    }

    /// Waits while paused; false if cancelled meanwhile.
    pub(crate) async fn wait_unpaused(&self, cancel: &CancellationToken) -> bool {
        let mut rx = self.inner.paused.subscribe();
        tokio::select! {
            r = rx.wait_for(|paused| !paused) => r.is_ok(),
            _ = cancel.cancelled() => false,
        }
    }
}
