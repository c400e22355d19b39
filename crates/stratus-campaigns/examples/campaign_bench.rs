//! Benchmark driver for `bench/campaigns/run.sh`: one scenario per process
//! (so peak memory is the scenario's own), one JSON line of results.
//!
//! ```text
//! campaign_bench --mode runner|naive --notifier outbox|sns [--endpoint URL]
//!                --recipients N [--rate R] [--concurrency C] --dir DIR
//! ```
//! - `runner`: the real path, `run::run_to_end` — launch snapshot, render,
//!   `in_flight` committed before each publish, `sent` after, progress.
//! - `naive`: what a script would do — stream customers, render, publish
//!   with the same concurrency, no recipient rows, no opt-out check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use aws_config::{BehaviorVersion, Region};
use stratus_campaigns::campaign::{self, CampaignSpec, Channel, SmsType};
use stratus_campaigns::customer::{self, Customer};
use stratus_campaigns::gamify::LevelTable;
use stratus_campaigns::notifier::{
    Notifier, OutboundMessage, OutboxConfig, OutboxNotifier, SnsNotifier,
};
use stratus_campaigns::run::{self, RunRequest};
use stratus_campaigns::template::{MessageTemplate, TemplateContext};
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use tokio::task::JoinSet;

mod audience;

use audience::{seed, TEMPLATE};

struct Args {
    mode: String,
    notifier: String,
    endpoint: Option<String>,
    recipients: usize,
    rate: f64,
    concurrency: u32,
    dir: std::path::PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        mode: "runner".into(),
        notifier: "outbox".into(),
        endpoint: None,
        recipients: 10_000,
        rate: 1e9,
        concurrency: 8,
        dir: std::env::temp_dir().join("stratus-campaign-bench"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().expect("every flag takes a value");
        match flag.as_str() {
            "--mode" => a.mode = value,
            "--notifier" => a.notifier = value,
            "--endpoint" => a.endpoint = Some(value),
            "--recipients" => a.recipients = value.parse().expect("a number"),
            "--rate" => a.rate = value.parse().expect("a number"),
            "--concurrency" => a.concurrency = value.parse().expect("a number"),
            "--dir" => a.dir = value.into(),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// Peak resident memory of this process so far (Linux), in KiB.
fn max_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn notifier(a: &Args, db: &Db) -> Arc<dyn Notifier> {
    match a.notifier.as_str() {
        "outbox" => Arc::new(OutboxNotifier::new(db.clone(), OutboxConfig::instant())),
        "sns" => {
            let endpoint = a.endpoint.clone().expect("--endpoint for sns");
            let sdk = aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(endpoint)
                .credentials_provider(aws_sdk_sns::config::Credentials::new(
                    "testing", "testing", None, None, "bench",
                ))
                .load()
                .await;
            Arc::new(SnsNotifier::new(&sdk))
        }
        other => panic!("unknown notifier {other}"),
    }
}

/// Render and publish straight from the customer table, `concurrency` at a
/// time. Customers are read a page at a time: one read held open for the
/// whole loop would pin the WAL and slow every write (the outbox's) down.
async fn naive(db: &Db, notifier: Arc<dyn Notifier>, concurrency: usize) -> u64 {
    let template = Arc::new(MessageTemplate::compile(TEMPLATE).unwrap());
    let reader = db.open_reader().unwrap();
    let mut stmt = reader
        .prepare(&format!(
            "SELECT {} FROM customers WHERE id > ?1 ORDER BY id LIMIT 500",
            customer::COLUMNS
        ))
        .unwrap();
    let mut tasks = JoinSet::new();
    let mut sent = 0u64;
    let mut after = String::new();
    loop {
        let page: Vec<Customer> = stmt
            .query_map([&after], |r| customer::from_row(r, 0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for cust in page {
            while tasks.len() >= concurrency {
                sent += u64::from(tasks.join_next().await.unwrap().unwrap());
            }
            let (template, notifier) = (Arc::clone(&template), Arc::clone(&notifier));
            tasks.spawn(async move {
                let body = template
                    .render(&TemplateContext::new(&cust, 0, &LevelTable::default()))
                    .unwrap();
                let message = OutboundMessage {
                    campaign_id: "naive".into(),
                    customer_id: cust.id.clone(),
                    channel: Channel::Sms,
                    address: cust.phone.clone().unwrap(),
                    body,
                    sms_type: SmsType::Transactional,
                    sender_id: None,
                };
                notifier.publish(&message).await.is_ok()
            });
        }
    }
    while let Some(r) = tasks.join_next().await {
        sent += u64::from(r.unwrap());
    }
    sent
}

#[tokio::main]
async fn main() {
    let a = args();
    std::fs::create_dir_all(&a.dir).unwrap();
    let path = a.dir.join(format!("bench-{}.sqlite", uuid::Uuid::now_v7()));
    let db = Db::open(&path).unwrap();
    seed(&db, a.recipients);
    let notifier = notifier(&a, &db).await;
    let rss_after_seed = max_rss_kib();
    let started = Instant::now();
    let sent = match a.mode.as_str() {
        "runner" => {
            let mut spec = CampaignSpec::new("Bench", Channel::Sms, "", TEMPLATE);
            spec.rate_per_sec = a.rate;
            spec.concurrency = a.concurrency;
            let draft = campaign::create_draft(&db, spec).await.unwrap();
            let outcome = run::run_to_end(
                &RunRequest::new(&db, &draft.id, notifier),
                |_| {},
                &CancellationToken::new(),
            )
            .await
            .unwrap();
            outcome.counts.sent
        }
        "naive" => naive(&db, notifier, a.concurrency as usize).await,
        other => panic!("unknown mode {other}"),
    };
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{{\"mode\":\"{}\",\"notifier\":\"{}\",\"recipients\":{},\"concurrency\":{},\"rate\":{},\"sent\":{},\"wall_s\":{:.3},\"per_recipient_us\":{:.1},\"achieved_rate\":{:.1},\"max_rss_kib\":{},\"rss_after_seed_kib\":{}}}",
        a.mode,
        a.notifier,
        a.recipients,
        a.concurrency,
        a.rate,
        sent,
        wall,
        wall * 1e6 / a.recipients as f64,
        sent as f64 / wall,
        max_rss_kib(),
        rss_after_seed
    );
    drop(db);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
