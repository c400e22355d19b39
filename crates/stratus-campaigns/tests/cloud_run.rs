#![allow(clippy::unwrap_used)]
//! Cloud runs against moto (S3, SQS, DynamoDB, SNS) with the worker in
//! this process: the manifest, the queue, the marks and the catch-up of
//! the recipients rows; a redelivered chunk; pause, resume and cancel
//! reaching the workers. The packaged worker (the Lambda bootstrap behind
//! the runtime emulator, SIGKILLed mid-chunk) is tested in
//! `stratus-gateway/tests/lambda_package.rs`.

use std::sync::Arc;
use std::time::Duration;

use stratus_campaigns::campaign::{CampaignState, Channel};
use stratus_campaigns::cloud::schedule::{schedule_name, RunSchedules};
use stratus_campaigns::cloud::{self, local, scratch, steer, CloudServices, Worker};
use stratus_campaigns::notifier::SnsNotifier;
use stratus_campaigns::run;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::store::ObjectStore;

mod support;

/// A table, a queue and a bucket of their own on the moto server.
async fn services(endpoint: &str, workers: u32) -> (CloudServices, aws_config::SdkConfig) {
    let sdk = support::sdk_config(endpoint).await;
    let name = stratus_core::testing::unique_bucket("cloud");
    let target = scratch::provision(&sdk, &name, workers).await.unwrap();
    let bucket: Arc<dyn ObjectStore> = Arc::new(
        stratus_core::testing::fresh_s3_store(endpoint, "cloud")
            .await
            .unwrap(),
    );
    (CloudServices::new(&sdk, &target, bucket), sdk)
}

fn worker(services: &CloudServices, sdk: &aws_config::SdkConfig) -> Worker {
    let settings = cloud::WorkerSettings {
        // Tests look at the chunk again at once instead of a minute later.
        paused_recheck: Duration::ZERO,
        retry_after: Duration::ZERO,
        ..cloud::WorkerSettings::default()
    };
    Worker::new(
        services.marks.clone(),
        services.queue.clone(),
        Arc::clone(&services.manifests),
        Arc::new(SnsNotifier::new(sdk)),
        settings,
    )
}

/// A campaign of `n` SMS customers whose messages carry a tag of their own.
async fn campaign(db: &Db, n: usize) -> (String, String) {
    scheduled_campaign(db, n, None).await
}

async fn scheduled_campaign(db: &Db, n: usize, at: Option<i64>) -> (String, String) {
    support::insert(db, &support::customers(n));
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let mut spec = support::spec(&format!("Hi {{{{ first_name }}}} {tag}"));
    spec.rate_per_sec = 10_000.0;
    spec.channel = Channel::Sms;
    spec.scheduled_at = at;
    let draft = stratus_campaigns::campaign::create_draft(db, spec)
        .await
        .unwrap();
    (draft.id, tag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_run_sends_each_recipient_once_and_the_rows_catch_up() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (services, sdk) = services(&endpoint, 2).await;
    let db = Db::open_in_memory().unwrap();
    let (id, tag) = campaign(&db, 600).await;

    let launched = cloud::launch(&db, &services, &id, now_millis())
        .await
        .unwrap();
    assert_eq!((launched.recipients, launched.chunks), (600, 3));
    assert_eq!(support::campaign_state(&db, &id), "running");
    // Nothing sends it here while the workers own it.
    let local = run::RunRequest::new(&db, &id, Arc::new(SnsNotifier::new(&sdk)));
    let refused = run::run_to_end(&local, |_| {}, &Default::default()).await;
    assert_eq!(refused.unwrap_err().code(), "campaign_in_cloud");

    let worker = worker(&services, &sdk);
    let reports = local::drain(&worker).await.unwrap();
    assert_eq!(reports.len(), 3);
    // The same chunk delivered again sends nobody anything.
    services
        .queue
        .send_all(&[cloud::queue::ChunkMessage {
            run: launched.run_id.clone(),
            chunk: 0,
            key: cloud::manifest::chunk_key(&launched.run_id, 0),
            ..Default::default()
        }])
        .await
        .unwrap();
    let again = local::drain(&worker).await.unwrap();
    assert_eq!((again[0].already, again[0].sent), (250, 0));

    let caught = cloud::catch_up(&db, &sdk, &id).await.unwrap().unwrap();
    assert!(caught.finished, "{caught:?}");
    assert_eq!(caught.state, CampaignState::Completed);
    // moto: numbers ending in 99 have opted out (c-0099, c-0199, …).
    let rows = support::statuses(&db, &id);
    let skipped: Vec<_> = rows.iter().filter(|r| r.1 == "skipped").collect();
    assert_eq!(skipped.len(), 6, "{skipped:?}");
    assert!(skipped.iter().all(|r| r.2.as_deref() == Some("opted_out")));
    assert_eq!(support::count_status(&db, &id, "sent"), 594);
    let sent = support::sms_with(&endpoint, &tag);
    assert_eq!(sent.len(), 594);
    assert!(sent.values().all(|&n| n == 1), "one message per recipient");
    let page = stratus_campaigns::recipients::page(&db, &id, Default::default(), None, 5)
        .await
        .unwrap();
    assert!(page
        .rows
        .iter()
        .all(|r| r.message_id.is_some() || r.reason.is_some()));
    assert!(page.rows[0].rendered.as_deref().unwrap().contains(&tag));

    // Once the run is over, a late delivery stops at once.
    let fresh = self::worker(&services, &sdk);
    let chunk = cloud::queue::ChunkMessage {
        run: launched.run_id.clone(),
        chunk: 1,
        key: cloud::manifest::chunk_key(&launched.run_id, 1),
        ..Default::default()
    };
    let late = fresh.process(&chunk, None).await.unwrap();
    assert_eq!((late.already, late.sent), (0, 0));
    assert_eq!(
        support::sms_with(&endpoint, &tag).values().sum::<usize>(),
        594
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_a_dead_worker_left_become_unknown_and_are_never_sent() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (services, sdk) = services(&endpoint, 1).await;
    let db = Db::open_in_memory().unwrap();
    let (id, tag) = campaign(&db, 20).await;
    let launched = cloud::launch(&db, &services, &id, now_millis())
        .await
        .unwrap();
    // A worker that claimed two recipients and died (its publish may or
    // may not have gone out).
    for customer in ["c-0003", "c-0007"] {
        let claim = services
            .marks
            .claim(&launched.run_id, customer, "a-dead-worker")
            .await
            .unwrap();
        assert_eq!(claim, cloud::marks::Claim::Claimed);
    }
    local::drain(&worker(&services, &sdk)).await.unwrap();
    cloud::catch_up(&db, &sdk, &id).await.unwrap().unwrap();
    let rows = support::statuses(&db, &id);
    let unknown: Vec<_> = rows.iter().filter(|r| r.1 == "unknown").collect();
    assert_eq!(unknown.len(), 2, "{rows:?}");
    assert!(unknown
        .iter()
        .all(|r| r.2.as_deref() == Some("interrupted")));
    assert_eq!(support::count_status(&db, &id, "sent"), 18);
    let sent = support::sms_with(&endpoint, &tag);
    assert!(!sent.contains_key(&support::phone(3)) && !sent.contains_key(&support::phone(7)));
    assert_eq!(sent.len(), 18);
    assert_eq!(support::campaign_state(&db, &id), "completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_cancel_reach_the_workers() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (services, sdk) = services(&endpoint, 1).await;
    let worker = worker(&services, &sdk);
    let db = Db::open_in_memory().unwrap();
    let (id, tag) = campaign(&db, 30).await;
    cloud::launch(&db, &services, &id, now_millis())
        .await
        .unwrap();

    steer::pause(&db, &sdk, &id).await.unwrap();
    // A worker trusts what it read for a few seconds: a fresh one reads
    // the pause at once (the cache is per worker).
    let paused = worker.queue.receive(Duration::from_secs(60)).await.unwrap();
    assert_eq!(paused.len(), 1);
    let chunk = cloud::queue::ChunkMessage::parse(&paused[0].0).unwrap();
    let report = worker.process(&chunk, None).await.unwrap();
    assert_eq!(report.requeued, Some("paused"));
    worker.queue.delete(&paused[0].1).await.unwrap();
    assert!(
        support::sms_with(&endpoint, &tag).is_empty(),
        "nothing sent while paused"
    );
    let caught = cloud::catch_up(&db, &sdk, &id).await.unwrap().unwrap();
    assert_eq!(
        (caught.state, caught.finished),
        (CampaignState::Paused, false)
    );

    steer::resume(&db, &sdk, &id).await.unwrap();
    let fresh = self::worker(&services, &sdk);
    local::drain(&fresh).await.unwrap();
    let caught = cloud::catch_up(&db, &sdk, &id).await.unwrap().unwrap();
    assert_eq!(
        (caught.state, caught.finished),
        (CampaignState::Completed, true)
    );
    assert_eq!(support::sms_with(&endpoint, &tag).len(), 30);

    // Cancelled before any worker got to it: everyone is skipped, by the workers.
    let db = Db::open_in_memory().unwrap();
    let (id, tag) = campaign(&db, 30).await;
    cloud::launch(&db, &services, &id, now_millis())
        .await
        .unwrap();
    steer::cancel(&db, &sdk, &id).await.unwrap();
    assert_eq!(
        support::count_status(&db, &id, "pending"),
        30,
        "settled by the workers"
    );
    local::drain(&self::worker(&services, &sdk)).await.unwrap();
    let caught = cloud::catch_up(&db, &sdk, &id).await.unwrap().unwrap();
    assert_eq!(
        (caught.state, caught.finished),
        (CampaignState::Cancelled, true)
    );
    let rows = support::statuses(&db, &id);
    assert!(
        rows.iter()
            .all(|r| r.1 == "skipped" && r.2.as_deref() == Some("cancelled")),
        "{rows:?}"
    );
    assert!(support::sms_with(&endpoint, &tag).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_cloud_run_starts_from_its_schedule_with_the_laptop_closed() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (mut services, sdk) = services(&endpoint, 1).await;
    let role = "arn:aws:iam::123456789012:role/stratus-campaign-scheduler";
    let scheduler = aws_sdk_scheduler::Client::new(&sdk);
    services.schedules = Some(RunSchedules::new(scheduler.clone(), role));
    let db = Db::open_in_memory().unwrap();
    let at = now_millis() + 3_600_000;
    let (id, tag) = scheduled_campaign(&db, 20, Some(at)).await;
    let launched = cloud::launch(&db, &services, &id, now_millis())
        .await
        .unwrap();
    assert!(launched.scheduled);
    assert_eq!(support::campaign_state(&db, &id), "scheduled");
    let worker = worker(&services, &sdk);
    assert!(
        worker
            .queue
            .receive(Duration::from_secs(1))
            .await
            .unwrap()
            .is_empty(),
        "nothing is queued before its time"
    );

    // A one-time schedule at the campaign's time, targeting the queue.
    let schedule = scheduler
        .get_schedule()
        .name(schedule_name(&launched.run_id))
        .send()
        .await
        .unwrap();
    let when = chrono::DateTime::from_timestamp_millis(at).unwrap();
    assert_eq!(
        schedule.schedule_expression(),
        Some(format!("at({})", when.format("%Y-%m-%dT%H:%M:%S")).as_str())
    );
    let target = schedule.target().unwrap();
    assert_eq!(target.arn(), services.queue.arn().await.unwrap());
    assert_eq!(target.role_arn(), role);

    // Its time comes: EventBridge puts the target's input on the queue.
    aws_sdk_sqs::Client::new(&sdk)
        .send_message()
        .queue_url(services.queue.url())
        .message_body(target.input().unwrap())
        .send()
        .await
        .unwrap();
    local::drain(&worker).await.unwrap();
    let caught = cloud::catch_up(&db, &sdk, &id).await.unwrap().unwrap();
    assert_eq!(
        (caught.state, caught.finished),
        (CampaignState::Completed, true)
    );
    assert_eq!(support::sms_with(&endpoint, &tag).len(), 20);

    // Cancelled before its time: settled here at once, the schedule gone.
    let db = Db::open_in_memory().unwrap();
    let (id, _) = scheduled_campaign(&db, 5, Some(at)).await;
    let launched = cloud::launch(&db, &services, &id, now_millis())
        .await
        .unwrap();
    steer::cancel(&db, &sdk, &id).await.unwrap();
    assert_eq!(support::count_status(&db, &id, "skipped"), 5);
    let gone = scheduler
        .get_schedule()
        .name(schedule_name(&launched.run_id))
        .send()
        .await;
    assert!(gone.is_err(), "the schedule is deleted");
}

/// A cloud launch freezes a behaviour segment's audience as a local one
/// does (the same `launch_in`): only who did it is uploaded. The event rows
/// are written in SQL over the shared schema here (this crate has no events
/// writer); the real sync writer is in `stratus-app/tests/behaviour_segments.rs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_launch_uploads_only_who_did_it() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (services, _sdk) = services(&endpoint, 2).await;
    let db = Db::open_in_memory().unwrap();
    let (id, _tag) = campaign(&db, 300).await;
    let now = now_millis();
    let campaign_id = id.clone();
    db.call_blocking(move |c| -> stratus_campaigns::Result<_> {
        // c-0001 … c-0040 ordered yesterday; c-0041 … c-0050 two months ago.
        for i in 1..=50 {
            let ts = if i <= 40 { now - 86_400_000 } else { now - 60 * 86_400_000 };
            c.execute(
                "INSERT INTO events (event_id, ts, received_at, event, type, distinct_id, batch, person)
                 VALUES (?1, ?2, ?2, 'Order Completed', 'track', ?3, 1, ?3)",
                (format!("e-{i}"), ts, format!("c-{i:04}")),
            )?;
        }
        c.execute(
            "UPDATE campaigns SET segment = 'did \"Order Completed\" within 30d' WHERE id = ?1",
            [&campaign_id],
        )?;
        Ok(())
    })
    .unwrap();
    let launched = cloud::launch(&db, &services, &id, now).await.unwrap();
    assert_eq!((launched.recipients, launched.chunks), (40, 1));
}
