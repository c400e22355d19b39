#![allow(clippy::unwrap_used)]
//! Run control: pause/resume, cancel, retry failed, and recovery of rows a
//! dead process left in flight.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use stratus_campaigns::campaign::CampaignState;
use stratus_campaigns::notifier::NotifyError;
use stratus_campaigns::recipients::RecipientStatus;
use stratus_campaigns::run::{self, RunControl, RunRequest};

use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use support::{count_status, customers, phone, spec, ScriptedNotifier, Step};

mod support;

#[tokio::test]
async fn pause_stops_new_sends_and_resume_finishes_the_rest() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(40));
    let id = support::launched(&db, spec("Hi")).await;
    let notifier = Arc::new(ScriptedNotifier {
        delay: std::time::Duration::from_millis(5),
        ..Default::default()
    });
    let control = RunControl::new(10_000.0, 2);
    let task = {
        let (db, id, notifier, control) =
            (db.clone(), id.clone(), notifier.clone(), control.clone());
        tokio::spawn(async move {
            run::run_with_control(
                &RunRequest::new(&db, &id, notifier).with_settings(support::fast_settings()),
                &control,
                |_| {},
                &CancellationToken::new(),
            )
            .await
        })
    };
    support::wait_until("some sends", || notifier.calls.load(Ordering::SeqCst) >= 6).await;
    control.pause();
    support::wait_until("paused state", || {
        support::campaign_state(&db, &id) == "paused"
    })
    .await;
    support::wait_until("in-flight sends done", || {
        notifier.concurrent.load(Ordering::SeqCst) == 0
    })
    .await;
    let at_pause = notifier.calls.load(Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    assert_eq!(
        notifier.calls.load(Ordering::SeqCst),
        at_pause,
        "no send starts while paused"
    );
    assert!(at_pause < 40);
    assert_eq!(count_status(&db, &id, "in_flight"), 0);
    let summary = run::progress_summary(&db, &id).await.unwrap();
    assert_eq!(summary.counts.sent, at_pause);
    assert!(
        summary.eta_seconds.is_some_and(|s| s > 0),
        "pending left at a known rate: {summary:?}"
    );
    control.resume();
    let outcome = task.await.unwrap().unwrap();
    assert_eq!(outcome.state, CampaignState::Completed);
    assert_eq!(outcome.counts.sent, 40);
    assert_eq!(
        notifier.published.lock().unwrap().len(),
        40,
        "nothing sent twice across pause/resume"
    );
}

#[tokio::test]
async fn cancel_leaves_every_recipient_in_a_definite_state() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(60));
    let id = support::launched(&db, spec("Hi")).await;
    let notifier = Arc::new(ScriptedNotifier {
        delay: std::time::Duration::from_millis(5),
        ..Default::default()
    });
    let cancel = CancellationToken::new();
    let task = {
        let (db, id, notifier, cancel) = (db.clone(), id.clone(), notifier.clone(), cancel.clone());
        tokio::spawn(async move {
            run::run_with_control(
                &RunRequest::new(&db, &id, notifier).with_settings(support::fast_settings()),
                &RunControl::new(10_000.0, 3),
                |_| {},
                &cancel,
            )
            .await
        })
    };
    support::wait_until("some sends", || notifier.calls.load(Ordering::SeqCst) >= 5).await;
    cancel.cancel();
    let outcome = task.await.unwrap().unwrap();
    assert_eq!(outcome.state, CampaignState::Cancelled);
    let rows = support::statuses(&db, &id);
    assert!(
        rows.iter()
            .all(|r| RecipientStatus::parse(&r.1).unwrap().is_definite()),
        "{rows:?}"
    );
    let sent = rows.iter().filter(|r| r.1 == "sent").count();
    assert_eq!(
        sent,
        notifier.published.lock().unwrap().len(),
        "every publish that went through is recorded as sent"
    );
    assert!(sent < 60);
    assert!(rows
        .iter()
        .filter(|r| r.1 == "skipped")
        .all(|r| r.2.as_deref() == Some("cancelled")));
    assert_eq!(support::campaign_state(&db, &id), "cancelled");
}

#[tokio::test]
async fn retry_failed_requeues_only_failed_and_unknown_when_asked() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(10));
    let id = support::launched(&db, spec("Hi")).await;
    let refuse = || {
        Step::Fail(NotifyError::Permanent {
            code: "Nope".into(),
            message: "refused".into(),
        })
    };
    let notifier = ScriptedNotifier::with_script(vec![
        (&phone(2), vec![refuse()]),
        (&phone(3), vec![refuse()]),
    ]);
    let run = |notifier: Arc<ScriptedNotifier>| {
        let (db, id) = (db.clone(), id.clone());
        async move {
            run::run_with_control(
                &RunRequest::new(&db, &id, notifier).with_settings(support::fast_settings()),
                &RunControl::new(10_000.0, 2),
                |_| {},
                &CancellationToken::new(),
            )
            .await
            .unwrap()
        }
    };
    let first = run(notifier.clone()).await;
    assert_eq!((first.counts.sent, first.counts.failed), (8, 2));
    // As if a crash had left one row unknown.
    db.call_blocking(|c| -> stratus_campaigns::Result<_> { Ok(c.execute("UPDATE recipients SET status = 'unknown', reason = 'interrupted' WHERE customer_id = 'c-0005'", [])?) })
        .unwrap();

    assert_eq!(run::retry_failed(&db, &id, false).await.unwrap(), 2);
    assert_eq!(support::campaign_state(&db, &id), "scheduled");
    let second = run(notifier.clone()).await;
    assert_eq!(
        (
            second.counts.sent,
            second.counts.failed,
            second.counts.unknown
        ),
        (9, 0, 1)
    );
    assert_eq!(
        notifier.sent_to(&phone(5)),
        1,
        "unknown is not resent unless asked"
    );

    assert_eq!(run::retry_failed(&db, &id, true).await.unwrap(), 1);
    let third = run(notifier.clone()).await;
    assert_eq!((third.counts.sent, third.counts.unknown), (10, 0));
    for n in 1..=10 {
        let expected = if n == 5 { 2 } else { 1 };
        assert_eq!(notifier.sent_to(&phone(n)), expected, "customer {n}");
    }
}

#[tokio::test]
async fn rows_in_flight_at_start_become_unknown_and_are_not_resent() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(6));
    let id = support::launched(&db, spec("Hi")).await;
    stratus_campaigns::campaign::transition(&db, &id, CampaignState::Running)
        .await
        .unwrap();
    db.call_blocking(|c| -> stratus_campaigns::Result<_> {
        Ok(c.execute(
            "UPDATE recipients SET status = 'in_flight' WHERE customer_id IN ('c-0001', 'c-0002')",
            [],
        )?)
    })
    .unwrap();
    let notifier = Arc::new(ScriptedNotifier::default());
    let outcome = run::run_with_control(
        &RunRequest::new(&db, &id, notifier.clone()),
        &RunControl::new(1_000.0, 2),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.recovered_unknown, 2);
    assert_eq!((outcome.counts.sent, outcome.counts.unknown), (4, 2));
    assert_eq!(notifier.sent_to(&phone(1)) + notifier.sent_to(&phone(2)), 0);
}

#[tokio::test]
async fn a_rate_raised_while_running_takes_effect() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(20));
    let id = support::launched(&db, spec("Hi")).await;
    let notifier = Arc::new(ScriptedNotifier::default());
    // One message every five seconds: 20 would take well over the wait bound below.
    let control = RunControl::new(0.2, 2);
    let task = {
        let (db, id, notifier, control) =
            (db.clone(), id.clone(), notifier.clone(), control.clone());
        tokio::spawn(async move {
            run::run_with_control(
                &RunRequest::new(&db, &id, notifier).with_settings(support::fast_settings()),
                &control,
                |_| {},
                &CancellationToken::new(),
            )
            .await
        })
    };
    support::wait_until("the first send", || {
        notifier.calls.load(Ordering::SeqCst) >= 1
    })
    .await;
    assert!(notifier.calls.load(Ordering::SeqCst) < 20);
    control.set_rate(10_000.0);
    support::wait_until("all sends at the new rate", || {
        notifier.calls.load(Ordering::SeqCst) == 20
    })
    .await;
    assert_eq!(task.await.unwrap().unwrap().counts.sent, 20);
    assert_eq!(control.rates(), (10_000.0, 10_000.0));
}
