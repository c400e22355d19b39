//! Which provider a profile sends through: the local outbox in demo mode,
//! SNS for cloud profiles.

use std::sync::Arc;

use anyhow::{anyhow, Result};
use stratus_campaigns::notifier::{Notifier, OutboxConfig};
use stratus_core::stack::Stack;

/// `STRATUS_DEMO_OUTBOX=instant` turns off the demo outbox's simulated
/// latency, throttles and failures (tests, benchmarks).
const OUTBOX_ENV: &str = "STRATUS_DEMO_OUTBOX";

pub fn for_stack(stack: &Stack) -> Result<Arc<dyn Notifier>> {
    let outbox = match std::env::var(OUTBOX_ENV).as_deref() {
        Ok("instant") => OutboxConfig::instant(),
        Ok("default") | Err(_) => OutboxConfig::default(),
        Ok(other) => {
            return Err(anyhow!(
                "{OUTBOX_ENV}=`{other}` is not understood: use `instant` or `default`"
            ))
        }
    };
    Ok(stratus_campaigns::notifier::for_stack(stack, outbox))
}
