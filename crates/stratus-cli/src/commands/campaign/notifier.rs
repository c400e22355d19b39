//! Which provider a profile sends through: the local outbox in demo mode,
//! SNS for cloud profiles.

use std::sync::Arc;

use anyhow::{anyhow, Result};
use stratus_campaigns::notifier::{Notifier, OutboxConfig, OutboxNotifier, SnsNotifier};
use stratus_core::stack::Stack;

/// `STRATUS_DEMO_OUTBOX=instant` turns off the demo outbox's simulated
/// latency, throttles and failures (tests, benchmarks).
const OUTBOX_ENV: &str = "STRATUS_DEMO_OUTBOX";

pub fn for_stack(stack: &Stack) -> Result<Arc<dyn Notifier>> {
    if stack.profile.is_demo() {
        let config = match std::env::var(OUTBOX_ENV).as_deref() {
            Ok("instant") => OutboxConfig::instant(),
            Ok("default") | Err(_) => OutboxConfig::default(),
            Ok(other) => {
                return Err(anyhow!(
                    "{OUTBOX_ENV}=`{other}` is not understood: use `instant` or `default`"
                ))
            }
        };
        return Ok(Arc::new(OutboxNotifier::new(stack.db.clone(), config)));
    }
    let sdk = stack
        .sdk
        .as_ref()
        .ok_or_else(|| anyhow!("the cloud profile has no AWS configuration"))?;
    Ok(Arc::new(SnsNotifier::new(sdk)))
}
