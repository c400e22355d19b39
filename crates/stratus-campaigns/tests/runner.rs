#![allow(clippy::unwrap_used)]
//! The runner against the local outbox and against a notifier that injects
//! throttling and failures: nothing lost, nothing sent twice.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use stratus_campaigns::campaign::{CampaignState, QuietHours, QuietMode};
use stratus_campaigns::notifier::{NotifyError, OutboxConfig, OutboxNotifier};
use stratus_campaigns::run::{self, RunControl, RunRequest, RunSettings};

use stratus_core::db::Db;
use stratus_core::jobs::{CancellationToken, Progress};
use support::{ScriptedNotifier, Step};

mod support;

use support::{customers, phone, spec};

#[tokio::test]
async fn outbox_run_sends_each_eligible_recipient_exactly_once_with_its_text() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(120));
    let id = support::launched(
        &db,
        spec("Hi {{ first_name }}, you have {{ points }} points (rank {{ rank }})"),
    )
    .await;
    let notifier = Arc::new(OutboxNotifier::new(db.clone(), OutboxConfig::instant()));
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let outcome = run::run_with_control(
        &RunRequest::new(&db, &id, notifier).with_settings(support::fast_settings()),
        &RunControl::new(5_000.0, 4),
        move |p| sink.lock().unwrap().push(p),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.state, CampaignState::Completed);
    // +12025550099 ends in 99: the outbox, like moto, reports it opted out.
    assert_eq!(
        (
            outcome.counts.sent,
            outcome.counts.skipped,
            outcome.counts.total()
        ),
        (119, 1, 120)
    );
    let rows = support::statuses(&db, &id);
    assert_eq!(
        rows.iter().find(|r| r.0 == "c-0099").unwrap().2.as_deref(),
        Some("opted_out")
    );

    let (outbox, joined, text): (i64, i64, String) = db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            let outbox = c.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
            let joined = c.query_row(
                "SELECT count(DISTINCT o.customer_id) FROM outbox o JOIN recipients r
                 ON r.message_id = o.message_id AND r.customer_id = o.customer_id AND r.rendered = o.body
                 WHERE r.status = 'sent'",
                [],
                |r| r.get(0),
            )?;
            let text = c.query_row("SELECT body FROM outbox WHERE customer_id = 'c-0120'", [], |r| r.get(0))?;
            Ok((outbox, joined, text))
        })
        .unwrap();
    assert_eq!(
        (outbox, joined),
        (119, 119),
        "one outbox message per sent row, matching id and text"
    );
    assert_eq!(text, "Hi Person, you have 1200 points (rank 1)");
    let last = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (last.done, last.total),
        (120, Some(120)),
        "the last progress is the final count"
    );
    assert_eq!(support::campaign_state(&db, &id), "completed");
}

#[tokio::test]
async fn only_what_certainly_was_not_sent_is_retried() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(12));
    let id = support::launched(&db, spec("Hello {{ name }}")).await;
    let throttled = || Step::Fail(NotifyError::Throttled("Rate exceeded".into()));
    let refused = || {
        Step::Fail(NotifyError::Unreachable {
            code: "connect".into(),
            message: "Connection refused".into(),
        })
    };
    let in_doubt = || {
        Step::Fail(NotifyError::InDoubt {
            code: "InternalError".into(),
            message: "boom".into(),
        })
    };
    let notifier = ScriptedNotifier::with_script(vec![
        (
            &phone(1),
            vec![throttled(), throttled(), throttled(), Step::Ok],
        ),
        (&phone(2), vec![refused(), refused(), Step::Ok]),
        (
            &phone(3),
            vec![Step::Fail(NotifyError::Permanent {
                code: "AuthorizationError".into(),
                message: "no".into(),
            })],
        ),
        (&phone(4), vec![in_doubt(), Step::Ok]),
        (
            &phone(5),
            vec![Step::Fail(NotifyError::InvalidNumber("bad".into()))],
        ),
        (&phone(6), (0..12).map(|_| throttled()).collect()),
    ]);
    let control = RunControl::new(1_000.0, 3);
    let outcome = run::run_with_control(
        &RunRequest::new(&db, &id, notifier.clone()).with_settings(support::fast_settings()),
        &control,
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.state, CampaignState::Completed);
    assert!(!outcome.is_clean(), "a failed and an unknown row");
    let rows = support::statuses(&db, &id);
    let row = |n: usize| {
        rows.iter()
            .find(|r| r.0 == format!("c-{n:04}"))
            .unwrap()
            .clone()
    };
    assert_eq!(row(1).1, "sent", "throttling is retried, never a failure");
    assert_eq!(row(6).1, "sent", "even many throttles in a row");
    assert_eq!(row(2).1, "sent", "a refused connection is retried");
    assert_eq!(
        (row(3).1.as_str(), row(3).3.as_deref()),
        ("failed", Some("AuthorizationError"))
    );
    assert_eq!(
        (row(4).1.as_str(), row(4).2.as_deref(), row(4).3.as_deref()),
        ("unknown", Some("in_doubt"), Some("InternalError")),
        "a 5xx may hide an accepted message: unknown, not retried"
    );
    assert_eq!(
        notifier.sent_to(&phone(4)),
        0,
        "never published a second time"
    );
    assert_eq!(
        (row(5).1.as_str(), row(5).2.as_deref()),
        ("skipped", Some("invalid_number"))
    );
    for n in [1, 2, 6, 7, 12] {
        assert_eq!(
            notifier.sent_to(&phone(n)),
            1,
            "exactly one delivery to {n}"
        );
    }
    assert_eq!(notifier.sent_to(&phone(3)), 0);
    let attempts = |customer: &'static str| -> i64 {
        db.call_blocking(move |c| -> stratus_campaigns::Result<_> {
            Ok(c.query_row(
                "SELECT attempts FROM recipients WHERE customer_id = ?1",
                [customer],
                |r| r.get(0),
            )?)
        })
        .unwrap()
    };
    assert_eq!(attempts("c-0001"), 4, "answered publishes count");
    assert_eq!(
        attempts("c-0002"),
        1,
        "refused connections never reached SNS: no attempt"
    );
    let (enforced, target) = control.rates();
    assert!(
        enforced < target,
        "throttling lowered the rate: {enforced} < {target}"
    );

    let summary = run::progress_summary(&db, &id).await.unwrap();
    assert_eq!(summary.counts.sent, 9);
    assert_eq!(summary.errors_by_code.get("AuthorizationError"), Some(&1));
    assert_eq!(summary.errors_by_code.get("InternalError"), None);
    assert_eq!(summary.reasons.get("invalid_number"), Some(&1));
    assert_eq!(summary.reasons.get("in_doubt"), Some(&1));
    // 9 sent within the last minute, in under a minute: between 9/60 and 9 a second.
    assert!(
        (9.0 / 60.0..=9.0).contains(&summary.rate_last_minute),
        "{}",
        summary.rate_last_minute
    );
    assert_eq!(summary.eta_seconds, None, "nothing left to send");
}

#[tokio::test]
async fn concurrency_is_bounded() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(40));
    let id = support::launched(&db, spec("Hi")).await;
    let notifier = Arc::new(ScriptedNotifier {
        delay: std::time::Duration::from_millis(3),
        ..Default::default()
    });
    let control = RunControl::new(10_000.0, 3);
    run::run_with_control(
        &RunRequest::new(&db, &id, notifier.clone()).with_settings(support::fast_settings()),
        &control,
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(notifier.max_concurrent.load(Ordering::SeqCst) <= 3);
    assert_eq!(notifier.published.lock().unwrap().len(), 40);
}

#[tokio::test]
async fn quiet_hours_follow_each_recipients_time_zone() {
    let db = Db::open_in_memory().unwrap();
    let mut ny = support::sms_customer("ny", "New York", "+12025550101");
    ny.time_zone = "America/New_York".into();
    let mut tokyo = support::sms_customer("tokyo", "Tokyo", "+819012345678");
    tokyo.time_zone = "Asia/Tokyo".into();
    support::insert(&db, &[ny, tokyo]);
    let mut s = spec("Hi");
    s.quiet_hours = Some(QuietHours {
        start_minute: 21 * 60,
        end_minute: 8 * 60,
    });
    s.quiet_mode = QuietMode::Skip;
    let id = support::launched(&db, s).await;
    // 2024-01-15 04:00 UTC: 23:00 in New York (quiet), 13:00 in Tokyo.
    let settings = RunSettings {
        clock: || 1_705_291_200_000,
        ..support::fast_settings()
    };
    let notifier = Arc::new(ScriptedNotifier::default());
    run::run_with_control(
        &RunRequest::new(&db, &id, notifier.clone()).with_settings(settings),
        &RunControl::new(100.0, 1),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let rows = support::statuses(&db, &id);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str(), rows[0].2.as_deref()),
        ("ny", "skipped", Some("quiet_hours"))
    );
    assert_eq!((rows[1].0.as_str(), rows[1].1.as_str()), ("tokyo", "sent"));
    assert_eq!(notifier.published.lock().unwrap().len(), 1);
}
