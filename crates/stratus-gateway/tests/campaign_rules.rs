//! The campaign rules in the packaged worker (the Lambda `bootstrap`
//! behind the Runtime API emulator, fed from a real queue on moto as the
//! event source mapping feeds it), on the real clock:
//! - quiet hours that wait: recipients whose window is on at the launch
//!   are put back on the queue with SQS's delay and sent when it ends,
//!   never before (their marks say when), the others at once;
//! - the frequency cap: counted across a local run (what the desktop
//!   seeds at the upload), an uncapped cloud run and the capped one,
//!   skipped ones recorded `frequency_cap` and caught up on the desktop.

#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used)]

mod package;
mod runtime_api;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use package::{answer, package, sdk, sqs_event, start_function, unpack, Function};
use runtime_api::RuntimeApi;
use stratus_campaigns::campaign::{self, CampaignSpec, Channel, FrequencyCap, QuietHours};
use stratus_campaigns::cloud::{self, scratch, CloudServices};
use stratus_campaigns::customer::{self, Customer};
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::store::{ObjectStore, S3Store};
use stratus_core::testing;

const PATIENCE: Duration = Duration::from_secs(300);
const MINUTE: i64 = 60_000;

/// A cloud target, the desktop's database and the packaged worker.
struct Stage {
    endpoint: String,
    desktop: aws_config::SdkConfig,
    services: CloudServices,
    db: Db,
    api: Arc<RuntimeApi>,
    log: std::path::PathBuf,
    _function: Function,
    _task: tempfile::TempDir,
}

async fn stage() -> Option<Stage> {
    let zip = package()?;
    let endpoint = testing::endpoint()?;
    let task = tempfile::tempdir().unwrap();
    unpack(&zip, task.path());
    let desktop = sdk(&endpoint).await;
    let name = testing::unique_bucket("rules");
    let target = scratch::provision(&desktop, &name, 1).await.unwrap();
    let s3 = testing::s3_client(&endpoint);
    s3.create_bucket().bucket(&name).send().await.unwrap();
    let manifests: Arc<dyn ObjectStore> = Arc::new(S3Store::new(s3, name.clone(), &endpoint));
    let services = CloudServices::new(&desktop, &target, manifests);
    let env = [
        ("STRATUS_CAMPAIGN_TABLE", name.as_str()),
        ("STRATUS_CAMPAIGN_QUEUE_URL", target.queue_url.as_str()),
        ("STRATUS_CAMPAIGN_BUCKET", name.as_str()),
    ];
    let api = Arc::new(RuntimeApi::start().await);
    let function = start_function(task.path(), &api, &endpoint, &env);
    let db = Db::open(&task.path().join("desktop.sqlite")).unwrap();
    Some(Stage {
        log: task.path().join("function.log"),
        endpoint,
        desktop,
        services,
        db,
        api,
        _function: function,
        _task: task,
    })
}

impl Stage {
    /// What the event source mapping does until `done` and the queue is
    /// empty: receive (long-polling, so a message delayed until a
    /// window's end is taken as soon as SQS shows it), invoke, delete on
    /// success. How many invocations it took.
    async fn feed(&self, done: impl Fn() -> bool) -> usize {
        let mut invocations = 0;
        // 20 s long polls: a delayed chunk is at most 15 minutes away.
        for _ in 0..50 {
            let batch = self
                .services
                .queue
                .receive_within(Duration::from_secs(900), Duration::from_secs(20))
                .await
                .unwrap();
            if batch.is_empty() && done() {
                return invocations;
            }
            for (body, receipt) in batch {
                invocations += 1;
                let event = sqs_event(&format!("m-{invocations}"), &receipt, &body);
                let done = answer(self.api.invoke(&event, PATIENCE).await, &self.log);
                assert_eq!(done["batchItemFailures"], serde_json::json!([]), "{done}");
                self.services.queue.delete(&receipt).await.unwrap();
            }
        }
        panic!("the queue never emptied")
    }

    /// Texts moto's SNS accepted that carry `tag`, by number.
    fn sms_with(&self, tag: &str) -> HashMap<String, usize> {
        let mut by_number = HashMap::new();
        for (number, text) in testing::moto_sms(&self.endpoint) {
            if text.contains(tag) {
                *by_number.entry(number).or_default() += 1;
            }
        }
        by_number
    }
}

/// `n` SMS customers in `zone`, numbers of their own.
fn people(prefix: &str, zone: &str, n: usize) -> Vec<Customer> {
    let block = 200 + (uuid::Uuid::now_v7().as_u128() % 700) as usize;
    (0..n)
        .map(|i| {
            let mut c = Customer::new(format!("{prefix}-{i:02}"), format!("P{i} Test"));
            c.phone = Some(format!("+1720{block:03}{:04}", 1000 + i));
            c.sms_opt_in = true;
            c.time_zone = zone.into();
            c.points = i as i64;
            c
        })
        .collect()
}

fn insert(db: &Db, customers: &[Customer]) {
    let customers = customers.to_vec();
    db.call_blocking(move |c| -> stratus_campaigns::Result<()> {
        for cust in &customers {
            customer::upsert(c, cust, 1)?;
        }
        Ok(())
    })
    .unwrap();
}

async fn draft(db: &Db, segment: &str, edit: impl FnOnce(&mut CampaignSpec)) -> (String, String) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let mut spec = CampaignSpec::new(
        "Rules",
        Channel::Sms,
        segment,
        &format!("Hi {{{{ first_name }}}} {tag}"),
    );
    spec.rate_per_sec = 10_000.0;
    edit(&mut spec);
    (campaign::create_draft(db, spec).await.unwrap().id, tag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_worker_holds_recipients_until_their_quiet_hours_end() {
    let Some(stage) = stage().await else {
        return;
    };
    // A window from this UTC minute to the start of the minute after the
    // next: on now in UTC, ending 1–2 minutes from now; twelve hours
    // away for customers in UTC+12.
    let now = now_millis();
    let minute = ((now / MINUTE) % 1440) as u16;
    let window = QuietHours {
        start_minute: minute,
        end_minute: (minute + 2) % 1440,
    };
    let ends = (now / MINUTE + 2) * MINUTE;
    let (sleeping, awake) = (people("utc", "UTC", 12), people("nz", "Etc/GMT-12", 8));
    insert(&stage.db, &sleeping);
    insert(&stage.db, &awake);
    let (id, tag) = draft(&stage.db, "", |spec| spec.quiet_hours = Some(window)).await;
    let launched = cloud::launch(&stage.db, &stage.services, &id, now)
        .await
        .unwrap();
    assert_eq!((launched.recipients, launched.waiting), (20, 12));
    assert_eq!(launched.chunks, 2);

    // Two chunks; the waiting one comes back (at least once) when SQS
    // shows it again at the window's end.
    let invocations = stage.feed(|| stage.sms_with(&tag).len() == 20).await;
    assert!(
        invocations >= 3,
        "the waiting chunk was put back: {invocations}"
    );
    let sent = stage.sms_with(&tag);
    assert_eq!(sent.len(), 20);
    assert!(sent.values().all(|&n| n == 1));
    // Nobody in UTC was sent before the end of their window.
    for c in &sleeping {
        let mark = stage
            .services
            .marks
            .get(&launched.run_id, &c.id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            mark.changed >= ends,
            "{} sent at {} < {ends}",
            c.id,
            mark.changed
        );
    }
    let caught = cloud::catch_up(&stage.db, &stage.desktop, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(caught.finished, "{caught:?}");
    assert_eq!(stage.api.init_error(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_worker_enforces_the_frequency_cap_across_local_and_cloud_runs() {
    let Some(stage) = stage().await else {
        return;
    };
    let all = people("cap", "UTC", 10);
    insert(&stage.db, &all);

    // A local run (this computer, straight to moto's SNS) reaches the
    // first three (points 0–2).
    let (local, _) = draft(&stage.db, "points < 3", |_| {}).await;
    let notifier = Arc::new(stratus_campaigns::notifier::SnsNotifier::new(
        &stage.desktop,
    ));
    let request = stratus_campaigns::run::RunRequest::new(&stage.db, &local, notifier);
    stratus_campaigns::run::run_to_end(&request, |_| {}, &Default::default())
        .await
        .unwrap();

    // A cloud run without a cap reaches everyone.
    let (open, open_tag) = draft(&stage.db, "", |_| {}).await;
    cloud::launch(&stage.db, &stage.services, &open, now_millis())
        .await
        .unwrap();
    stage.feed(|| true).await;
    assert_eq!(stage.sms_with(&open_tag).len(), 10);

    // At most 2 within 7 days: the first three have had 2 (local + cloud).
    let (capped, capped_tag) = draft(&stage.db, "", |spec| {
        spec.frequency_cap = Some(FrequencyCap {
            messages: 2,
            days: 7,
        })
    })
    .await;
    cloud::launch(&stage.db, &stage.services, &capped, now_millis())
        .await
        .unwrap();
    stage.feed(|| true).await;
    let sent = stage.sms_with(&capped_tag);
    assert_eq!(sent.len(), 7);
    for c in &all[..3] {
        assert!(!sent.contains_key(c.phone.as_deref().unwrap()), "{}", c.id);
    }
    let caught = cloud::catch_up(&stage.db, &stage.desktop, &capped)
        .await
        .unwrap()
        .unwrap();
    assert!(caught.finished);
    let summary = stratus_campaigns::run::progress_summary(&stage.db, &capped)
        .await
        .unwrap();
    assert_eq!((summary.counts.sent, summary.counts.skipped), (7, 3));
    assert_eq!(
        summary.reasons.get("frequency_cap"),
        Some(&3),
        "{summary:?}"
    );
    assert_eq!(stage.api.init_error(), None);
}
