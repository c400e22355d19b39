//! The run's SQS queue: one message per manifest chunk. The worker
//! function consumes it; a chunk a worker cannot finish now (paused,
//! throttled, out of time) goes back as a new, delayed message, so waiting
//! does not use up the receives after which SQS moves a message to the
//! dead-letter queue — only failures do.

use std::time::Duration;

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use serde::{Deserialize, Serialize};

use super::marks::service_error;
use crate::{Error, Result};

/// What one queue message asks a worker to send.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkMessage {
    /// The run id (the marks' partition key).
    pub run: String,
    pub chunk: u32,
    /// The chunk's key in the manifest bucket.
    pub key: String,
    /// Not to be sent before this Unix ms (the end of its recipients'
    /// quiet hours): a worker that gets it earlier puts it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<i64>,
    /// Only these customers of the chunk are left (the ones waiting for
    /// their quiet hours to end); all of them when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<Vec<String>>,
}

impl ChunkMessage {
    pub fn to_json(&self) -> String {
        // A struct of strings and a number always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn parse(body: &str) -> Result<ChunkMessage> {
        serde_json::from_str(body)
            .map_err(|e| Error::Cloud(format!("a queue message is not a chunk: {e}")))
    }
}

/// What a queue message asks of a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueMessage {
    /// Send one chunk.
    Chunk(ChunkMessage),
    /// A scheduled run's time has come (the EventBridge schedule's message):
    /// queue its chunks.
    Start(StartMessage),
}

/// The message a scheduled run's one-time schedule puts on the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartMessage {
    /// The run id.
    pub start: String,
}

impl StartMessage {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl QueueMessage {
    pub fn parse(body: &str) -> Result<QueueMessage> {
        if let Ok(start) = serde_json::from_str::<StartMessage>(body) {
            return Ok(QueueMessage::Start(start));
        }
        ChunkMessage::parse(body).map(QueueMessage::Chunk)
    }
}

/// SQS allows at most 15 minutes of delay.
pub const MAX_DELAY: Duration = Duration::from_secs(900);

#[derive(Debug, Clone)]
pub struct ChunkQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl ChunkQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        ChunkQueue {
            client,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The queue's ARN (what a schedule targets).
    pub async fn arn(&self) -> Result<String> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| service_error("cannot read the chunk queue's ARN", &e))?;
        out.attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .cloned()
            .ok_or_else(|| Error::Cloud("SQS did not name the queue's ARN".into()))
    }

    /// Sends the messages, ten per call (SQS's batch limit); entries SQS
    /// refuses are an error (the launch can be run again: a chunk sent
    /// twice costs only reads, the marks keep each recipient to one send).
    pub async fn send_all(&self, messages: &[ChunkMessage]) -> Result<()> {
        for batch in messages.chunks(10) {
            let entries = batch
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(m.to_json())
                        .build()
                        .map_err(|e| Error::Cloud(e.to_string()))
                })
                .collect::<Result<Vec<_>>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| service_error("cannot queue the run's chunks", &e))?;
            if let Some(failed) = out.failed().first() {
                return Err(Error::Cloud(format!(
                    "SQS refused {} chunk message(s): {}: {}",
                    out.failed().len(),
                    failed.code(),
                    failed.message().unwrap_or("")
                )));
            }
        }
        Ok(())
    }

    /// The chunk again, delivered after `delay` (at most [`MAX_DELAY`]).
    pub async fn requeue(&self, message: &ChunkMessage, delay: Duration) -> Result<()> {
        let seconds = delay.min(MAX_DELAY).as_secs() as i32;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(message.to_json())
            .delay_seconds(seconds)
            .send()
            .await
            .map_err(|e| service_error("cannot put a chunk back on the queue", &e))?;
        Ok(())
    }

    /// Up to ten messages now (no long poll), each with its receipt
    /// handle, hidden from other receivers for `visibility`.
    pub async fn receive(&self, visibility: Duration) -> Result<Vec<(String, String)>> {
        self.receive_within(visibility, Duration::ZERO).await
    }

    /// As [`Self::receive`], waiting up to `wait` (at most 20 s, SQS's
    /// long poll) for a message to become visible, as Lambda's poller does.
    pub async fn receive_within(
        &self,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<(String, String)>> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .visibility_timeout(visibility.as_secs() as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .send()
            .await
            .map_err(|e| service_error("cannot receive chunk messages", &e))?;
        Ok(out
            .messages()
            .iter()
            .filter_map(|m| Some((m.body()?.to_string(), m.receipt_handle()?.to_string())))
            .collect())
    }

    /// Removes a received message (its chunk is done).
    pub async fn delete(&self, receipt: &str) -> Result<()> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| service_error("cannot delete a chunk message", &e))?;
        Ok(())
    }
}
