//! Benchmark driver for `bench/campaigns/cloud.sh`: a cloud run against
//! moto (S3, SQS, DynamoDB, SNS) with the worker in this process, one
//! JSON line of results.
//!
//! ```text
//! cloud_bench --endpoint URL --recipients N [--workers W] --dir DIR
//! ```
//! Launch (freeze, render, upload the manifest, control item, queue
//! messages), then `W` in-process workers drain the queue
//! (`cloud::local::drain`, what the Lambda event source mapping does on
//! AWS), then one catch-up of the local rows. Messages per second per
//! worker and the AWS cost per recipient at list prices (us-east-1) of
//! the requests each recipient makes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use aws_config::{BehaviorVersion, Region};
use stratus_campaigns::campaign::{self, CampaignSpec, Channel};
use stratus_campaigns::cloud::{self, local, scratch, CloudServices, Worker};
use stratus_campaigns::notifier::SnsNotifier;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::store::{ObjectStore, S3Store};

mod audience;

use audience::{seed, TEMPLATE};

// List prices, us-east-1 (on-demand DynamoDB since the November 2024 cut).
const DYNAMO_PER_WRITE_UNIT: f64 = 0.625 / 1e6;
const DYNAMO_PER_READ_UNIT: f64 = 0.125 / 1e6;
const SQS_PER_REQUEST: f64 = 0.40 / 1e6;
const S3_PER_PUT: f64 = 0.005 / 1e3;
const S3_PER_GET: f64 = 0.0004 / 1e3;
const LAMBDA_PER_GB_SECOND: f64 = 0.000_016_666_7;
const LAMBDA_PER_REQUEST: f64 = 0.20 / 1e6;
const WORKER_MEMORY_GB: f64 = 0.25;

#[tokio::main]
async fn main() {
    let mut endpoint = String::new();
    let (mut recipients, mut workers) = (10_000usize, 2usize);
    let mut dir = std::env::temp_dir().join("stratus-cloud-bench");
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().expect("every flag takes a value");
        match flag.as_str() {
            "--endpoint" => endpoint = value,
            "--recipients" => recipients = value.parse().expect("a number"),
            "--workers" => workers = value.parse().expect("a number"),
            "--dir" => dir = value.into(),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!endpoint.is_empty(), "--endpoint URL (a moto server)");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("cloud-{}.sqlite", uuid::Uuid::now_v7()));
    let db = Db::open(&path).unwrap();
    seed(&db, recipients);

    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "testing", "testing", None, None, "bench",
        ))
        .load()
        .await;
    let name = format!("bench-{}", uuid::Uuid::now_v7().simple());
    let target = scratch::provision(&sdk, &name, workers as u32)
        .await
        .unwrap();
    let s3 = stratus_core::testing::s3_client(&endpoint);
    s3.create_bucket().bucket(&name).send().await.unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(S3Store::new(s3, name, &endpoint));
    let services = CloudServices::new(&sdk, &target, store);

    let mut spec = CampaignSpec::new("Bench", Channel::Sms, "", TEMPLATE);
    spec.rate_per_sec = 1e9;
    let id = campaign::create_draft(&db, spec).await.unwrap().id;
    let started = Instant::now();
    let launched = cloud::launch(&db, &services, &id, now_millis())
        .await
        .unwrap();
    let launch_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let worker = Worker::new(
            services.marks.clone(),
            services.queue.clone(),
            Arc::clone(&services.manifests),
            Arc::new(SnsNotifier::new(&sdk)),
            cloud::WorkerSettings::default(),
        );
        tasks.spawn(async move { local::drain(&worker).await.unwrap() });
    }
    let mut sent = 0u64;
    while let Some(reports) = tasks.join_next().await {
        sent += reports.unwrap().iter().map(|r| r.sent).sum::<u64>();
    }
    let send_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let caught = cloud::catch_up(&db, &sdk, &id).await.unwrap().unwrap();
    let catch_up_secs = started.elapsed().as_secs_f64();
    assert!(caught.finished, "every recipient answered");

    // Per recipient: claim and answer (each a table write and an index
    // write; the answer moves the index key: a delete and a put there);
    // per chunk: an S3 PUT and GET, an SQS send, receive and delete, one
    // invocation; the catch-up reads each mark once (~200 bytes, eventually
    // consistent: 1 read unit per 8 KB); the customer's sends item takes
    // one more write (a run without a frequency cap records its send; not
    // in the index).
    let n = launched.recipients as f64;
    let chunks = f64::from(launched.chunks);
    let per_worker = sent as f64 / send_secs / workers as f64;
    let seconds_per_recipient = 1.0 / per_worker;
    let dynamo = 6.0 * DYNAMO_PER_WRITE_UNIT + (200.0 / 8192.0) * DYNAMO_PER_READ_UNIT;
    let per_chunk = S3_PER_PUT + S3_PER_GET + 3.0 * SQS_PER_REQUEST + LAMBDA_PER_REQUEST;
    let lambda = seconds_per_recipient * WORKER_MEMORY_GB * LAMBDA_PER_GB_SECOND;
    let cost = dynamo + per_chunk * chunks / n + lambda;
    println!(
        "{}",
        serde_json::json!({
            "recipients": launched.recipients,
            "chunks": launched.chunks,
            "workers": workers,
            "sent": sent,
            "launch_secs": launch_secs,
            "send_secs": send_secs,
            "msgs_per_sec": sent as f64 / send_secs,
            "msgs_per_sec_per_worker": per_worker,
            "catch_up_secs": catch_up_secs,
            "usd_per_recipient": cost,
            "usd_per_recipient_dynamodb": dynamo,
            "usd_per_recipient_lambda_at_this_pace": lambda,
        })
    );
    let _ = std::fs::remove_file(&path);
}
