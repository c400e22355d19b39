//! Demo seed: ~30 days of shop traffic for a few hundred demo customers,
//! written as real gzipped batches into the demo events bucket, so the first
//! sync in the app is a real one.
//!
//!
//! - [`gen`]: the load generator (`stratus events gen`), batches of [`traffic`]:
//!   synthetic visitors and sessions.

pub mod gen;
pub mod traffic;

use stratus_core::clock::now_millis;
use stratus_core::demo::{coded, SeedStep};
use stratus_core::stack::Stack;

use gen::{generate, GenSpec};

/// The spec of the demo traffic ending at `end_ms`: 300 customers spread
/// over `cust-00001`…`cust-09868` (the ids the campaigns demo uses too).
pub fn demo_spec(end_ms: i64) -> GenSpec {
    GenSpec {
        events: 30_000,
        customers: 300,
        first_customer: 1,
        customer_stride: 33,
        batch_events: 500,
        seed: 20_261_126,
        ..GenSpec::new(0, 300, 30, end_ms)
    }
}

/// The events capability's seed steps.
pub fn demo_steps() -> Vec<SeedStep> {
    vec![SeedStep {
        name: "events.traffic.v1",
        run: |stack| Box::pin(coded(seed_traffic(stack))),
    }]
}

async fn seed_traffic(stack: &Stack) -> crate::Result<()> {
    // Ends at the last full hour, so the demo looks recent whenever it is seeded.
    let end = now_millis() / 3_600_000 * 3_600_000;
    generate(stack.events.clone(), &demo_spec(end)).await?;
    Ok(())
}
