#![allow(clippy::unwrap_used)]
//! Against moto (SNS): one SMS per eligible customer with the right text,
//! none to the skipped; and a runner killed with SIGKILL mid-run that,
//! restarted, finishes without sending anyone a second message.
//!
//! moto's state is global: every test uses its own block of phone numbers.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;

use stratus_campaigns::campaign::{CampaignSpec, CampaignState, Channel, SmsType};
use stratus_campaigns::customer::Customer;
use stratus_campaigns::notifier::SnsNotifier;
use stratus_campaigns::recipients::RecipientStatus;
use stratus_campaigns::run::{self, RunControl, RunRequest};

use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;

mod support;

const CHILD_DB: &str = "STRATUS_CRASH_CHILD_DB";
const CHILD_CAMPAIGN: &str = "STRATUS_CRASH_CHILD_CAMPAIGN";
const TEMPLATE: &str = "Hi {{ first_name }}, you have {{ points }} points";

/// Customers `block00`… with consent, plus `block99` (moto: opted out) and
/// one without consent.
fn audience(block: &str, n: usize) -> Vec<Customer> {
    let mut list: Vec<Customer> = (0..n)
        .map(|i| {
            let mut c = support::sms_customer(
                &format!("m-{i:03}"),
                &format!("Moto{i} Person"),
                &format!("{block}{i:02}"),
            );
            c.points = i as i64;
            c
        })
        .collect();
    list.push(support::sms_customer(
        "m-opted-out",
        "Opted Out",
        &format!("{block}99"),
    ));
    let mut no_consent = support::sms_customer("m-no-consent", "No Consent", &format!("{block}98"));
    no_consent.sms_opt_in = false;
    list.push(no_consent);
    list
}

fn campaign_spec(rate: f64) -> CampaignSpec {
    let mut spec = CampaignSpec::new("Moto", Channel::Sms, "", TEMPLATE);
    spec.rate_per_sec = rate;
    spec.concurrency = 4;
    spec.sms_type = SmsType::Promotional;
    spec.sender_id = Some("Stratus".into());
    spec
}

/// SMS moto holds for numbers of this block, by number.
fn sms_by_number(endpoint: &str, block: &str) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (number, text) in support::moto_sms(endpoint) {
        if number.starts_with(block) {
            map.entry(number).or_default().push(text);
        }
    }
    map
}

#[tokio::test]
async fn sms_campaign_sends_exactly_one_message_per_eligible_customer() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let block = support::unique_number_block();
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &audience(&block, 25));
    let id = support::launched(&db, campaign_spec(200.0)).await;
    let notifier = Arc::new(SnsNotifier::new(&support::sdk_config(&endpoint).await));
    let outcome = run::run_with_control(
        &RunRequest::new(&db, &id, notifier),
        &RunControl::new(200.0, 4),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.state, CampaignState::Completed);
    assert_eq!((outcome.counts.sent, outcome.counts.skipped), (25, 2));

    let received = sms_by_number(&endpoint, &block);
    assert_eq!(received.len(), 25, "{received:?}");
    for i in 0..25 {
        let texts = &received[&format!("{block}{i:02}")];
        assert_eq!(texts, &vec![format!("Hi Moto{i}, you have {i} points")]);
    }
    assert!(
        !received.contains_key(&format!("{block}99")),
        "opted out: never sent"
    );
    assert!(
        !received.contains_key(&format!("{block}98")),
        "no consent: never sent"
    );
    let rows = support::statuses(&db, &id);
    let reason = |id: &str| rows.iter().find(|r| r.0 == id).unwrap().2.clone();
    assert_eq!(reason("m-opted-out").as_deref(), Some("opted_out"));
    assert_eq!(reason("m-no-consent").as_deref(), Some("not_opted_in"));
}

/// moto keeps number and text only; the SMS type and sender id are read
/// from the requests themselves, through a recording proxy.
#[tokio::test]
async fn every_sms_carries_the_campaigns_type_and_sender_id() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let proxy = support::proxy::RecordingProxy::start(&endpoint);
    let block = support::unique_number_block();
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &audience(&block, 12));
    let id = support::launched(&db, campaign_spec(200.0)).await;
    let notifier = Arc::new(SnsNotifier::new(
        &support::sdk_config(&proxy.endpoint).await,
    ));
    let outcome = run::run_with_control(
        &RunRequest::new(&db, &id, notifier),
        &RunControl::new(200.0, 4),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!((outcome.counts.sent, outcome.counts.skipped), (12, 2));

    let mut by_number: HashMap<String, Vec<HashMap<String, String>>> = HashMap::new();
    for fields in proxy.publishes() {
        let fields: HashMap<String, String> = fields.into_iter().collect();
        by_number
            .entry(fields["PhoneNumber"].clone())
            .or_default()
            .push(fields);
    }
    assert_eq!(by_number.len(), 12, "one Publish per eligible number");
    for i in 0..12 {
        let requests = &by_number[&format!("{block}{i:02}")];
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!(r["Message"], format!("Hi Moto{i}, you have {i} points"));
        // Attributes are `MessageAttributes.entry.N.{Name,Value.*}` in any order.
        let attribute = |name: &str| {
            let n = r
                .iter()
                .find(|(k, v)| k.ends_with(".Name") && *v == name)
                .map(|(k, _)| k.trim_end_matches(".Name").to_string())
                .unwrap_or_else(|| panic!("no {name} in {r:?}"));
            (
                r[&format!("{n}.Value.DataType")].clone(),
                r[&format!("{n}.Value.StringValue")].clone(),
            )
        };
        assert_eq!(
            attribute("AWS.SNS.SMS.SMSType"),
            ("String".to_string(), "Promotional".to_string())
        );
        assert_eq!(
            attribute("AWS.SNS.SMS.SenderID"),
            ("String".to_string(), "Stratus".to_string())
        );
    }
    assert!(!by_number.contains_key(&format!("{block}99")), "opted out");
    assert!(!by_number.contains_key(&format!("{block}98")), "no consent");
    let received = sms_by_number(&endpoint, &block);
    assert_eq!(received.len(), 12, "moto got them all through the proxy");
}

/// The child half of the crash test: runs the campaign until killed. Does
/// nothing when run on its own.
#[tokio::test]
async fn crash_child_runs_until_killed() {
    let (Ok(path), Ok(campaign)) = (std::env::var(CHILD_DB), std::env::var(CHILD_CAMPAIGN)) else {
        return;
    };
    let endpoint = std::env::var(support::ENDPOINT_ENV).unwrap();
    let db = Db::open(std::path::Path::new(&path)).unwrap();
    let notifier = Arc::new(SnsNotifier::new(&support::sdk_config(&endpoint).await));
    run::run_with_control(
        &RunRequest::new(&db, &campaign, notifier),
        &RunControl::new(40.0, 4),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_runner_killed_mid_run_resumes_without_sending_twice() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("campaigns.sqlite");
    let block = support::unique_number_block();
    let db = Db::open(&path).unwrap();
    support::insert(&db, &audience(&block, 80));
    let id = support::launched(&db, campaign_spec(40.0)).await;

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_runs_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &path)
        .env(CHILD_CAMPAIGN, &id)
        .env(support::ENDPOINT_ENV, &endpoint)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let counts = || {
        let id = id.clone();
        db.call_blocking(move |c| -> stratus_campaigns::Result<_> {
            Ok(c.query_row(
                "SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'in_flight')
                 FROM recipients WHERE campaign_id = ?1",
                [id],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )?)
        })
        .unwrap()
    };
    // Kill while a publish is in flight if we can catch one (the case that
    // matters), else once most were sent.
    support::wait_until("the child to be mid-send", || {
        let (sent, in_flight) = counts();
        (sent >= 10 && in_flight >= 1) || sent >= 60
    })
    .await;
    // std's `Child::kill` is SIGKILL on Unix: no chance to clean up.
    child.kill().unwrap();
    child.wait().unwrap();
    let (at_kill, in_flight_at_kill) = counts();
    assert!(at_kill < 80, "killed mid-run ({at_kill} sent)");

    let notifier = Arc::new(SnsNotifier::new(&support::sdk_config(&endpoint).await));
    let outcome = run::run_with_control(
        &RunRequest::new(&db, &id, notifier),
        &RunControl::new(200.0, 4),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.state, CampaignState::Completed);
    assert_eq!(outcome.recovered_unknown, in_flight_at_kill as u64);
    eprintln!(
        "killed after {at_kill} sent; {} in flight became unknown",
        outcome.recovered_unknown
    );

    let received = sms_by_number(&endpoint, &block);
    let rows = support::statuses(&db, &id);
    assert_eq!(rows.len(), 82);
    for (customer, status, reason, _) in &rows {
        let status = RecipientStatus::parse(status).unwrap();
        assert!(status.is_definite(), "{customer} is {status:?}");
        let Some(i) = customer
            .strip_prefix("m-")
            .and_then(|n| n.parse::<usize>().ok())
        else {
            assert_eq!(status, RecipientStatus::Skipped, "{customer}: {reason:?}");
            continue;
        };
        let got = received.get(&format!("{block}{i:02}")).map_or(0, Vec::len);
        match status {
            RecipientStatus::Sent => assert_eq!(got, 1, "{customer} sent: exactly one SMS"),
            RecipientStatus::Unknown => {
                assert!(got <= 1, "{customer} unknown: at most one SMS, got {got}")
            }
            other => panic!("{customer} ended {other:?}"),
        }
        if got == 1 {
            assert_eq!(
                received[&format!("{block}{i:02}")][0],
                format!("Hi Moto{i}, you have {i} points")
            );
        }
    }
    assert!(!received.contains_key(&format!("{block}99")));
}

#[tokio::test]
async fn push_campaign_reaches_enabled_endpoints_and_skips_disabled_ones() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let sdk = support::sdk_config(&endpoint).await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let app = sns
        .create_platform_application()
        .name(format!("stratus-test-{}", &suffix[suffix.len() - 12..]))
        .platform("GCM")
        .attributes("PlatformCredential", "test-key")
        .send()
        .await
        .unwrap()
        .platform_application_arn
        .unwrap();
    let mut arns = Vec::new();
    for i in 0..3 {
        let arn = sns
            .create_platform_endpoint()
            .platform_application_arn(&app)
            .token(format!("token-{suffix}-{i}"))
            .send()
            .await
            .unwrap()
            .endpoint_arn
            .unwrap();
        arns.push(arn);
    }
    sns.set_endpoint_attributes()
        .endpoint_arn(&arns[2])
        .attributes("Enabled", "false")
        .send()
        .await
        .unwrap();

    let db = Db::open_in_memory().unwrap();
    let customers: Vec<Customer> = arns
        .iter()
        .enumerate()
        .map(|(i, arn)| {
            let mut c = Customer::new(format!("p-{i}"), format!("Push{i} Person"));
            c.push_endpoint_arn = Some(arn.clone());
            c.push_opt_in = true;
            c
        })
        .collect();
    support::insert(&db, &customers);
    let id = support::launched(
        &db,
        CampaignSpec::new("Push", Channel::Push, "", "Hey {{ first_name }}"),
    )
    .await;
    let notifier = Arc::new(SnsNotifier::new(&sdk));
    let outcome = run::run_with_control(
        &RunRequest::new(&db, &id, notifier),
        &RunControl::new(50.0, 2),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!((outcome.counts.sent, outcome.counts.skipped), (2, 1));
    let rows = support::statuses(&db, &id);
    assert_eq!(
        (rows[2].1.as_str(), rows[2].2.as_deref()),
        ("skipped", Some("endpoint_disabled"))
    );

    let data: serde_json::Value =
        serde_json::from_str(&support::http_get(&endpoint, "/moto-api/data.json")).unwrap();
    let endpoints = data["sns"]["PlatformEndpoint"].as_array().unwrap();
    for (i, arn) in arns.iter().enumerate() {
        let found = endpoints
            .iter()
            .find(|e| e["arn"].as_str() == Some(arn))
            .unwrap();
        // Push goes out as MessageStructure=json: the text is `default`.
        let bodies: Vec<String> = found["messages"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|v| v.as_str())
            .map(|m| {
                let doc: serde_json::Value = serde_json::from_str(m).unwrap();
                doc["default"].as_str().unwrap().to_string()
            })
            .collect();
        let expected: Vec<String> = if i < 2 {
            vec![format!("Hey Push{i}")]
        } else {
            vec![]
        };
        assert_eq!(bodies, expected, "endpoint {i}: {found}");
    }
}
