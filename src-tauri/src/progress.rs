//! Forwards job changes to the UI over a Tauri Channel, at most ~10 updates a
//! second per job, keeping only the latest state of each.

use std::collections::HashMap;
use std::time::Duration;

use stratus_core::jobs::{JobRegistry, JobSnapshot};
use tauri::ipc::Channel;
use tokio::sync::broadcast::error::RecvError;

use crate::views::JobView;

const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Runs until the channel's window is gone. A closed window ends the
/// forwarding, never the jobs.
pub fn forward_jobs(jobs: &JobRegistry, channel: Channel<JobView>) {
    let mut rx = jobs.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut pending: HashMap<String, JobSnapshot> = HashMap::new();
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tokio::select! {
                received = rx.recv() => match received {
                    Ok(snapshot) => {
                        pending.insert(snapshot.id.clone(), snapshot);
                    }
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    for (_, snapshot) in pending.drain() {
                        if channel.send(JobView::from(snapshot)).is_err() {
                            return;
                        }
                    }
                }
            }
        }
    });
}
