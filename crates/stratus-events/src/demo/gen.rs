//! Load generator: N events over M customers written to a store as real
//! gzipped batches, for benchmarks and the demo. Deterministic for a seed;
//! one batch in memory at a time, so 10M events need no more RAM than 10k.

use std::sync::Arc;

use bytes::Bytes;
use chrono::DateTime;
use flate2::Compression;
use futures::stream::{self, StreamExt};
use rand::{Rng, SeedableRng};
use stratus_core::store::{ObjectStore, PutOptions};

use crate::collector::batch_key::{batch_key_with_id, BatchKind};
use crate::collector::gzip_level;
use crate::demo::traffic::{session, uuid_v7_at, TrafficRng, Visitor};
use crate::error::{Error, Result};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSpec {
    /// About this many events (whole sessions, so a few more).
    pub events: u64,
    /// Customers `cust-{first}`, `cust-{first + stride}`, … (`cust-00001` style).
    pub customers: u32,
    pub first_customer: u32,
    pub customer_stride: u32,
    /// Share of sessions by anonymous visitors, in percent.
    pub anonymous_percent: u8,
    /// Time span of the traffic, unix ms.
    pub start_ms: i64,
    pub end_ms: i64,
    /// Events per batch object.
    pub batch_events: usize,
    pub seed: u64,
}

impl GenSpec {
    /// `events` over `customers` in the `days` before `end_ms`.
    pub fn new(events: u64, customers: u32, days: u32, end_ms: i64) -> Self {
        GenSpec {
            events,
            customers: customers.max(1),
            first_customer: 1,
            customer_stride: 1,
            anonymous_percent: 5,
            start_ms: end_ms - i64::from(days.max(1)) * 86_400_000,
            end_ms,
            batch_events: 2000,
            seed: 42,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenReport {
    pub objects: u64,
    pub events: u64,
    /// Compressed bytes written.
    pub bytes: u64,
    /// The earliest key written: a cache synced before must list from here
    /// again (see [`crate::sync::ledger::lower_watermark`]).
    pub first_key: Option<String>,
}

/// Writes the batches. Each batch covers an equal slice of the time span and
/// is keyed by the end of its slice, as a collector flushing then would.
/// Batches are built on the blocking pool, a few at a time, each from its own
/// RNG stream, so the output does not depend on scheduling.
pub async fn generate(store: Arc<dyn ObjectStore>, spec: &GenSpec) -> Result<GenReport> {
    let batch_events = spec.batch_events.max(1) as u64;
    let batches = spec.events.div_ceil(batch_events).max(1);
    let slice = ((spec.end_ms - spec.start_ms) / batches as i64).max(1);
    let mut built = stream::iter(0..batches)
        .map(|b| {
            let spec = spec.clone();
            let want = batch_events.min(spec.events.saturating_sub(b * batch_events));
            tokio::task::spawn_blocking(move || build_batch(&spec, b, slice, want))
        })
        .buffered(4);
    let mut report = GenReport::default();
    while let Some(batch) = built.next().await {
        let (key, body, count) =
            batch.map_err(|e| Error::Internal(format!("batch generator failed: {e}")))??;
        report.bytes += body.len() as u64;
        store
            .put(&key, Bytes::from(body), PutOptions::default())
            .await?;
        report.objects += 1;
        report.events += count;
        if report.first_key.as_ref().is_none_or(|first| key < *first) {
            report.first_key = Some(key);
        }
    }
    Ok(report)
}

/// Batch `b`: its key, gzipped body and event count.
fn build_batch(spec: &GenSpec, b: u64, slice: i64, want: u64) -> Result<(String, Vec<u8>, u64)> {
    let mut rng = TrafficRng::seed_from_u64(spec.seed ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let from = spec.start_ms + b as i64 * slice;
    let (ndjson, count) = batch_lines(&mut rng, spec, from, slice, want.max(1))?;
    let body = gzip_level(&ndjson, Compression::fast())?;
    let flushed_at = from + slice;
    let at = DateTime::from_timestamp_millis(flushed_at)
        .ok_or_else(|| Error::Internal(format!("time {flushed_at} out of range")))?;
    let key = batch_key_with_id(BatchKind::Events, at, uuid_v7_at(&mut rng, flushed_at));
    Ok((key, body, count))
}

/// Sessions starting inside `[from, from + slice)` until `want` events.
fn batch_lines(
    rng: &mut TrafficRng,
    spec: &GenSpec,
    from: i64,
    slice: i64,
    want: u64,
) -> Result<(Vec<u8>, u64)> {
    let mut starts = Vec::new();
    let mut sessions = Vec::new();
    let mut count = 0;
    while count < want {
        let n = rng.random_range(0..spec.customers);
        let number = spec.first_customer + n * spec.customer_stride;
        let customer = format!("cust-{number:05}");
        let device = format!("dev-{number:05}");
        let anonymous = rng.random_range(0..100) < spec.anonymous_percent;
        // Half the anonymous sessions are a customer on their phone before
        // they sign in (joined to them by the identify that ends it), half
        // strangers who never do.
        let signs_in = anonymous && rng.random_bool(0.5);
        let anon_device = if signs_in {
            format!("phone-{number:05}")
        } else {
            format!("anon-{:08x}", rng.random::<u32>())
        };
        let visitor = Visitor {
            distinct_id: (!anonymous).then_some(customer.as_str()),
            anonymous_id: if anonymous { &anon_device } else { &device },
            signs_in_as: signs_in.then_some(customer.as_str()),
        };
        let start = from + rng.random_range(0..slice);
        let events = session(rng, &visitor, start);
        count += events.len() as u64;
        starts.push(start);
        sessions.push(events);
    }
    // Lines roughly in time order, as a collector would have received them.
    let mut order: Vec<usize> = (0..sessions.len()).collect();
    order.sort_by_key(|i| starts[*i]);
    let mut out = Vec::with_capacity(count as usize * 420);
    for i in order {
        for e in &sessions[i] {
            serde_json::to_writer(&mut out, e)
                .map_err(|e| Error::Internal(format!("cannot encode an event: {e}")))?;
            out.push(b'\n');
        }
    }
    Ok((out, count))
}
