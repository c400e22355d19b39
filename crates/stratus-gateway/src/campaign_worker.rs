//! The campaign worker on Lambda (`STRATUS_CAMPAIGN_TABLE` set): SQS
//! events whose messages are manifest chunks of a cloud run, each sent by
//! `stratus_campaigns::cloud::Worker`, or a scheduled run's start (its
//! EventBridge schedule's message), which queues the run's chunks. A chunk that fails is reported as
//! a batch item failure (the event source mapping's
//! `ReportBatchItemFailures`), so only it is delivered again, after the
//! queue's visibility timeout; a chunk the worker put back on purpose
//! (paused, throttled, out of time) succeeds here.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use stratus_campaigns::cloud::queue::QueueMessage;
use stratus_campaigns::cloud::Worker;

/// The part of an SQS event the worker reads.
#[derive(Debug, Deserialize)]
pub struct SqsEvent {
    #[serde(rename = "Records")]
    pub records: Vec<SqsRecord>,
}

#[derive(Debug, Deserialize)]
pub struct SqsRecord {
    #[serde(rename = "messageId")]
    pub message_id: String,
    pub body: String,
    #[serde(rename = "eventSource")]
    pub event_source: Option<String>,
}

/// Lambda's partial batch answer.
#[derive(Debug, Serialize)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Serialize)]
pub struct ItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// The records of an SQS event, if the payload is one.
pub fn sqs_records(payload: &str) -> Option<Vec<SqsRecord>> {
    let event: SqsEvent = serde_json::from_str(payload).ok()?;
    let from_sqs = event
        .records
        .iter()
        .all(|r| r.event_source.as_deref() == Some("aws:sqs"));
    (from_sqs && !event.records.is_empty()).then_some(event.records)
}

/// Takes SQS events until the runtime stops it.
pub async fn run(worker: Arc<Worker>) -> Result<(), lambda_http::Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let worker = Arc::clone(&worker);
        async move { handle(&worker, event).await }
    }))
    .await
}

async fn handle(
    worker: &Worker,
    event: LambdaEvent<Box<RawValue>>,
) -> Result<Value, lambda_http::Error> {
    let LambdaEvent { payload, context } = event;
    let Some(records) = sqs_records(payload.get()) else {
        return Err("the campaign worker takes SQS events only".into());
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let deadline = Instant::now() + Duration::from_millis(context.deadline.saturating_sub(now_ms));
    let mut failures = Vec::new();
    for record in records {
        let outcome = match QueueMessage::parse(&record.body) {
            Ok(QueueMessage::Chunk(chunk)) => worker
                .process(&chunk, Some(deadline))
                .await
                .map(|r| Some((chunk, r))),
            Ok(QueueMessage::Start(start)) => worker.start(&start).await.map(|chunks| {
                tracing::info!(run = %start.start, chunks, "scheduled run started");
                None
            }),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(None) => {}
            Ok(Some((chunk, report))) => tracing::info!(
                run = %chunk.run,
                chunk = chunk.chunk,
                sent = report.sent,
                failed = report.failed,
                skipped = report.skipped,
                unknown = report.unknown,
                already = report.already,
                requeued = report.requeued.unwrap_or(""),
                "chunk done"
            ),
            Err(e) => {
                tracing::error!(message = %record.message_id, "chunk not finished: {e}");
                failures.push(ItemFailure {
                    item_identifier: record.message_id,
                });
            }
        }
    }
    Ok(serde_json::to_value(BatchResponse {
        batch_item_failures: failures,
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sqs_events_are_taken() {
        let sqs = r#"{"Records":[{"messageId":"m1","body":"{}","eventSource":"aws:sqs","receiptHandle":"x"}]}"#;
        assert_eq!(sqs_records(sqs).map(|r| r.len()), Some(1));
        let s3 = r#"{"Records":[{"eventSource":"aws:s3","s3":{}}]}"#;
        assert!(sqs_records(s3).is_none());
        assert!(sqs_records(r#"{"Records":[]}"#).is_none());
        assert!(sqs_records(r#"{"version":"2.0","rawPath":"/"}"#).is_none());
    }
}
