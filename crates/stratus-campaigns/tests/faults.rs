#![allow(clippy::unwrap_used)]
//! SNS through a fault-injecting proxy (moto behind it): what moto actually
//! received per phone number against what the recipient rows say. No phone
//! ever gets two messages; a publish without a clear answer (connection cut
//! after the request was written, a 5xx, no answer in time) ends `unknown`
//! and is resent only by "retry failed" with unknown; an outage pauses the
//! run by itself and it resumes when the provider answers again.
//!
//! moto's state is global: every test uses its own block of phone numbers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use stratus_campaigns::campaign::{CampaignSpec, CampaignState, Channel, SmsType};
use stratus_campaigns::customer::Customer;
use stratus_campaigns::notifier::{Notifier, NotifyError, OutboundMessage, SnsNotifier};
use stratus_campaigns::recipients::RecipientStatus;
use stratus_campaigns::recipients::{self, RecipientFilter};
use stratus_campaigns::run::{self, RunControl, RunRequest, RunSettings};

use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use stratus_faultproxy::{Fault, FaultProxy, Match, Rule};

mod support;

/// Longer than the operation timeout below: the answer comes too late.
const LATE: Duration = Duration::from_millis(2_500);

/// The operation timeout of runs whose delayed answers must time out.
const IMPATIENT: Duration = Duration::from_millis(1_000);
/// An operation timeout no loaded moto answer comes near, for requests whose
/// fault must be seen as itself rather than raced by the timeout.
const PATIENT: Duration = Duration::from_secs(60);

/// The SDK configuration of a cloud profile (standard retries included, as
/// `stratus_core::cloud` builds it) with the given operation timeout.
async fn profile_sdk(endpoint: &str, timeout: Duration) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "stratus-tests",
        ))
        .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).build())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// `+1 6xx xxx nnnn`: a block of 10,000 numbers of this test's own, in an
/// area the other tests (+1 415) do not use.
fn number_block() -> String {
    let id = uuid::Uuid::now_v7().as_u128();
    format!(
        "+16{:02}{:03}",
        20 + (id % 80) as u32,
        200 + (id / 80 % 800) as u32
    )
}

fn audience(block: &str, n: usize) -> Vec<Customer> {
    (0..n)
        .map(|i| {
            support::sms_customer(
                &format!("f-{i:04}"),
                &format!("Fault{i} Person"),
                &format!("{block}{i:04}"),
            )
        })
        .collect()
}

fn spec(concurrency: u32) -> CampaignSpec {
    let mut spec = CampaignSpec::new("Faults", Channel::Sms, "", "Hi {{ first_name }}");
    spec.rate_per_sec = 2_000.0;
    spec.concurrency = concurrency;
    spec.sms_type = SmsType::Promotional;
    spec
}

fn settings() -> RunSettings {
    RunSettings {
        probe_every_max: Duration::from_millis(50),
        ..support::fast_settings()
    }
}

/// SMS moto holds per number of the block.
fn received(endpoint: &str, block: &str) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (number, _) in support::moto_sms(endpoint) {
        if number.starts_with(block) {
            *map.entry(number).or_default() += 1;
        }
    }
    map
}

/// (customer, status, reason, attempts) of every recipient, with its phone.
fn rows(db: &Db, id: &str) -> Vec<(String, RecipientStatus, Option<String>, i64, String)> {
    let id = id.to_string();
    db.call_blocking(move |c| -> stratus_campaigns::Result<_> {
        let mut stmt = c.prepare(
            "SELECT customer_id, status, reason, attempts, address FROM recipients
             WHERE campaign_id = ?1 ORDER BY customer_id",
        )?;
        let rows = stmt.query_map([id], |r| {
            let status: String = r.get(1)?;
            Ok((
                r.get(0)?,
                RecipientStatus::parse(&status).unwrap(),
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
    .unwrap()
}

async fn run(db: &Db, id: &str, notifier: Arc<dyn Notifier>, concurrency: u32) -> run::RunOutcome {
    run::run_with_control(
        &RunRequest::new(db, id, notifier).with_settings(settings()),
        &RunControl::new(2_000.0, concurrency),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_doubt_publishes_end_unknown_and_only_retry_with_unknown_resends_them() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let proxy = FaultProxy::start(&endpoint).await.unwrap();
    let publish = || Match::body_contains("Action=Publish");
    // Rules are tried in order; the first that fires decides.
    proxy.add_rule(Rule::every(10, Fault::CutAfterForward, publish()));
    proxy.add_rule(Rule::every(9, Fault::FailAfterForward(500), publish()));
    proxy.add_rule(Rule::every(8, Fault::FailAfterForward(503), publish()));
    proxy.add_rule(Rule::every(7, Fault::DelayAfterForward(LATE), publish()));
    let block = number_block();
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &audience(&block, 200));
    let id = support::launched(&db, spec(8)).await;
    let notifier = Arc::new(SnsNotifier::new(
        &profile_sdk(&proxy.url(), IMPATIENT).await,
    ));

    let outcome = run(&db, &id, notifier.clone(), 8).await;
    assert_eq!(outcome.state, CampaignState::Completed);
    let faulted = proxy.faulted();
    assert!(faulted >= 40, "the proxy broke {faulted} publishes");
    let got = received(&endpoint, &block);
    let rows = rows(&db, &id);
    assert_eq!(rows.len(), 200);
    let mut in_doubt = 0;
    for (customer, status, reason, _, phone) in &rows {
        let n = got.get(phone).copied().unwrap_or(0);
        assert!(n <= 1, "{customer} ({phone}) got {n} messages");
        match status {
            RecipientStatus::Sent => assert_eq!(n, 1, "{customer} sent: one message"),
            RecipientStatus::Unknown => {
                assert_eq!(reason.as_deref(), Some("in_doubt"), "{customer}");
                in_doubt += 1;
            }
            // moto reports numbers ending in 99 as opted out.
            RecipientStatus::Skipped if phone.ends_with("99") => assert_eq!(n, 0),
            other => panic!("{customer} ended {other:?}"),
        }
    }
    // Every fault came after moto had the request: each is one unknown row
    // (more only if a plain publish also outlived the timeout).
    assert!(
        in_doubt >= faulted,
        "{in_doubt} unknown for {faulted} faults"
    );
    assert_eq!(outcome.counts.unknown, in_doubt);
    assert!(!outcome.is_clean());
    eprintln!("in doubt: {in_doubt} of 200 ({faulted} faults), duplicates: 0");

    // The export shows them with the provider's answer.
    let mut csv = Vec::new();
    db.call_blocking(|c| -> stratus_campaigns::Result<_> {
        let filter = RecipientFilter {
            status: Some(RecipientStatus::Unknown),
            ..Default::default()
        };
        Ok(recipients::export_csv_blocking(c, &id, &filter, &mut csv).unwrap())
    })
    .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count() as u64, 1 + in_doubt);
    assert!(csv.contains(",unknown,in_doubt,InternalError,"), "{csv}");
    assert!(csv.contains(",unknown,in_doubt,timeout,"), "{csv}");
    assert!(!csv.contains("DispatchFailure"), "no Debug dump: {csv}");

    // "Retry failed" alone resends nothing and leaves the campaign as it is.
    assert_eq!(run::retry_failed(&db, &id, false).await.unwrap(), 0);
    assert_eq!(support::campaign_state(&db, &id), "completed");
    // With unknown, exactly those are sent again (their second message is
    // the user's choice), and nobody else.
    proxy.clear_rules();
    assert_eq!(run::retry_failed(&db, &id, true).await.unwrap(), in_doubt);
    let again = run(&db, &id, notifier, 8).await;
    assert!(again.is_clean(), "{:?}", again.counts);
    let got = received(&endpoint, &block);
    for (customer, status, reason, _, phone) in &rows {
        let expected = match status {
            RecipientStatus::Unknown => 2,
            RecipientStatus::Skipped => 0,
            _ => 1,
        };
        assert_eq!(
            got.get(phone).copied().unwrap_or(0),
            expected,
            "{customer} ({reason:?})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_pauses_the_run_and_it_resumes_when_the_provider_answers() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let proxy = FaultProxy::start(&endpoint).await.unwrap();
    let block = number_block();
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &audience(&block, 60));
    let id = support::launched(&db, spec(8)).await;
    let notifier = Arc::new(SnsNotifier::new(
        &profile_sdk(&proxy.url(), IMPATIENT).await,
    ));
    let sent = |db: &Db| support::count_status(db, &id, "sent");

    let runner = tokio::spawn({
        let (db, id) = (db.clone(), id.clone());
        async move { run(&db, &id, notifier, 8).await }
    });
    support::wait_until("a few sends", || sent(&db) >= 5).await;
    proxy.set_refusing(true).unwrap();
    support::wait_until("the run to pause itself", || {
        support::campaign_state(&db, &id) == "paused"
    })
    .await;
    let campaign = stratus_campaigns::campaign::get(&db, &id).await.unwrap();
    let reason = campaign.error.unwrap_or_default();
    assert!(
        reason.starts_with("provider unreachable since "),
        "{reason}"
    );
    // Publishes under way when the connections were cut are in doubt;
    // later ones are refused: either code names what happened.
    assert!(
        reason.contains("(connect)") || reason.contains("(connection_lost)"),
        "the provider's code: {reason}"
    );
    assert!(
        !reason.contains("ConnectorError"),
        "no Debug dump: {reason}"
    );
    let paused_rows = rows(&db, &id);
    assert!(
        paused_rows.iter().all(|r| r.1 != RecipientStatus::Failed),
        "nobody failed because SNS was away"
    );
    assert!(
        paused_rows.iter().all(|r| r.3 <= 1),
        "refused connections and failed checks use up no attempt: {paused_rows:?}"
    );

    proxy.set_refusing(false).unwrap();
    let outcome = runner.await.unwrap();
    assert_eq!(outcome.state, CampaignState::Completed, "resumed by itself");
    assert_eq!(outcome.counts.failed, 0);
    let campaign = stratus_campaigns::campaign::get(&db, &id).await.unwrap();
    assert_eq!(campaign.error, None, "the outage reason is gone");
    let got = received(&endpoint, &block);
    for (customer, status, reason, attempts, phone) in rows(&db, &id) {
        let n = got.get(&phone).copied().unwrap_or(0);
        assert!(attempts <= 1, "{customer}: {attempts} attempts");
        match status {
            RecipientStatus::Sent => assert_eq!(n, 1, "{customer}"),
            // A publish under way when the connections were cut.
            RecipientStatus::Unknown => {
                assert!(n <= 1, "{customer}");
                assert_eq!(reason.as_deref(), Some("in_doubt"));
            }
            RecipientStatus::Skipped if phone.ends_with("99") => assert_eq!(n, 0),
            other => panic!("{customer} ended {other:?}"),
        }
    }
}

/// A run paused for an outage whose process then dies (or quits) must not
/// stay paused for good: the next run goes on probing and resumes by itself
/// when the provider answers, without anyone pressing Resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_pause_left_by_a_dead_run_ends_by_itself_in_the_next_run() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let proxy = FaultProxy::start(&endpoint).await.unwrap();
    let block = number_block();
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &audience(&block, 40));
    let id = support::launched(&db, spec(4)).await;
    let notifier = Arc::new(SnsNotifier::new(
        &profile_sdk(&proxy.url(), IMPATIENT).await,
    ));

    let first = tokio::spawn({
        let (db, id, notifier) = (db.clone(), id.clone(), notifier.clone());
        async move { run(&db, &id, notifier, 4).await }
    });
    support::wait_until("a few sends", || {
        support::count_status(&db, &id, "sent") >= 3
    })
    .await;
    proxy.set_refusing(true).unwrap();
    support::wait_until("the run to pause itself", || {
        support::campaign_state(&db, &id) == "paused"
    })
    .await;
    // The process dies while the provider is away.
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());

    proxy.set_refusing(false).unwrap();
    let second = tokio::time::timeout(Duration::from_secs(120), run(&db, &id, notifier, 4))
        .await
        .expect("the next run stayed paused although the provider answers");
    assert_eq!(second.state, CampaignState::Completed);
    assert_eq!(second.counts.failed, 0);
    let got = received(&endpoint, &block);
    for (customer, status, _, _, phone) in rows(&db, &id) {
        let n = got.get(&phone).copied().unwrap_or(0);
        match status {
            RecipientStatus::Sent => assert_eq!(n, 1, "{customer}"),
            RecipientStatus::Unknown => assert!(n <= 1, "{customer}"),
            RecipientStatus::Skipped if phone.ends_with("99") => assert_eq!(n, 0),
            other => panic!("{customer} ended {other:?}"),
        }
    }
}

/// The notifier on its own: each fault is classified by whether SNS may
/// have acted, the SDK never re-sends on its own (the profile's config has
/// standard retries), and messages are sentences, not `Debug` dumps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_is_classified_by_whether_sns_may_have_acted() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let proxy = FaultProxy::start(&endpoint).await.unwrap();
    let notifier = SnsNotifier::new(&profile_sdk(&proxy.url(), PATIENT).await);
    let impatient = SnsNotifier::new(&profile_sdk(&proxy.url(), IMPATIENT).await);
    let block = number_block();
    let message = |i: usize| OutboundMessage {
        campaign_id: "k".into(),
        customer_id: format!("f-{i}"),
        channel: Channel::Sms,
        address: format!("{block}{i:04}"),
        body: "hello".into(),
        sms_type: SmsType::Transactional,
        sender_id: None,
    };
    let try_with = |fault: Option<Fault>| {
        proxy.clear_rules();
        if let Some(fault) = fault {
            proxy.add_rule(Rule::always(fault, Match::any()).limit(1));
        }
    };

    try_with(Some(Fault::Reject(400, "Throttling")));
    let before = proxy.forwarded();
    assert!(matches!(
        notifier.publish(&message(1)).await,
        Err(NotifyError::Throttled(_))
    ));
    assert_eq!(proxy.forwarded(), before, "rejected: never reached moto");

    for (i, fault, code, notifier) in [
        (2, Fault::CutAfterForward, "connection_lost", &notifier),
        (3, Fault::FailAfterForward(500), "InternalError", &notifier),
        (
            4,
            Fault::FailAfterForward(503),
            "ServiceUnavailable",
            &notifier,
        ),
        (5, Fault::DelayAfterForward(LATE), "timeout", &impatient),
    ] {
        try_with(Some(fault));
        let before = proxy.forwarded();
        let err = notifier.publish(&message(i)).await.unwrap_err();
        match &err {
            NotifyError::InDoubt { code: c, message } => {
                assert_eq!(c, code, "{fault:?}: {message}");
                assert!(
                    !message.contains("ConnectorError") && !message.contains("DispatchFailure {"),
                    "{message}"
                );
            }
            other => panic!("{fault:?}: {other:?}"),
        }
        assert_eq!(
            proxy.forwarded(),
            before + 1,
            "{fault:?}: sent once, never again by the SDK"
        );
    }

    try_with(None);
    proxy.set_refusing(true).unwrap();
    let err = notifier.publish(&message(6)).await.unwrap_err();
    assert!(
        matches!(&err, NotifyError::Unreachable { code, .. } if code == "connect"),
        "{err:?}"
    );
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(notifier.probe().await.unwrap_err().is_outage());
    proxy.set_refusing(false).unwrap();
    notifier.probe().await.unwrap();

    let got = received(&endpoint, &block);
    for i in 2..=5 {
        assert_eq!(
            got.get(&format!("{block}{i:04}")),
            Some(&1),
            "in doubt, yet delivered once"
        );
    }
    assert_eq!(got.get(&format!("{block}{:04}", 1)), None);
    assert_eq!(got.get(&format!("{block}{:04}", 6)), None);
}

/// Credentials that cannot be used (an expired SSO session, a broken
/// credential process) fail before the request is signed: nothing reaches
/// SNS, so the publish is not in doubt; it counts as the provider being
/// away (the run pauses and no recipient is burnt).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_that_fail_send_nothing_and_are_not_in_doubt() {
    use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};

    #[derive(Debug)]
    struct ExpiredSession;
    impl ProvideCredentials for ExpiredSession {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            future::ProvideCredentials::ready(Err(CredentialsError::provider_error(
                "the SSO session has expired",
            )))
        }
    }

    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let proxy = FaultProxy::start(&endpoint).await.unwrap();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(proxy.url())
        .credentials_provider(ExpiredSession)
        .load()
        .await;
    let notifier = SnsNotifier::new(&config);
    let err = notifier
        .publish(&OutboundMessage {
            campaign_id: "k".into(),
            customer_id: "c-1".into(),
            channel: Channel::Sms,
            address: format!("{}0001", number_block()),
            body: "hello".into(),
            sms_type: SmsType::Transactional,
            sender_id: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, NotifyError::Unreachable { code, .. } if code == "credentials"),
        "{err:?}"
    );
    assert!(err.to_string().contains("SSO session has expired"), "{err}");
    assert!(err.is_outage(), "the breaker counts it");
    assert!(notifier.probe().await.unwrap_err().is_outage());
    assert_eq!(proxy.forwarded(), 0, "nothing reached SNS");
}
