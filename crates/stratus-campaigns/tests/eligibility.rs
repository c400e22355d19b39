#![allow(clippy::unwrap_used)]
//! One set of eligibility rules: the dry run names the reason the run
//! records, and the runner applies the rules again when it sends.

use std::collections::BTreeMap;
use std::sync::Arc;

use stratus_campaigns::campaign::{self, QuietHours, QuietMode};
use stratus_campaigns::dry_run::{self, DryRunOptions};
use stratus_campaigns::notifier::{OutboxConfig, OutboxNotifier};
use stratus_campaigns::run::RunSettings;

use stratus_core::db::Db;
use support::{sms_customer, spec, ScriptedNotifier};

mod support;

/// 2024-01-15 04:00 UTC: 23:00 in New York (quiet), 13:00 in Tokyo.
const AT: i64 = 1_705_291_200_000;

fn at_night_in_new_york() -> RunSettings {
    RunSettings {
        clock: || AT,
        ..support::fast_settings()
    }
}

async fn run(db: &Db, id: &str, notifier: Arc<dyn stratus_campaigns::notifier::Notifier>) {
    support::run_all(db, id, notifier, at_night_in_new_york()).await;
}

#[tokio::test]
async fn the_dry_run_names_the_reason_the_run_records() {
    let db = Db::open_in_memory().unwrap();
    let in_zone = |id: &str, phone: &str, zone: &str| {
        let mut c = sms_customer(id, id, phone);
        c.time_zone = zone.into();
        c
    };
    let mut no_consent = in_zone("c-2", "+12025550102", "Asia/Tokyo");
    no_consent.sms_opt_in = false;
    let mut no_phone = in_zone("c-3", "+12025550103", "Asia/Tokyo");
    no_phone.phone = None;
    support::insert(
        &db,
        &[
            in_zone("c-1", "+12025550101", "Asia/Tokyo"),
            no_consent,
            no_phone,
            // Opted out (ends in 99) and asleep: quiet hours come first,
            // as the runner checks them before it asks the provider.
            in_zone("c-4", "+12025550199", "America/New_York"),
            in_zone("c-5", "+819012345699", "Asia/Tokyo"),
            in_zone("c-6", "+12025550106", "America/New_York"),
        ],
    );
    let mut s = spec("Hi {{ first_name }}");
    s.quiet_hours = Some(QuietHours {
        start_minute: 21 * 60,
        end_minute: 8 * 60,
    });
    // Skip mode: the reason is recorded (waiting has its own tests).
    s.quiet_mode = QuietMode::Skip;
    let outbox = Arc::new(OutboxNotifier::new(db.clone(), OutboxConfig::instant()));
    let draft = campaign::create_draft(&db, s).await.unwrap();
    let options = DryRunOptions {
        now: AT,
        ..Default::default()
    };
    let report = dry_run::dry_run(&db, &draft.id, Some(outbox.as_ref()), options)
        .await
        .unwrap();
    let predicted: Vec<(&str, u64)> = report
        .skipped
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        predicted,
        [
            ("no_address", 1),
            ("not_opted_in", 1),
            ("opted_out", 1),
            ("quiet_hours", 2)
        ]
    );
    assert_eq!(report.eligible, 1);

    campaign::launch(&db, &draft.id).await.unwrap();
    run(&db, &draft.id, outbox).await;
    let mut recorded: BTreeMap<String, u64> = BTreeMap::new();
    for (_, status, reason, _) in support::statuses(&db, &draft.id) {
        if status == "skipped" {
            *recorded.entry(reason.unwrap()).or_default() += 1;
        }
    }
    assert_eq!(
        recorded, report.skipped,
        "the run skipped whom the dry run said"
    );
}

/// Ann (`c-1`) and Bo (`c-2`), both reachable, in a launched campaign.
async fn ann_and_bo_launched() -> (Db, String) {
    let db = Db::open_in_memory().unwrap();
    support::insert(
        &db,
        &[
            sms_customer("c-1", "Ann", "+12025550101"),
            sms_customer("c-2", "Bo", "+12025550102"),
        ],
    );
    let id = support::launched(&db, spec("Hi")).await;
    (db, id)
}

#[tokio::test]
async fn consent_withdrawn_after_launch_is_honoured_when_sending() {
    let (db, id) = ann_and_bo_launched().await;
    let mut bo = sms_customer("c-2", "Bo", "+12025550102");
    bo.sms_opt_in = false;
    support::insert(&db, &[bo]);
    let notifier = Arc::new(ScriptedNotifier::default());
    run(&db, &id, notifier.clone()).await;
    let rows = support::statuses(&db, &id);
    assert_eq!(
        (rows[1].1.as_str(), rows[1].2.as_deref()),
        ("skipped", Some("not_opted_in"))
    );
    let published = notifier.published.lock().unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].customer_id, "c-1");
}

#[tokio::test]
async fn a_customer_deleted_after_launch_is_skipped() {
    let (db, id) = ann_and_bo_launched().await;
    db.call_blocking(|c| -> stratus_campaigns::Result<_> {
        Ok(c.execute("DELETE FROM customers WHERE id = 'c-2'", [])?)
    })
    .unwrap();
    let notifier = Arc::new(ScriptedNotifier::default());
    run(&db, &id, notifier.clone()).await;
    let rows = support::statuses(&db, &id);
    assert_eq!(
        (rows[1].1.as_str(), rows[1].2.as_deref()),
        ("skipped", Some("customer_deleted"))
    );
    assert_eq!(notifier.published.lock().unwrap().len(), 1);
}
