#![allow(clippy::unwrap_used)]
//! The long chaos run (ignored; `bench/campaigns/chaos.sh` runs it): many
//! recipients sent through SNS (moto) behind the fault proxy with every kind
//! of fault mixed in (cut after forward, 500 and 503 after forward, answers
//! held past the timeout, throttling, outage windows where connections are
//! refused), while the runner process is SIGKILLed again and again and
//! restarted until the campaign completes. Then what moto received per
//! phone is compared with the rows:
//!
//! `duplicates: 0, in-doubt marked unknown: N/N`
//!
//! where "in doubt" is every recipient moto got a message for whose row
//! could not know it (not `sent`); each must be `unknown`.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use rand::Rng;
use stratus_campaigns::campaign::{CampaignSpec, Channel, SmsType};
use stratus_campaigns::notifier::SnsNotifier;
use stratus_campaigns::run::{self, RunRequest, RunSettings};
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use stratus_faultproxy::{Fault, FaultProxy, Match, Rule};

mod support;

const CHILD_DB: &str = "STRATUS_CHAOS_CHILD_DB";
const CHILD_CAMPAIGN: &str = "STRATUS_CHAOS_CHILD_CAMPAIGN";
const CHILD_ENDPOINT: &str = "STRATUS_CHAOS_CHILD_ENDPOINT";

/// The runner process: runs the campaign until it completes or is killed.
#[tokio::test]
#[ignore = "the chaos child; started by chaos_run"]
async fn chaos_child() {
    let (Ok(path), Ok(campaign), Ok(endpoint)) = (
        std::env::var(CHILD_DB),
        std::env::var(CHILD_CAMPAIGN),
        std::env::var(CHILD_ENDPOINT),
    ) else {
        return;
    };
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "testing", "testing", None, None, "chaos",
        ))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(500))
                .operation_timeout(Duration::from_millis(800))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await;
    let db = Db::open(std::path::Path::new(&path)).unwrap();
    let settings = RunSettings {
        probe_every_max: Duration::from_millis(300),
        backoff_max: Duration::from_millis(500),
        ..RunSettings::default()
    };
    run::resume_and_run(
        &RunRequest::new(&db, &campaign, Arc::new(SnsNotifier::new(&sdk))).with_settings(settings),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes long: bench/campaigns/chaos.sh"]
async fn chaos_run() {
    let endpoint = std::env::var(support::ENDPOINT_ENV).expect("STRATUS_TEST_AWS_ENDPOINT");
    let recipients = env_or("STRATUS_CHAOS_RECIPIENTS", 3_000) as usize;
    let max_kills = env_or("STRATUS_CHAOS_KILLS", 12);
    let proxy = Arc::new(FaultProxy::start(&endpoint).await.unwrap());
    let publish = || Match::body_contains("Action=Publish");
    proxy.add_rule(Rule::every(13, Fault::CutAfterForward, publish()));
    proxy.add_rule(Rule::every(17, Fault::FailAfterForward(500), publish()));
    proxy.add_rule(Rule::every(19, Fault::FailAfterForward(503), publish()));
    proxy.add_rule(Rule::every(
        23,
        Fault::DelayAfterForward(Duration::from_millis(1_500)),
        publish(),
    ));
    // Rare throttles: each one halves the rate, so frequent ones would only
    // measure the limiter's floor.
    proxy.add_rule(Rule::every(97, Fault::Reject(400, "Throttling"), publish()));
    proxy.add_rule(Rule::every(
        31,
        Fault::CutAfterForward,
        Match::body_contains("Action=CheckIfPhoneNumberIsOptedOut"),
    ));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stratus.sqlite");
    let db = Db::open(&path).unwrap();
    let id_bits = uuid::Uuid::now_v7().as_u128();
    let block = format!(
        "+17{:02}{:03}",
        20 + (id_bits % 80) as u32,
        200 + (id_bits / 80 % 800) as u32
    );
    let customers: Vec<_> = (0..recipients)
        .map(|i| {
            support::sms_customer(
                &format!("x-{i:05}"),
                &format!("Chaos{i} Person"),
                &format!("{block}{i:04}"),
            )
        })
        .collect();
    support::insert(&db, &customers);
    let mut spec = CampaignSpec::new("Chaos", Channel::Sms, "", "Hi {{ first_name }}");
    spec.rate_per_sec = 400.0;
    spec.concurrency = 8;
    spec.sms_type = SmsType::Promotional;
    let id = support::launched(&db, spec).await;

    // Outage windows: a second of refused connections every few seconds.
    let outages = {
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let mut windows = 0u64;
            loop {
                tokio::time::sleep(Duration::from_millis(3_500)).await;
                proxy.set_refusing(true).unwrap();
                windows += 1;
                tokio::time::sleep(Duration::from_millis(1_000)).await;
                proxy.set_refusing(false).unwrap();
                if windows >= 1_000 {
                    return windows;
                }
            }
        })
    };

    let started = Instant::now();
    let mut kills = 0u64;
    loop {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "chaos_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DB, &path)
            .env(CHILD_CAMPAIGN, &id)
            .env(CHILD_ENDPOINT, proxy.url())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if kills < max_kills {
            let life = rand::rng().random_range(700..2_500);
            let deadline = Instant::now() + Duration::from_millis(life);
            while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
                continue;
            }
        }
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success(), "the runner failed: {status:?}");
        if support::campaign_state(&db, &id) == "completed" {
            break;
        }
    }
    outages.abort();
    let _ = proxy.set_refusing(false);
    let elapsed = started.elapsed();

    let mut got: HashMap<String, usize> = HashMap::new();
    for (number, _) in support::moto_sms(&endpoint) {
        if number.starts_with(&block) {
            *got.entry(number).or_default() += 1;
        }
    }
    let rows: Vec<(String, String, Option<String>, String)> = {
        let id = id.clone();
        db.call_blocking(move |c| -> stratus_campaigns::Result<_> {
            let mut stmt = c.prepare(
                "SELECT customer_id, status, reason, address FROM recipients WHERE campaign_id = ?1",
            )?;
            let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .unwrap()
    };
    let mut by_status: HashMap<String, u64> = HashMap::new();
    let mut by_reason: HashMap<String, u64> = HashMap::new();
    let (mut duplicates, mut sent_without_message) = (0u64, 0u64);
    let (mut in_doubt, mut in_doubt_unknown) = (0u64, 0u64);
    for (customer, status, reason, phone) in &rows {
        let n = got.get(phone).copied().unwrap_or(0);
        *by_status.entry(status.clone()).or_default() += 1;
        if status == "unknown" {
            *by_reason
                .entry(reason.clone().unwrap_or_default())
                .or_default() += 1;
        }
        if n > 1 {
            duplicates += 1;
            eprintln!("DUPLICATE: {customer} {phone} got {n}");
        }
        if status == "sent" && n != 1 {
            sent_without_message += 1;
        }
        if n >= 1 && status != "sent" {
            in_doubt += 1;
            if status == "unknown" {
                in_doubt_unknown += 1;
            }
        }
    }
    println!(
        "chaos: {recipients} recipients, {kills} SIGKILLs, {} publish faults injected, {:.0} s",
        proxy.faulted(),
        elapsed.as_secs_f64()
    );
    println!("rows by status: {by_status:?}; unknown by reason: {by_reason:?}");
    println!(
        "moto received {} messages for {} numbers; sent rows without exactly one message: {sent_without_message}",
        got.values().sum::<usize>(),
        got.len()
    );
    println!("duplicates: {duplicates}, in-doubt marked unknown: {in_doubt_unknown}/{in_doubt}");
    assert_eq!(duplicates, 0);
    assert_eq!(sent_without_message, 0);
    assert_eq!(in_doubt_unknown, in_doubt);
    assert_eq!(by_status.get("failed"), None, "an outage fails nobody");
}
