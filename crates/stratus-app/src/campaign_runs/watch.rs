//! One progress stream for a run view: fresh numbers a few times a second
//! while a runner is attached, once a second otherwise.

use std::sync::Arc;
use std::time::Duration;

use stratus_core::jobs::CancellationToken;
use stratus_core::stack::Stack;

use super::{CampaignRuns, RunSnapshot};

/// How often the run view gets fresh numbers while a run is attached.
const WATCH_LIVE_EVERY: Duration = Duration::from_millis(250);
/// …and while nothing sends.
const WATCH_IDLE_EVERY: Duration = Duration::from_secs(1);

impl CampaignRuns {
    /// Gives `campaign_id`'s run to `send` until `send` says the receiver
    /// is gone (returns false), the campaign cannot be read any more, or
    /// another campaign is watched; replaces any earlier watcher.
    pub fn watch(
        &self,
        stack: Arc<Stack>,
        campaign_id: String,
        send: impl Fn(RunSnapshot) -> bool + Send + 'static,
    ) {
        let stop = CancellationToken::new();
        if let Some(previous) = self
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(stop.clone())
        {
            previous.cancel();
        }
        let runs = self.clone();
        tokio::spawn(async move {
            loop {
                let every = match runs.snapshot(&stack, &campaign_id).await {
                    Ok(snapshot) => {
                        let every = if snapshot.attached {
                            WATCH_LIVE_EVERY
                        } else {
                            WATCH_IDLE_EVERY
                        };
                        if !send(snapshot) {
                            return;
                        }
                        every
                    }
                    // A deleted campaign or a closed database: nothing more to show.
                    Err(e) => {
                        tracing::warn!("campaign progress stopped: {e}");
                        return;
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stop.cancelled() => return,
                }
            }
        });
    }

    /// Stops the progress stream (the run view closed).
    pub fn unwatch(&self) {
        if let Some(token) = self
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            token.cancel();
        }
    }
}
