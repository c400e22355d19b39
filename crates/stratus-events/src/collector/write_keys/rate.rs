//! Each key's rate limit as a token bucket held in this process. A request
//! is let in while its key's bucket holds at least one token (checked
//! before the body is read); its events are then charged, and the bucket
//! may go below zero (a batch of 500 at 100/s keeps the key out for about
//! 5 s). So a key sends at most `burst` + one batch at once, then its rate.
//!
//! Per process: `stratus serve` has one; on Lambda each instance has its
//! own, so N warm instances let a key through at up to N times its rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::key_set::PublishedKey;

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets by key id.
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new() -> Self {
        RateLimiter::default()
    }

    fn with_bucket<T>(
        &self,
        key: &PublishedKey,
        now: Instant,
        work: impl FnOnce(&mut Bucket) -> T,
    ) -> T {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let burst = f64::from(key.burst.max(1));
        let bucket = buckets.entry(key.id.clone()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * key.rate_per_sec).min(burst);
        bucket.at = now;
        work(bucket)
    }

    /// `Err(retry after)` while the key's bucket holds less than one token.
    pub fn admit(&self, key: &PublishedKey, now: Instant) -> Result<(), Duration> {
        let rate = key.rate_per_sec;
        self.with_bucket(key, now, |bucket| {
            if bucket.tokens >= 1.0 {
                Ok(())
            } else {
                let wait = (1.0 - bucket.tokens) / rate;
                Err(Duration::from_secs_f64(wait.clamp(0.0, 86_400.0)))
            }
        })
    }

    /// Takes `events` tokens for a request that was let in.
    pub fn charge(&self, key: &PublishedKey, events: usize, now: Instant) {
        self.with_bucket(key, now, |bucket| bucket.tokens -= events as f64);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::collector::write_keys::KeyKind;

    fn key(rate: f64, burst: u32) -> PublishedKey {
        PublishedKey {
            id: "wk_1".into(),
            token_sha256: String::new(),
            kind: KeyKind::Server,
            label: "t".into(),
            allowed_origins: vec![],
            rate_per_sec: rate,
            burst,
            revoked_at: None,
        }
    }

    #[test]
    fn a_burst_then_the_rate_with_a_retry_after_that_is_long_enough() {
        let limiter = RateLimiter::new();
        let k = key(10.0, 20);
        let t0 = Instant::now();
        assert!(limiter.admit(&k, t0).is_ok());
        limiter.charge(&k, 20, t0);
        let wait = limiter.admit(&k, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-6, "{wait:?}");
        // After the wait it is let in again.
        assert!(limiter.admit(&k, t0 + wait).is_ok());
        // A batch above what is left is let in once and puts the key in debt.
        limiter.charge(&k, 50, t0 + wait);
        let debt = limiter.admit(&k, t0 + wait).unwrap_err();
        assert!(debt >= Duration::from_secs(5), "{debt:?}");
        // Refill stops at the burst.
        let later = t0 + Duration::from_secs(3600);
        assert!(limiter.admit(&k, later).is_ok());
        limiter.charge(&k, 20, later);
        assert!(limiter.admit(&k, later).is_err());
    }

    #[test]
    fn keys_have_their_own_buckets() {
        let limiter = RateLimiter::new();
        let a = key(1.0, 1);
        let mut b = key(1.0, 1);
        b.id = "wk_2".into();
        let now = Instant::now();
        limiter.charge(&a, 1, now);
        assert!(limiter.admit(&a, now).is_err());
        assert!(limiter.admit(&b, now).is_ok());
    }
}
