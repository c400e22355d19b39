#![allow(clippy::unwrap_used)]
//! The shared entry point: one runner per campaign, steered through the
//! database by another connection (as another process would).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use stratus_campaigns::campaign::{self, CampaignState};
use stratus_campaigns::run::{self, RunOutcome, RunProgress, RunRequest};

use stratus_campaigns::Result;
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use support::{count_status, customers, spec, ScriptedNotifier};

mod support;

/// Two handles on one database file: the runner's and "another process's".
fn two_handles(dir: &tempfile::TempDir) -> (Db, Db) {
    let path = dir.path().join("stratus.sqlite");
    (Db::open(&path).unwrap(), Db::open(&path).unwrap())
}

fn slow_notifier() -> Arc<ScriptedNotifier> {
    Arc::new(ScriptedNotifier {
        delay: std::time::Duration::from_millis(5),
        ..Default::default()
    })
}

fn start(
    db: &Db,
    id: &str,
    notifier: Arc<ScriptedNotifier>,
    seen: Arc<Mutex<Vec<RunProgress>>>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<Result<RunOutcome>> {
    let (db, id) = (db.clone(), id.to_string());
    tokio::spawn(async move {
        run::run_to_end(
            &RunRequest::new(&db, &id, notifier).with_settings(support::fast_settings()),
            move |p| seen.lock().unwrap().push(p.clone()),
            &stop,
        )
        .await
    })
}

fn each_sent_once(notifier: &ScriptedNotifier) -> bool {
    let mut per_address: HashMap<String, usize> = HashMap::new();
    for m in notifier.published.lock().unwrap().iter() {
        *per_address.entry(m.address.clone()).or_default() += 1;
    }
    per_address.values().all(|n| *n == 1)
}

#[tokio::test]
async fn a_draft_is_launched_and_steered_from_another_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (runner_db, other) = two_handles(&dir);
    support::insert(&runner_db, &customers(60));
    let mut s = spec("Hi {{ first_name }}");
    s.rate_per_sec = 400.0;
    s.concurrency = 2;
    let draft = campaign::create_draft(&other, s).await.unwrap();
    let notifier = slow_notifier();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let task = start(
        &runner_db,
        &draft.id,
        notifier.clone(),
        seen.clone(),
        CancellationToken::new(),
    );
    support::wait_until("some sends", || notifier.calls.load(Ordering::SeqCst) >= 5).await;
    assert!(run::is_attached(&other, &draft.id).unwrap());
    let second = run::run_to_end(
        &RunRequest::new(&other, &draft.id, notifier.clone())
            .with_settings(support::fast_settings()),
        |_| {},
        &CancellationToken::new(),
    )
    .await;
    assert_eq!(
        second.unwrap_err().code(),
        "campaign_busy",
        "one runner at a time"
    );

    run::pause(&other, &draft.id).await.unwrap();
    support::wait_until("sends stop after the pause", || {
        notifier.concurrent.load(Ordering::SeqCst) == 0
            && count_status(&other, &draft.id, "in_flight") == 0
            && seen
                .lock()
                .unwrap()
                .last()
                .is_some_and(|p| p.state == CampaignState::Paused)
    })
    .await;
    let at_pause = notifier.calls.load(Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        notifier.calls.load(Ordering::SeqCst),
        at_pause,
        "no send starts while paused from elsewhere"
    );
    assert!(at_pause < 60);

    run::set_pace(&other, &draft.id, Some(900.0), Some(3))
        .await
        .unwrap();
    run::resume(&other, &draft.id).await.unwrap();
    let outcome = task.await.unwrap().unwrap();
    assert_eq!(outcome.state, CampaignState::Completed);
    assert_eq!(outcome.counts.sent, 60);
    assert_eq!(notifier.published.lock().unwrap().len(), 60);
    assert!(each_sent_once(&notifier));
    assert!(!run::is_attached(&other, &draft.id).unwrap());
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter().any(|p| p.rate_configured == 900.0),
        "the new pace reached the runner"
    );
    let last = seen.last().unwrap();
    assert_eq!(last.state, CampaignState::Completed);
    assert_eq!(last.summary.counts.sent, 60);
}

#[tokio::test]
async fn a_cancel_from_elsewhere_stops_the_runner_and_settles_everyone() {
    let dir = tempfile::tempdir().unwrap();
    let (runner_db, other) = two_handles(&dir);
    support::insert(&runner_db, &customers(50));
    let mut s = spec("Hi");
    s.rate_per_sec = 200.0;
    let id = support::launched(&other, s).await;
    let notifier = slow_notifier();
    let task = start(
        &runner_db,
        &id,
        notifier.clone(),
        Arc::default(),
        CancellationToken::new(),
    );
    support::wait_until("some sends", || notifier.calls.load(Ordering::SeqCst) >= 5).await;
    run::cancel(&other, &id).await.unwrap();
    let outcome = task.await.unwrap().unwrap();
    assert_eq!(outcome.state, CampaignState::Cancelled);
    let counts = outcome.counts;
    assert_eq!((counts.pending, counts.in_flight), (0, 0));
    assert_eq!(counts.total(), 50);
    assert!(counts.sent < 50);
    assert_eq!(
        counts.sent,
        notifier.published.lock().unwrap().len() as u64,
        "every accepted message is recorded as sent"
    );
    assert_eq!(support::campaign_state(&other, &id), "cancelled");
}

#[tokio::test]
async fn cancel_without_a_runner_settles_the_audience_itself() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(8));
    let id = support::launched(&db, spec("Hi")).await;
    let counts = run::cancel(&db, &id).await.unwrap();
    assert_eq!((counts.skipped, counts.pending), (8, 0));
    let summary = run::status(&db, &id).await.unwrap();
    assert_eq!(summary.state, CampaignState::Cancelled);
    assert_eq!(summary.summary.reasons.get("cancelled"), Some(&8));
}

/// The app and the CLI show "interrupted" by this one rule: running or
/// paused in the database, and no process holding the run.
#[tokio::test]
async fn running_or_paused_with_no_runner_is_interrupted_and_a_held_run_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let (db, other) = two_handles(&dir);
    support::insert(&db, &customers(6));
    let id = support::launched(&db, spec("Hi")).await;
    let interrupted = || async { run::status(&other, &id).await.unwrap().is_interrupted() };
    assert!(!interrupted().await, "scheduled: not started yet");
    campaign::transition(&db, &id, CampaignState::Running)
        .await
        .unwrap();
    assert!(interrupted().await, "running, but nobody sends it");
    run::pause(&other, &id).await.unwrap();
    assert!(interrupted().await, "paused, and nobody to resume it");

    // A runner takes it (and waits, since it is paused): no longer interrupted.
    let stop = CancellationToken::new();
    let task = start(&db, &id, slow_notifier(), Arc::default(), stop.clone());
    support::wait_until("the runner to hold the campaign", || {
        run::is_attached(&other, &id).unwrap()
    })
    .await;
    assert!(!interrupted().await, "paused by a live runner");
    stop.cancel();
    assert_eq!(task.await.unwrap().unwrap().state, CampaignState::Paused);
    assert!(interrupted().await, "the runner went away");
}

#[tokio::test]
async fn stopping_detaches_and_the_next_run_finishes_without_resending() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = two_handles(&dir);
    support::insert(&db, &customers(40));
    let mut s = spec("Hi");
    s.rate_per_sec = 300.0;
    let id = support::launched(&db, s).await;
    let notifier = slow_notifier();
    let stop = CancellationToken::new();
    let task = start(&db, &id, notifier.clone(), Arc::default(), stop.clone());
    support::wait_until("some sends", || notifier.calls.load(Ordering::SeqCst) >= 5).await;
    stop.cancel();
    let first = task.await.unwrap().unwrap();
    assert_eq!(
        first.state,
        CampaignState::Running,
        "the campaign itself goes on"
    );
    assert_eq!(first.counts.in_flight, 0, "sends under way finished");
    assert!(first.counts.pending > 0);
    assert_eq!(first.counts.skipped, 0, "nothing settled as cancelled");

    let second = start(
        &db,
        &id,
        notifier.clone(),
        Arc::default(),
        CancellationToken::new(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(second.state, CampaignState::Completed);
    assert_eq!(second.recovered_unknown, 0);
    assert_eq!(second.counts.sent, 40);
    assert_eq!(notifier.published.lock().unwrap().len(), 40);
    assert!(each_sent_once(&notifier));
}

#[tokio::test]
async fn a_paused_campaign_stays_paused_until_resumed_and_finished_ones_are_refused() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(6));
    let id = support::launched(&db, spec("Hi")).await;
    campaign::transition(&db, &id, CampaignState::Running)
        .await
        .unwrap();
    run::pause(&db, &id).await.unwrap();
    let notifier = slow_notifier();
    let stop = CancellationToken::new();
    let task = start(&db, &id, notifier.clone(), Arc::default(), stop.clone());
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(notifier.calls.load(Ordering::SeqCst), 0, "still paused");
    assert_eq!(support::campaign_state(&db, &id), "paused");
    stop.cancel();
    assert_eq!(task.await.unwrap().unwrap().state, CampaignState::Paused);

    let outcome = run::resume_and_run(
        &RunRequest::new(&db, &id, notifier.clone()).with_settings(support::fast_settings()),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        (outcome.state, outcome.counts.sent),
        (CampaignState::Completed, 6)
    );
    let again = run::run_to_end(
        &RunRequest::new(&db, &id, notifier).with_settings(support::fast_settings()),
        |_| {},
        &CancellationToken::new(),
    )
    .await;
    assert_eq!(again.unwrap_err().code(), "illegal_transition");
}

/// Pauses the campaign from "another process" during its third publish.
struct PausesOnThird {
    other: Db,
    campaign: Mutex<String>,
    calls: std::sync::atomic::AtomicU64,
}

#[async_trait::async_trait]
impl stratus_campaigns::notifier::Notifier for PausesOnThird {
    async fn publish(
        &self,
        _message: &stratus_campaigns::notifier::OutboundMessage,
    ) -> std::result::Result<String, stratus_campaigns::notifier::NotifyError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n == 3 {
            let id = self.campaign.lock().unwrap().clone();
            run::pause(&self.other, &id).await.unwrap();
        }
        Ok(format!("m-{n}"))
    }

    async fn is_opted_out(
        &self,
        _phone: &str,
    ) -> std::result::Result<bool, stratus_campaigns::notifier::NotifyError> {
        Ok(false)
    }
}

/// A pause committed by anyone stops the very next send, not only once the
/// runner's next poll has seen it: the `in_flight` mark is refused for a
/// campaign that is not running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_committed_anywhere_stops_the_next_send_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (runner_db, other) = two_handles(&dir);
    support::insert(&runner_db, &customers(200));
    let mut s = spec("Hi");
    s.rate_per_sec = 5_000.0;
    s.concurrency = 1;
    let id = support::launched(&runner_db, s).await;
    let notifier = Arc::new(PausesOnThird {
        other: other.clone(),
        campaign: Mutex::new(id.clone()),
        calls: Default::default(),
    });
    let task = {
        let (db, id, notifier) = (runner_db.clone(), id.clone(), notifier.clone());
        tokio::spawn(async move {
            run::run_to_end(
                // The runner polls the row every 250 ms: far slower than
                // sending, so only the refused mark can stop the next send.
                &RunRequest::new(&db, &id, notifier).with_settings(
                    stratus_campaigns::run::RunSettings {
                        progress_every: std::time::Duration::from_secs(1),
                        ..support::fast_settings()
                    },
                ),
                |_| {},
                &CancellationToken::new(),
            )
            .await
        })
    };
    support::wait_until("the pause", || {
        notifier.calls.load(Ordering::SeqCst) >= 3 && count_status(&other, &id, "in_flight") == 0
    })
    .await;
    run::cancel(&other, &id).await.unwrap();
    let outcome = task.await.unwrap().unwrap();
    assert_eq!(outcome.state, CampaignState::Cancelled);
    assert_eq!(
        notifier.calls.load(Ordering::SeqCst),
        3,
        "no publish after the pause was committed"
    );
    assert_eq!(outcome.counts.sent, 3);
}
