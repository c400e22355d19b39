#![allow(clippy::unwrap_used)]
//! The campaign rules in cloud runs, against moto (S3, SQS, DynamoDB,
//! SNS) with the worker in this process and its clock pinned: quiet hours
//! that wait are sent at the window's end in the recipient's time zone
//! (judged again when each message leaves), quiet hours that skip are
//! judged when sending, and the frequency cap counts what every campaign
//! sent — cloud runs with or without a cap, and what this computer sent —
//! and a reservation on a stale read loses the last slot. The packaged
//! worker does the same in `stratus-gateway/tests/campaign_worker.rs`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use stratus_campaigns::campaign::{self, CampaignSpec, FrequencyCap, QuietHours, QuietMode};
use stratus_campaigns::cloud::sends::Reserve;
use stratus_campaigns::cloud::{self, queue::QueueMessage, scratch, CloudServices, Worker};
use stratus_campaigns::customer::Customer;
use stratus_campaigns::notifier::SnsNotifier;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::store::ObjectStore;

mod support;

/// 2026-01-15 03:00 UTC: 22:00 the evening before in New York, noon in Tokyo.
const NIGHT_IN_NEW_YORK: i64 = 1_768_446_000_000;
const HOUR: i64 = 3_600_000;
/// 08:00 in New York, the end of a 21:00–08:00 window.
const MORNING_IN_NEW_YORK: i64 = NIGHT_IN_NEW_YORK + 10 * HOUR;

async fn services(endpoint: &str) -> (CloudServices, aws_config::SdkConfig) {
    let sdk = support::sdk_config(endpoint).await;
    let name = stratus_core::testing::unique_bucket("rules");
    let target = scratch::provision(&sdk, &name, 1).await.unwrap();
    let bucket: Arc<dyn ObjectStore> = Arc::new(
        stratus_core::testing::fresh_s3_store(endpoint, "rules")
            .await
            .unwrap(),
    );
    (CloudServices::new(&sdk, &target, bucket), sdk)
}

fn worker(services: &CloudServices, sdk: &aws_config::SdkConfig, clock: fn() -> i64) -> Worker {
    let settings = cloud::WorkerSettings {
        // A waiting chunk is visible again at once: the pinned clock, not
        // SQS's delay, says whether it is due.
        quiet_recheck_max: Duration::ZERO,
        clock,
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

/// What the event source mapping does, once: every message visible now is
/// taken, then sent (messages put back meanwhile wait for the next pass).
async fn pass(worker: &Worker) -> Vec<cloud::ChunkReport> {
    let mut taken = Vec::new();
    loop {
        let batch = worker
            .queue
            .receive(Duration::from_secs(300))
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        taken.extend(batch);
    }
    let mut reports = Vec::new();
    for (body, receipt) in taken {
        match QueueMessage::parse(&body).unwrap() {
            QueueMessage::Chunk(chunk) => reports.push(worker.process(&chunk, None).await.unwrap()),
            QueueMessage::Start(start) => {
                worker.start(&start).await.unwrap();
            }
        }
        worker.queue.delete(&receipt).await.unwrap();
    }
    reports
}

/// `n` SMS customers in `zone`, ids `<prefix>-<i>`, numbers of their own.
fn people(prefix: &str, zone: &str, n: usize) -> Vec<Customer> {
    let block = support::unique_number_block();
    (0..n)
        .map(|i| {
            let mut c = support::sms_customer(
                &format!("{prefix}-{i:02}"),
                &format!("P{i}"),
                &format!("{block}{i:02}"),
            );
            c.time_zone = zone.into();
            c
        })
        .collect()
}

fn numbers(customers: &[Customer]) -> Vec<String> {
    customers.iter().map(|c| c.phone.clone().unwrap()).collect()
}

/// A draft whose texts carry a tag of their own.
async fn draft(db: &Db, edit: impl FnOnce(&mut CampaignSpec)) -> (String, String) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let mut spec = support::spec(&format!("Hi {{{{ first_name }}}} {tag}"));
    spec.rate_per_sec = 10_000.0;
    edit(&mut spec);
    (campaign::create_draft(db, spec).await.unwrap().id, tag)
}

fn night_hours(mode: QuietMode) -> impl FnOnce(&mut CampaignSpec) {
    move |spec| {
        spec.quiet_hours = Some(QuietHours {
            start_minute: 21 * 60,
            end_minute: 8 * 60,
        });
        spec.quiet_mode = mode;
    }
}

fn sent_to(endpoint: &str, tag: &str, who: &[Customer]) -> usize {
    let sent = support::sms_with(endpoint, tag);
    numbers(who).iter().filter_map(|n| sent.get(n)).sum()
}

/// Customers in New York and Tokyo, in the database.
fn two_zones(db: &Db, new_york: usize, tokyo: usize) -> (Vec<Customer>, Vec<Customer>) {
    let (ny, tk) = (
        people("ny", "America/New_York", new_york),
        people("tk", "Asia/Tokyo", tokyo),
    );
    support::insert(db, &ny);
    support::insert(db, &tk);
    (ny, tk)
}

static UPLOAD_CLOCK: AtomicI64 = AtomicI64::new(0);
fn upload_clock() -> i64 {
    UPLOAD_CLOCK.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipients_in_quiet_hours_wait_in_the_cloud_for_their_windows_end() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (services, sdk) = services(&endpoint).await;
    let db = Db::open_in_memory().unwrap();
    let (new_york, tokyo) = two_zones(&db, 30, 20);
    let (id, tag) = draft(&db, night_hours(QuietMode::Wait)).await;

    // Launched at 22:00 in New York: those wait, Tokyo (noon) does not.
    let launched = cloud::launch(&db, &services, &id, NIGHT_IN_NEW_YORK)
        .await
        .unwrap();
    assert_eq!((launched.recipients, launched.waiting), (50, 30));
    assert_eq!(launched.chunks, 2, "one chunk per wake time");
    // The rows say who waits and until when (the run view's "waiting
    // for quiet hours").
    let key = id.clone();
    let waiting: i64 = db
        .call_blocking(move |c| -> stratus_campaigns::Result<i64> {
            Ok(c.query_row(
                "SELECT count(*) FROM recipients WHERE campaign_id = ?1 AND status = 'pending'
                   AND reason = 'quiet_hours' AND not_before = ?2",
                rusqlite::params![key, MORNING_IN_NEW_YORK],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(waiting, 30);

    // The workers at 23:00: Tokyo is sent, New York's chunk goes back.
    UPLOAD_CLOCK.store(NIGHT_IN_NEW_YORK + HOUR, Ordering::SeqCst);
    let worker = worker(&services, &sdk, upload_clock);
    let reports = pass(&worker).await;
    assert_eq!(reports.iter().map(|r| r.sent).sum::<u64>(), 20);
    assert!(reports.iter().any(|r| r.requeued == Some("quiet_hours")));
    assert_eq!(sent_to(&endpoint, &tag, &tokyo), 20);
    assert_eq!(sent_to(&endpoint, &tag, &new_york), 0, "not in quiet hours");
    // Still night a minute before the end: nothing leaves.
    UPLOAD_CLOCK.store(MORNING_IN_NEW_YORK - 60_000, Ordering::SeqCst);
    pass(&worker).await;
    assert_eq!(sent_to(&endpoint, &tag, &new_york), 0);

    // 08:00 in New York: they go, once each.
    UPLOAD_CLOCK.store(MORNING_IN_NEW_YORK, Ordering::SeqCst);
    let reports = pass(&worker).await;
    assert_eq!(reports.iter().map(|r| r.sent).sum::<u64>(), 30);
    let sent = support::sms_with(&endpoint, &tag);
    assert_eq!(sent.len(), 50);
    assert!(sent.values().all(|&n| n == 1));
    assert!(pass(&worker).await.is_empty(), "nothing left on the queue");
    let caught = cloud::catch_up(&db, &sdk, &id).await.unwrap().unwrap();
    assert!(caught.finished, "{caught:?}");
    assert_eq!(support::count_status(&db, &id, "sent"), 50);
}

static SEND_CLOCK: AtomicI64 = AtomicI64::new(0);
fn send_clock() -> i64 {
    SEND_CLOCK.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_are_judged_again_when_each_message_leaves() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (services, sdk) = services(&endpoint).await;
    let db = Db::open_in_memory().unwrap();
    let (new_york, _tokyo) = two_zones(&db, 10, 10);
    let (waits, wait_tag) = draft(&db, night_hours(QuietMode::Wait)).await;
    let (skips, skip_tag) = draft(&db, night_hours(QuietMode::Skip)).await;

    // Uploaded at 20:00 in New York: nobody is in quiet hours yet, and
    // nobody is skipped for them at the upload.
    for id in [&waits, &skips] {
        let launched = cloud::launch(&db, &services, id, NIGHT_IN_NEW_YORK - 2 * HOUR)
            .await
            .unwrap();
        assert_eq!((launched.waiting, launched.settled_here), (0, 0));
        assert_eq!(launched.chunks, 1);
    }
    // The chunks are sent at 22:00 (a paused run, a slow rate): New York
    // is in quiet hours by then.
    SEND_CLOCK.store(NIGHT_IN_NEW_YORK, Ordering::SeqCst);
    let worker = worker(&services, &sdk, send_clock);
    let reports = pass(&worker).await;
    assert_eq!(
        reports.iter().map(|r| r.sent).sum::<u64>(),
        20,
        "Tokyo, twice"
    );
    assert_eq!(reports.iter().map(|r| r.waiting).sum::<u64>(), 10);
    assert_eq!(sent_to(&endpoint, &wait_tag, &new_york), 0);
    assert_eq!(sent_to(&endpoint, &skip_tag, &new_york), 0);
    let skipped = cloud::catch_up(&db, &sdk, &skips).await.unwrap().unwrap();
    assert!(skipped.finished);
    let rows = support::statuses(&db, &skips);
    let quiet: Vec<_> = rows
        .iter()
        .filter(|r| r.1 == "skipped" && r.2.as_deref() == Some("quiet_hours"))
        .collect();
    assert_eq!(quiet.len(), 10, "{rows:?}");

    // Morning: only the ten still waiting are sent, once.
    SEND_CLOCK.store(MORNING_IN_NEW_YORK, Ordering::SeqCst);
    let reports = pass(&worker).await;
    assert_eq!(
        reports
            .iter()
            .map(|r| (r.sent, r.already))
            .collect::<Vec<_>>(),
        [(10, 0)]
    );
    assert_eq!(sent_to(&endpoint, &wait_tag, &new_york), 10);
    assert!(support::sms_with(&endpoint, &wait_tag)
        .values()
        .all(|&n| n == 1));
    assert!(
        cloud::catch_up(&db, &sdk, &waits)
            .await
            .unwrap()
            .unwrap()
            .finished
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_frequency_cap_counts_every_campaigns_sends_local_and_cloud() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (services, sdk) = services(&endpoint).await;
    let db = Db::open_in_memory().unwrap();
    let all = people("cap", "UTC", 10);
    support::insert(&db, &all);
    let (local, rest) = all.split_at(3);
    let now = now_millis();

    // This computer sent an earlier campaign to the first three yesterday.
    let (earlier, _) = draft(&db, |_| {}).await;
    let ids: Vec<String> = local.iter().map(|c| c.id.clone()).collect();
    db.call_blocking(move |c| -> stratus_campaigns::Result<()> {
        for customer in &ids {
            c.execute(
                "INSERT INTO recipients (campaign_id, customer_id, status, updated_at)
                 VALUES (?1, ?2, 'sent', ?3)",
                rusqlite::params![earlier, customer, now - 86_400_000],
            )?;
        }
        Ok(())
    })
    .unwrap();
    let worker = worker(&services, &sdk, now_millis);

    // A cloud campaign without a cap reaches everyone; its sends count.
    let (open, open_tag) = draft(&db, |_| {}).await;
    cloud::launch(&db, &services, &open, now).await.unwrap();
    pass(&worker).await;
    assert_eq!(support::sms_with(&endpoint, &open_tag).len(), 10);

    // At most 2 per 7 days: the first three had 2 already (one local, one
    // cloud), the others 1.
    let two_a_week = |spec: &mut CampaignSpec| {
        spec.frequency_cap = Some(FrequencyCap {
            messages: 2,
            days: 7,
        })
    };
    let (capped, capped_tag) = draft(&db, two_a_week).await;
    cloud::launch(&db, &services, &capped, now).await.unwrap();
    let reports = pass(&worker).await;
    assert_eq!((reports[0].sent, reports[0].skipped), (7, 3));
    assert_eq!(sent_to(&endpoint, &capped_tag, local), 0);
    assert_eq!(sent_to(&endpoint, &capped_tag, rest), 7);
    assert!(
        cloud::catch_up(&db, &sdk, &capped)
            .await
            .unwrap()
            .unwrap()
            .finished
    );
    let rows = support::statuses(&db, &capped);
    for r in rows.iter().filter(|r| r.1 == "skipped") {
        assert_eq!(r.2.as_deref(), Some("frequency_cap"), "{r:?}");
    }

    // The capped campaign's own sends count for the next one: nobody left.
    let (third, third_tag) = draft(&db, two_a_week).await;
    cloud::launch(&db, &services, &third, now).await.unwrap();
    let reports = pass(&worker).await;
    assert_eq!((reports[0].sent, reports[0].skipped), (0, 10));
    assert!(support::sms_with(&endpoint, &third_tag).is_empty());
}

/// Two workers of two campaigns capped at one message a week, after the
/// same customer's last slot: the one whose read went stale loses and
/// reads again. (Run truly at once against moto, both can win: moto does
/// not make a conditional write atomic with concurrent requests, unlike
/// DynamoDB. So the interleaving is staged here, step by step.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reservation_on_a_stale_read_loses_the_race_for_the_last_slot() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let (services, _) = services(&endpoint).await;
    let marks = &services.marks;
    let once_a_week = FrequencyCap {
        messages: 1,
        days: 7,
    };
    let now = now_millis();
    for customer in ["fresh", "known"] {
        if customer == "known" {
            // An older send of another campaign, out of the window.
            marks
                .seed_sends(customer, &[("old".into(), now - 30 * 86_400_000)], now)
                .await
                .unwrap();
        }
        // Both read the item before either writes.
        let (seen_a, seen_b) = (
            marks.sends(customer).await.unwrap(),
            marks.sends(customer).await.unwrap(),
        );
        let reserve =
            |campaign, seen| marks.try_reserve(customer, campaign, once_a_week, now, seen);
        assert_eq!(reserve("a", &seen_a).await.unwrap(), Reserve::Reserved);
        assert_eq!(
            reserve("b", &seen_b).await.unwrap(),
            Reserve::Lost,
            "{customer}: b read before a wrote"
        );
        // Read again, b sees a's send: the week's one message.
        assert!(!marks
            .reserve_send(customer, "b", once_a_week, now)
            .await
            .unwrap());
        // a's own reservation (a redelivery) is still its own.
        assert!(marks
            .reserve_send(customer, "a", once_a_week, now)
            .await
            .unwrap());
        // A send that did not happen is forgotten: b may go.
        marks.forget_send(customer, "a").await.unwrap();
        assert!(marks
            .reserve_send(customer, "b", once_a_week, now)
            .await
            .unwrap());
    }
}
