//! The send-rate limiter: a token bucket whose rate can change while it is
//! in use, and that backs off on throttling and creeps back up afterwards.
//! (`governor` fixes its quota at construction; live changes are the point here.)

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Successes in a row after which a throttled rate rises again. Small
/// enough that throttles our rate did not cause (a shared account quota,
/// the demo outbox's 2 % share) do not drag the rate down to the floor:
/// one halving is made good within about 40 successes.
const RECOVER_AFTER: u32 = 5;
/// How far one throttle lowers the rate, and one recovery raises it.
const BACKOFF_FACTOR: f64 = 0.5;
const RECOVER_FACTOR: f64 = 1.1;
/// The rate never falls below this share of the target.
const FLOOR_SHARE: f64 = 1.0 / 64.0;

#[derive(Debug)]
struct BucketState {
    /// What the user asked for.
    target: f64,
    /// What is enforced now (≤ target after throttling).
    current: f64,
    tokens: f64,
    last: Instant,
    successes: u32,
}

/// Hands out one token per message at the current rate.
#[derive(Debug)]
pub struct TokenBucket {
    state: Mutex<BucketState>,
}

impl TokenBucket {
    pub fn new(rate_per_sec: f64) -> Self {
        let rate = sanitize(rate_per_sec);
        TokenBucket {
            state: Mutex::new(BucketState {
                target: rate,
                current: rate,
                tokens: 1.0,
                last: Instant::now(),
                successes: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BucketState> {
        // Every update is a few field writes: a poisoned lock holds usable state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut s = self.lock();
                refill(&mut s);
                if s.tokens >= 1.0 {
                    s.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - s.tokens) / s.current)
            };
            // Never sleep long: a rate raised meanwhile takes effect at once.
            tokio::time::sleep(wait.min(Duration::from_millis(250))).await;
        }
    }

    /// Sets the user's rate (and the enforced one) while running.
    pub fn set_rate(&self, rate_per_sec: f64) {
        let mut s = self.lock();
        refill(&mut s);
        s.target = sanitize(rate_per_sec);
        s.current = s.target;
    }

    /// The provider throttled us: halve the enforced rate.
    pub fn on_throttle(&self) {
        let mut s = self.lock();
        refill(&mut s);
        s.current = (s.current * BACKOFF_FACTOR).max(s.target * FLOOR_SHARE);
        s.tokens = s.tokens.min(0.0);
        s.successes = 0;
    }

    /// A send went through: after enough in a row, recover toward the target.
    pub fn on_success(&self) {
        let mut s = self.lock();
        s.successes += 1;
        if s.successes >= RECOVER_AFTER && s.current < s.target {
            refill(&mut s);
            s.current = (s.current * RECOVER_FACTOR).min(s.target);
            s.successes = 0;
        }
    }

    /// Gives back a token taken for a send that did not happen (the cloud
    /// worker found the recipient already answered), so a redelivered
    /// chunk skips what is done without waiting.
    pub fn refund(&self) {
        let mut s = self.lock();
        refill(&mut s);
        let capacity = (s.current / 10.0).max(1.0);
        s.tokens = (s.tokens + 1.0).min(capacity);
    }

    /// (enforced, target) in messages per second.
    pub fn rates(&self) -> (f64, f64) {
        let s = self.lock();
        (s.current, s.target)
    }
}

fn sanitize(rate: f64) -> f64 {
    if rate.is_finite() && rate > 0.0 {
        rate
    } else {
        1.0
    }
}

/// Adds the tokens earned since the last look; a burst is at most 1/10 s
/// of sending (at least one message).
fn refill(s: &mut BucketState) {
    let now = Instant::now();
    let elapsed = now.duration_since(s.last).as_secs_f64();
    s.last = now;
    let capacity = (s.current / 10.0).max(1.0);
    s.tokens = (s.tokens + elapsed * s.current).min(capacity);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_halves_down_to_a_floor_and_successes_recover() {
        let bucket = TokenBucket::new(20.0);
        bucket.on_throttle();
        assert_eq!(bucket.rates(), (10.0, 20.0));
        for _ in 0..20 {
            bucket.on_throttle();
        }
        assert_eq!(bucket.rates().0, 20.0 / 64.0);
        bucket.set_rate(40.0);
        assert_eq!(bucket.rates(), (40.0, 40.0));
        bucket.on_throttle();
        for _ in 0..RECOVER_AFTER {
            bucket.on_success();
        }
        assert!((bucket.rates().0 - 22.0).abs() < 1e-9);
        for _ in 0..(RECOVER_AFTER * 20) {
            bucket.on_success();
        }
        assert_eq!(bucket.rates().0, 40.0, "recovery stops at the target");
    }

    #[test]
    fn nonsense_rates_fall_back_to_one_per_second() {
        assert_eq!(TokenBucket::new(f64::NAN).rates().1, 1.0);
        assert_eq!(TokenBucket::new(-3.0).rates().1, 1.0);
    }
}
