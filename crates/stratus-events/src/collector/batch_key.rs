//! Object keys of batches: `events/v1/dt=YYYY-MM-DD/hh=HH/<uuidv7>.ndjson.gz`
//! (UTC). Partition and id both grow with time, so the lexicographic order of
//! S3 listings is time order, which is what lets sync start from a watermark.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use uuid::Uuid;

/// Prefix of accepted-event batches.
pub const EVENTS_PREFIX: &str = "events/v1/";
/// Prefix of rejected-event batches.
pub const BAD_PREFIX: &str = "bad/v1/";
const SUFFIX: &str = ".ndjson.gz";

/// Which stream a batch belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    Events,
    Bad,
}

impl BatchKind {
    pub fn prefix(self) -> &'static str {
        match self {
            BatchKind::Events => EVENTS_PREFIX,
            BatchKind::Bad => BAD_PREFIX,
        }
    }
}

/// The key of a batch written at `at`, with a fresh time-ordered id.
pub fn batch_key(kind: BatchKind, at: DateTime<Utc>) -> String {
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        u64::try_from(at.timestamp()).unwrap_or(0),
        at.timestamp_subsec_nanos(),
    );
    batch_key_with_id(kind, at, Uuid::new_v7(ts))
}

/// The key of a batch with a given id (deterministic generators).
pub fn batch_key_with_id(kind: BatchKind, at: DateTime<Utc>, id: Uuid) -> String {
    format!(
        "{}{}{}{SUFFIX}",
        kind.prefix(),
        partition(at),
        id.as_simple()
    )
}

/// `dt=YYYY-MM-DD/hh=HH/` of an instant.
pub fn partition(at: DateTime<Utc>) -> String {
    format!("dt={}/hh={:02}/", at.format("%Y-%m-%d"), at.hour())
}

/// The hour a key's partition names, if the key has the batch layout.
pub fn partition_hour(key: &str) -> Option<DateTime<Utc>> {
    let rest = key
        .strip_prefix(EVENTS_PREFIX)
        .or_else(|| key.strip_prefix(BAD_PREFIX))?;
    let rest = rest.strip_prefix("dt=")?;
    let (date, rest) = rest.split_once('/')?;
    let hour = rest.strip_prefix("hh=")?.split('/').next()?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let hour: u32 = hour.parse().ok()?;
    Some(date.and_hms_opt(hour, 0, 0)?.and_utc())
}

/// Where a listing resumes: the start of the partition `lookback_hours`
/// before the watermark's, or before `now`'s if the watermark is ahead of
/// `now` (a collector with a fast clock). `start_after` is exclusive and
/// `…/hh=HH/` sorts before every key inside that hour, so the whole hour is
/// listed again. Objects that land behind the watermark within the window
/// are found; a watermark that is not a batch key restarts from the
/// beginning.
pub fn lookback_start_after(
    watermark: Option<&str>,
    lookback_hours: u32,
    now: DateTime<Utc>,
) -> Option<String> {
    let hour = partition_hour(watermark?)?.min(now);
    let from = hour - Duration::hours(i64::from(lookback_hours));
    Some(format!("{EVENTS_PREFIX}{}", partition(from)))
}

/// Where a key stands against the `dt=/hh=` layout and the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPlace {
    /// In the layout, its hour not after `now + skew`: it may be the watermark.
    InLayout,
    /// In the layout, but its hour starts after `now + skew` (a collector
    /// with a fast clock, a generator run with a future end, a backfill).
    Future,
    /// Not `<prefix>dt=YYYY-MM-DD/hh=HH/…` (a file dropped by hand, another
    /// writer's layout).
    OutOfLayout,
}

/// Classifies `key` of the stream under `prefix`. Only [`KeyPlace::InLayout`]
/// keys move the watermark: a future or odd key as the watermark would hide
/// every object listed before it, or turn every sync into a full listing.
pub fn key_place(key: &str, prefix: &str, now: DateTime<Utc>, skew: Duration) -> KeyPlace {
    let Some(rest) = key.strip_prefix(prefix) else {
        return KeyPlace::OutOfLayout;
    };
    match partition_hour(key) {
        // Strict: the key must spell its partition exactly as [`partition`] does.
        Some(hour) if rest.starts_with(&partition(hour)) => {
            if hour > now + skew {
                KeyPlace::Future
            } else {
                KeyPlace::InLayout
            }
        }
        _ => KeyPlace::OutOfLayout,
    }
}

/// The first key of the layout under `prefix`: odd keys that sort before it
/// (`events/v1/2026/…`, `events/v1/Backfill.ndjson.gz`) are listed separately.
pub fn layout_start(prefix: &str) -> String {
    format!("{prefix}dt=")
}

/// Keys under `prefix` from this one on are in the future at `now + skew`.
pub fn future_from(prefix: &str, now: DateTime<Utc>, skew: Duration) -> String {
    let limit = now + skew;
    let next_hour = limit
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(limit)
        + Duration::hours(1);
    format!("{prefix}{}", partition(next_hour))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn keys_have_the_partition_layout_and_sort_by_time() {
        let a = Utc.with_ymd_and_hms(2026, 11, 26, 9, 5, 0).unwrap();
        let b = a + Duration::milliseconds(3);
        let c = a + Duration::hours(1);
        let (ka, kb, kc) = (
            batch_key(BatchKind::Events, a),
            batch_key(BatchKind::Events, b),
            batch_key(BatchKind::Events, c),
        );
        assert!(ka.starts_with("events/v1/dt=2026-11-26/hh=09/"), "{ka}");
        assert!(ka.ends_with(".ndjson.gz"));
        assert!(ka < kb && kb < kc, "{ka} {kb} {kc}");
        assert!(batch_key(BatchKind::Bad, a).starts_with("bad/v1/dt=2026-11-26/hh=09/"));
        assert_eq!(
            partition_hour(&kc),
            Some(a.with_minute(0).unwrap() + Duration::hours(1))
        );
    }

    #[test]
    fn lookback_crosses_midnight_and_lists_the_whole_hour() {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 1, 30, 0).unwrap();
        let watermark = batch_key(BatchKind::Events, at);
        let now = at + Duration::days(3);
        let start = lookback_start_after(Some(&watermark), 2, now).unwrap();
        assert_eq!(start, "events/v1/dt=2026-11-25/hh=23/");
        let early_in_that_hour = batch_key(
            BatchKind::Events,
            Utc.with_ymd_and_hms(2026, 11, 25, 23, 0, 0).unwrap(),
        );
        assert!(early_in_that_hour > start);
        assert_eq!(lookback_start_after(None, 2, now), None);
        assert_eq!(lookback_start_after(Some("README.txt"), 2, now), None);
    }

    #[test]
    fn a_watermark_from_the_future_lists_from_now() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 1, 30, 0).unwrap();
        let ahead = batch_key(BatchKind::Events, now + Duration::hours(3));
        assert_eq!(
            lookback_start_after(Some(&ahead), 2, now).unwrap(),
            "events/v1/dt=2026-11-25/hh=23/"
        );
    }

    #[test]
    fn keys_are_placed_against_the_layout_and_the_clock() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 50, 0).unwrap();
        let skew = Duration::minutes(15);
        let place = |k: &str| key_place(k, EVENTS_PREFIX, now, skew);
        let key = |h| batch_key(BatchKind::Events, now + Duration::hours(h));
        assert_eq!(place(&key(-30)), KeyPlace::InLayout);
        assert_eq!(place(&key(0)), KeyPlace::InLayout);
        assert_eq!(
            place(&key(1)),
            KeyPlace::InLayout,
            "11:00 is within the skew"
        );
        assert_eq!(place(&key(2)), KeyPlace::Future);
        assert_eq!(place("events/v1/manual.ndjson.gz"), KeyPlace::OutOfLayout);
        assert_eq!(
            place("events/v1/dt=2026-11-26/hh=7/a.ndjson.gz"),
            KeyPlace::OutOfLayout
        );
        assert_eq!(
            place("events/v1/2026/11/a.ndjson.gz"),
            KeyPlace::OutOfLayout
        );
        let from = future_from(EVENTS_PREFIX, now, skew);
        assert_eq!(from, "events/v1/dt=2026-11-26/hh=12/");
        assert!(key(2).as_str() >= from.as_str() && key(1).as_str() < from.as_str());
    }
}
