#![allow(clippy::unwrap_used)]
//! Campaign rules: quiet hours that wait (and still skip when asked), the
//! frequency cap across campaigns, badges announced once, and the
//! profile's level table in segments and messages.

use std::sync::{Arc, Mutex, OnceLock};

use stratus_campaigns::campaign::{self, FrequencyCap, QuietHours, QuietMode};
use stratus_campaigns::customer::{self, Customer};
use stratus_campaigns::dry_run::{self, DryRunOptions};
use stratus_campaigns::gamify::{self, LevelTable};
use stratus_campaigns::notifier::{MessageId, Notifier, NotifyError, OutboundMessage};
use stratus_campaigns::run::{self, RunControl, RunRequest, RunSettings};
use stratus_campaigns::{segment, template};
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::jobs::{CancellationToken, Progress};
use support::{sms_customer, spec, ScriptedNotifier, Step};

mod support;

/// 2024-01-15 04:00 UTC: 23:00 in New York (quiet until 08:00 = 13:00 UTC),
/// 13:00 in Tokyo.
const AT: i64 = 1_705_291_200_000;
const NEW_YORK_MORNING: i64 = AT + 9 * 3_600_000;

/// The run's clock for the waiting test: `AT` plus the time the test's
/// (paused, auto-advancing) tokio clock has moved, so the runner's sleep
/// until the window's end is what moves the clock there — no real sleep.
fn moving_clock() -> i64 {
    static START: OnceLock<tokio::time::Instant> = OnceLock::new();
    let start = START.get_or_init(tokio::time::Instant::now);
    AT + i64::try_from(start.elapsed().as_millis()).unwrap()
}

/// Records when (by the run's clock) each customer's message was published.
struct TimedNotifier {
    clock: fn() -> i64,
    published: Mutex<Vec<(String, i64)>>,
}

#[async_trait::async_trait]
impl Notifier for TimedNotifier {
    async fn publish(&self, message: &OutboundMessage) -> Result<MessageId, NotifyError> {
        let mut published = self.published.lock().unwrap();
        published.push((message.customer_id.clone(), (self.clock)()));
        Ok(format!("msg-{}", published.len()))
    }

    async fn is_opted_out(&self, _phone: &str) -> Result<bool, NotifyError> {
        Ok(false)
    }
}

fn in_zone(id: &str, phone: &str, zone: &str) -> Customer {
    let mut c = sms_customer(id, id, phone);
    c.time_zone = zone.into();
    c
}

fn night_quiet_hours() -> Option<QuietHours> {
    Some(QuietHours {
        start_minute: 21 * 60,
        end_minute: 8 * 60,
    })
}

#[tokio::test(start_paused = true)]
async fn a_recipient_in_quiet_hours_waits_and_is_sent_after_the_window() {
    moving_clock();
    let db = Db::open_in_memory().unwrap();
    support::insert(
        &db,
        &[
            in_zone("ny", "+12025550101", "America/New_York"),
            in_zone("tokyo", "+819012345678", "Asia/Tokyo"),
        ],
    );
    let mut s = spec("Hi {{ first_name }}");
    s.quiet_hours = night_quiet_hours();
    assert_eq!(s.quiet_mode, QuietMode::Wait, "waiting is the default");
    let draft = campaign::create_draft(&db, s).await.unwrap();

    let options = DryRunOptions {
        now: AT,
        ..Default::default()
    };
    let report = dry_run::dry_run(&db, &draft.id, None, options)
        .await
        .unwrap();
    assert_eq!((report.eligible, report.waiting), (2, 1));
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert!(
        report.estimated_finish_at >= NEW_YORK_MORNING,
        "the finish is after New York's window: {}",
        report.estimated_finish_at
    );

    campaign::launch(&db, &draft.id).await.unwrap();
    let notifier = Arc::new(TimedNotifier {
        clock: moving_clock,
        published: Mutex::default(),
    });
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&lines);
    let settings = RunSettings {
        clock: moving_clock,
        // Paused time jumps from timer to timer: a report every 10 minutes
        // of the night, not every 20 ms of it.
        progress_every: std::time::Duration::from_secs(600),
        ..support::fast_settings()
    };
    let outcome = run::run_with_control(
        &RunRequest::new(&db, &draft.id, notifier.clone()).with_settings(settings),
        &RunControl::new(100.0, 1),
        move |p: Progress| seen.lock().unwrap().push(p.message.clone()),
        &CancellationToken::new(),
    )
    .await
    .unwrap();

    assert_eq!(outcome.counts.sent, 2);
    assert_eq!(outcome.counts.skipped, 0);
    let published = notifier.published.lock().unwrap().clone();
    assert_eq!(published[0].0, "tokyo");
    assert!(published[0].1 < AT + 60_000, "Tokyo at once: {published:?}");
    assert_eq!(published[1].0, "ny");
    assert!(
        (NEW_YORK_MORNING..NEW_YORK_MORNING + 120_000).contains(&published[1].1),
        "New York when its quiet hours ended: {published:?}"
    );
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.contains(
            "waiting for quiet hours to end in 1 time zone (1 recipient, next at 2024-01-15 13:00 UTC)"
        )),
        "the progress says who waits: {lines:#?}"
    );
}

#[tokio::test]
async fn a_waiting_run_says_so_in_its_status_and_a_cancel_settles_it() {
    let db = Db::open_in_memory().unwrap();
    support::insert(
        &db,
        &[
            in_zone("utc", "+12025550101", "UTC"),
            in_zone("east", "+12025550102", "Etc/GMT-1"),
        ],
    );
    // Quiet hours around the present, by the real clock the status reads:
    // from an hour ago (UTC) until three hours from now, so both wait.
    let minute_now = u16::try_from(now_millis() / 60_000 % 1440).unwrap();
    let mut s = spec("Hi");
    s.quiet_hours = Some(QuietHours {
        start_minute: (minute_now + 1440 - 60) % 1440,
        end_minute: (minute_now + 180) % 1440,
    });
    let id = support::launched(&db, s).await;
    let settings = support::fast_settings();
    let notifier = Arc::new(ScriptedNotifier::default());
    let cancel = CancellationToken::new();
    let runner = tokio::spawn({
        let (db, id, cancel) = (db.clone(), id.clone(), cancel.clone());
        let notifier = notifier.clone();
        async move {
            run::run_with_control(
                &RunRequest::new(&db, &id, notifier).with_settings(settings),
                &RunControl::new(100.0, 1),
                |_| {},
                &cancel,
            )
            .await
        }
    });
    let waiting_rows = |db: &Db, id: &str| {
        let id = id.to_string();
        db.call_blocking(move |c| -> stratus_campaigns::Result<i64> {
            Ok(c.query_row(
                "SELECT count(*) FROM recipients WHERE campaign_id = ?1 AND status = 'pending' AND not_before IS NOT NULL",
                [id],
                |r| r.get(0),
            )?)
        })
        .unwrap()
    };
    support::wait_until("both deferred", || waiting_rows(&db, &id) == 2).await;
    let status = run::status(&db, &id).await.unwrap();
    let waiting = status.summary.waiting.clone().unwrap();
    assert_eq!((waiting.recipients, waiting.time_zones), (2, 2));
    assert!(status
        .to_progress()
        .message
        .contains("waiting for quiet hours to end in 2 time zones"));
    cancel.cancel();
    let outcome = runner.await.unwrap().unwrap();
    assert_eq!(outcome.counts.skipped, 2, "a cancel settles waiting rows");
    assert_eq!(notifier.published.lock().unwrap().len(), 0);
}

async fn send_campaign(db: &Db, s: campaign::CampaignSpec, notifier: Arc<dyn Notifier>) -> String {
    let id = support::launched(db, s).await;
    support::run_all(db, &id, notifier, support::fast_settings()).await;
    id
}

#[tokio::test]
async fn the_frequency_cap_counts_what_every_campaign_sent() {
    let db = Db::open_in_memory().unwrap();
    support::insert(
        &db,
        &[
            sms_customer("ann", "Ann", "+12025550101"),
            sms_customer("bo", "Bo", "+12025550102"),
            sms_customer("cy", "Cy", "+12025550103"),
        ],
    );
    let notifier = Arc::new(ScriptedNotifier::default());
    let mut first = spec("Hello");
    first.segment = "id in [ann, bo]".into();
    send_campaign(&db, first, notifier.clone()).await;
    // Ann's first message was sent long ago: outside any 7-day window.
    db.call_blocking(|c| -> stratus_campaigns::Result<_> {
        Ok(c.execute(
            "UPDATE recipients SET updated_at = updated_at - 8 * 86400000 WHERE customer_id = 'ann'",
            [],
        )?)
    })
    .unwrap();

    let mut capped = spec("Again");
    capped.frequency_cap = Some(FrequencyCap {
        messages: 1,
        days: 7,
    });
    let draft = campaign::create_draft(&db, capped.clone()).await.unwrap();
    let report = dry_run::dry_run(&db, &draft.id, None, DryRunOptions::default())
        .await
        .unwrap();
    assert_eq!(
        report.skipped.get("frequency_cap"),
        Some(&1),
        "Bo, predicted"
    );
    assert_eq!(report.eligible, 2);

    let id = send_campaign(&db, capped.clone(), notifier.clone()).await;
    let reasons: Vec<String> = support::statuses(&db, &id)
        .into_iter()
        .map(|(customer, status, reason, _)| format!("{customer} {status} {reason:?}"))
        .collect();
    assert_eq!(
        reasons,
        [
            "ann sent None",
            "bo skipped Some(\"frequency_cap\")",
            "cy sent None"
        ]
    );

    // A third campaign with a cap of 2: Ann and Cy now have one recent
    // message each (from the second campaign), Bo one (from the first).
    capped.frequency_cap = Some(FrequencyCap {
        messages: 2,
        days: 7,
    });
    let id = send_campaign(&db, capped.clone(), notifier.clone()).await;
    assert_eq!(support::count_status(&db, &id, "sent"), 3);
    let id = send_campaign(&db, capped, notifier.clone()).await;
    assert_eq!(
        support::count_status(&db, &id, "skipped"),
        3,
        "two recent messages each, across two campaigns"
    );
}

#[tokio::test]
async fn badges_are_announced_once_across_campaigns() {
    let db = Db::open_in_memory().unwrap();
    let mut ann = sms_customer("ann", "Ann", "+12025550101");
    ann.badges = vec!["early-bird".into(), "streak-7".into()];
    ann.badges_notified = vec!["early-bird".into()];
    let mut bo = sms_customer("bo", "Bo", "+12025550102");
    bo.badges = vec!["explorer".into()];
    support::insert(&db, &[ann, bo]);
    let announcing =
        "Hi {{ first_name }}!{% for b in new_badges %} New badge: {{ b }}.{% endfor %}";

    // A template that does not read `new_badges` announces nothing.
    let quiet = Arc::new(ScriptedNotifier::default());
    send_campaign(&db, spec("Hi {{ first_name }}"), quiet).await;
    // Bo's publish is refused for good: nothing reached him, nothing is announced.
    let first = ScriptedNotifier::with_script(vec![(
        "+12025550102",
        vec![Step::Fail(NotifyError::Permanent {
            code: "InvalidParameter".into(),
            message: "refused".into(),
        })],
    )]);
    send_campaign(&db, spec(announcing), first.clone()).await;
    let second = Arc::new(ScriptedNotifier::default());
    send_campaign(&db, spec(announcing), second.clone()).await;

    let bodies = |n: &ScriptedNotifier| -> Vec<String> {
        let mut bodies: Vec<String> = n
            .published
            .lock()
            .unwrap()
            .iter()
            .map(|m| m.body.clone())
            .collect();
        bodies.sort();
        bodies
    };
    assert_eq!(bodies(&first), ["Hi Ann! New badge: streak-7."]);
    assert_eq!(
        bodies(&second),
        ["Hi Ann!", "Hi Bo! New badge: explorer."],
        "Ann heard of streak-7 once; Bo never got the first message"
    );
    let (ann, bo) = db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            Ok((customer::get(c, "ann")?, customer::get(c, "bo")?))
        })
        .unwrap();
    let mut announced = ann.badges_notified.clone();
    announced.sort();
    assert_eq!(announced, ["early-bird", "streak-7"]);
    assert_eq!(bo.badges_notified, ["explorer"]);
}

#[tokio::test]
async fn an_edited_level_table_changes_segments_and_messages() {
    let db = Db::open_in_memory().unwrap();
    let mut ann = sms_customer("ann", "Ann", "+12025550101");
    ann.points = 1_500;
    ann.level = "bronze".into(); // an imported column the table overrides
    let mut bo = sms_customer("bo", "Bo", "+12025550102");
    bo.points = 600;
    support::insert(&db, &[ann, bo]);
    let source = "{{ first_name }} is {{ level }}; {{ points_to_next_level }} to {{ next_level }}";

    assert_eq!(segment::count(&db, "level = gold").await.unwrap(), 0);
    assert_eq!(segment::count(&db, "level = silver").await.unwrap(), 2);
    let before = template::preview(&db, source, "ann").await.unwrap();
    assert_eq!(before.text, "Ann is silver; 500 to gold");

    let edited = LevelTable::parse("rookie=0, silver=500, gold=1000, legend=5000").unwrap();
    gamify::set_levels(&db, edited.clone()).await.unwrap();
    assert_eq!(gamify::levels(&db).await.unwrap(), edited);

    assert_eq!(segment::count(&db, "level = gold").await.unwrap(), 1);
    assert_eq!(segment::count(&db, "level = silver").await.unwrap(), 1);
    let after = template::preview(&db, source, "ann").await.unwrap();
    assert_eq!(after.text, "Ann is gold; 3500 to legend");

    // The run renders with the same table.
    let notifier = Arc::new(ScriptedNotifier::default());
    let mut gold = spec(source);
    gold.segment = "level = gold".into();
    send_campaign(&db, gold, notifier.clone()).await;
    let published = notifier.published.lock().unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].body, "Ann is gold; 3500 to legend");
}
