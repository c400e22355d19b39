//! The worker run in this process, pulling chunks from the queue itself
//! (what Lambda's event source mapping does on AWS): for benchmarks,
//! tests and runs against an emulator.

use std::time::Duration;

use super::queue::QueueMessage;
use super::worker::{ChunkReport, Worker};
use crate::Result;

/// How long a received chunk stays hidden from other receivers.
const VISIBILITY: Duration = Duration::from_secs(300);

/// Sends chunks until the queue has none visible; the report of each. A
/// chunk that fails stays on the queue (visible again after the
/// visibility timeout) and the error is returned.
pub async fn drain(worker: &Worker) -> Result<Vec<ChunkReport>> {
    let mut reports = Vec::new();
    loop {
        let messages = worker.queue.receive(VISIBILITY).await?;
        if messages.is_empty() {
            return Ok(reports);
        }
        for (body, receipt) in messages {
            match QueueMessage::parse(&body)? {
                QueueMessage::Chunk(chunk) => reports.push(worker.process(&chunk, None).await?),
                QueueMessage::Start(start) => {
                    worker.start(&start).await?;
                }
            }
            worker.queue.delete(&receipt).await?;
        }
    }
}
