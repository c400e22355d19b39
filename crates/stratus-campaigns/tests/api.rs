#![allow(clippy::unwrap_used)]
//! The API the CLI and the app share: dry run, test send, recipient pages
//! and export, error groups.

use std::sync::Arc;

use stratus_campaigns::campaign::{self, Channel};
use stratus_campaigns::dry_run::{self, DryRunOptions};
use stratus_campaigns::notifier::{NotifyError, OutboxConfig, OutboxNotifier};
use stratus_campaigns::recipients::RecipientStatus;
use stratus_campaigns::recipients::{self, RecipientFilter};
use stratus_campaigns::run::{self, RunControl, RunRequest};

use stratus_campaigns::sms::SmsEncoding;
use stratus_campaigns::test_send::{self, TestContent, TestSend};
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use support::{customers, sms_customer, spec, ScriptedNotifier, Step};

mod support;

fn outbox_rows(db: &Db) -> Vec<(String, String)> {
    db.call_blocking(|c| -> stratus_campaigns::Result<_> {
        let mut stmt =
            c.prepare("SELECT address, body FROM outbox ORDER BY sent_at, message_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
    .unwrap()
}

#[tokio::test]
async fn dry_run_counts_who_is_left_out_and_why_and_prices_the_parts() {
    let db = Db::open_in_memory().unwrap();
    let mut not_opted_in = sms_customer("c-3", "Cy", "+12025550103");
    not_opted_in.sms_opt_in = false;
    let mut no_phone = sms_customer("c-4", "Di", "+12025550104");
    no_phone.phone = None;
    let mut gold = sms_customer("c-7", "Gil", "+12025550107");
    // Gold by points (the level table), whatever the imported column says.
    gold.points = 2_000;
    support::insert(
        &db,
        &[
            sms_customer("c-1", "Ann Lee", "+12025550101"),
            sms_customer("c-2", "Zoë Roy", "+12025550102"),
            not_opted_in,
            no_phone,
            sms_customer("c-5", "Ed", "+1555"),
            sms_customer("c-6", "Flo", "+12025550199"),
            gold,
            sms_customer("c-8", &"L".repeat(170), "+12025550108"),
        ],
    );
    let mut s = spec("Hi {{ first_name }}, you have {{ points }} points");
    s.segment = "level = bronze".into();
    s.rate_per_sec = 2.0;
    let draft = campaign::create_draft(&db, s).await.unwrap();
    let outbox = OutboxNotifier::new(db.clone(), OutboxConfig::instant());
    let options = DryRunOptions {
        samples: 10,
        price_per_part: 0.01,
        ..Default::default()
    };
    let report = dry_run::dry_run(&db, &draft.id, Some(&outbox), options)
        .await
        .unwrap();

    assert_eq!(
        report.audience, 7,
        "the gold customer is outside the segment"
    );
    assert_eq!(report.eligible, 3);
    let skipped: Vec<(&str, u64)> = report
        .skipped
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        skipped,
        [
            ("invalid_number", 1),
            ("no_address", 1),
            ("not_opted_in", 1),
            ("opted_out", 1)
        ]
    );
    assert!(report.opt_outs_checked);
    let samples: Vec<(&str, SmsEncoding, usize)> = report
        .samples
        .iter()
        .map(|s| (s.customer_id.as_str(), s.sms.encoding, s.sms.parts))
        .collect();
    assert_eq!(
        samples,
        [
            ("c-1", SmsEncoding::Gsm7, 1),
            ("c-2", SmsEncoding::Ucs2, 1),
            ("c-8", SmsEncoding::Gsm7, 2)
        ]
    );
    assert_eq!(report.samples[0].text, "Hi Ann, you have 0 points");
    assert_eq!(report.total_parts, 4);
    assert!((report.estimated_cost - 0.04).abs() < 1e-9);
    // Five rows would take a send slot (three sends, two skipped at send time) at 2/s.
    assert_eq!(report.estimated_seconds, 3);

    let untouched = campaign::get(&db, &draft.id).await.unwrap();
    assert_eq!(untouched.state, campaign::CampaignState::Draft);
    assert_eq!(
        run::progress_summary(&db, &draft.id)
            .await
            .unwrap()
            .counts
            .total(),
        0
    );
    assert!(outbox_rows(&db).is_empty(), "a dry run sends nothing");
}

#[tokio::test]
async fn dry_run_reports_messages_that_would_fail_to_render() {
    let db = Db::open_in_memory().unwrap();
    let mut decorated = sms_customer("c-1", "Ann", "+12025550101");
    decorated.badges = vec!["streak-7".into()];
    support::insert(&db, &[decorated, sms_customer("c-2", "Bo", "+12025550102")]);
    // Bo has no badges: `badges[0]` is undefined, an error in strict mode.
    let s = spec("Your first badge: {{ badges[0] }}");
    let report = dry_run::dry_run_spec(&db, s, None, DryRunOptions::default())
        .await
        .unwrap();
    assert_eq!((report.eligible, report.render_errors), (1, 1));
    assert_eq!(report.samples[0].text, "Your first badge: streak-7");
    assert_eq!(report.first_render_error.unwrap().customer_id, "c-2");
    assert!(!report.opt_outs_checked, "no notifier, no opt-out list");
}

#[tokio::test]
async fn test_send_validates_the_address_and_sends_what_the_customer_would_get() {
    let db = Db::open_in_memory().unwrap();
    let mut ann = sms_customer("c-1", "Ann Lee", "+12025550101");
    ann.points = 1_200;
    support::insert(&db, &[ann]);
    let outbox = OutboxNotifier::new(db.clone(), OutboxConfig::instant());
    let request = |to: &str, content: TestContent| TestSend {
        channel: Channel::Sms,
        to: to.to_string(),
        content,
        sms_type: campaign::SmsType::Promotional,
        sender_id: Some("Stratus".into()),
    };
    let template = TestContent::Template {
        source: "{{ first_name }}: {{ points_to_next_level }} to {{ next_level }}".into(),
        customer_id: "c-1".into(),
    };

    for bad in ["12345", "+1 555", "call me"] {
        let err = test_send::test_send(&db, &outbox, request(bad, template.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_address", "{bad}: {err}");
    }
    let opted_out = test_send::test_send(&db, &outbox, request("+12025550199", template.clone()))
        .await
        .unwrap_err();
    assert!(opted_out.to_string().contains("opted out"), "{opted_out}");
    assert!(
        outbox_rows(&db).is_empty(),
        "nothing sent to refused numbers"
    );

    let sent = test_send::test_send(&db, &outbox, request("+1 (202) 555-0143", template))
        .await
        .unwrap();
    assert_eq!(sent.to, "+12025550143");
    assert_eq!(sent.text, "Ann: 800 to gold");
    assert_eq!((sent.sms.encoding, sent.sms.parts), (SmsEncoding::Gsm7, 1));
    let raw = test_send::test_send(
        &db,
        &outbox,
        request("+12025550144", TestContent::Text("Plain ✓".into())),
    )
    .await
    .unwrap();
    assert_eq!(raw.sms.encoding, SmsEncoding::Ucs2);
    assert_eq!(
        outbox_rows(&db),
        [
            ("+12025550143".to_string(), "Ann: 800 to gold".to_string()),
            ("+12025550144".to_string(), "Plain ✓".to_string())
        ]
    );

    let push = TestSend {
        channel: Channel::Push,
        ..request("+12025550143", TestContent::Text("x".into()))
    };
    let err = test_send::test_send(&db, &outbox, push).await.unwrap_err();
    assert_eq!(err.code(), "invalid_address");
}

/// 25 recipients: three refused for good (two codes), the rest sent.
async fn finished_campaign(db: &Db) -> String {
    let mut people = customers(25);
    people[4].name = "=HYPERLINK(\"http://evil\")".into();
    support::insert(db, &people);
    let id = support::launched(db, spec("Hi {{ first_name }}")).await;
    let refuse = |code: &str| {
        vec![Step::Fail(NotifyError::Permanent {
            code: code.into(),
            message: format!("{code} says no"),
        })]
    };
    let notifier = ScriptedNotifier::with_script(vec![
        (support::phone(3).as_str(), refuse("AuthorizationError")),
        (support::phone(9).as_str(), refuse("AuthorizationError")),
        (support::phone(20).as_str(), refuse("InvalidParameter")),
    ]);
    let outcome = run::run_with_control(
        &RunRequest::new(db, &id, notifier).with_settings(support::fast_settings()),
        &RunControl::new(10_000.0, 3),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!((outcome.counts.sent, outcome.counts.failed), (22, 3));
    id
}

#[tokio::test]
async fn recipient_pages_visit_every_row_once_and_filter_by_status_and_code() {
    let db = Db::open_in_memory().unwrap();
    let id = finished_campaign(&db).await;
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = recipients::page(&db, &id, RecipientFilter::default(), after, 7)
            .await
            .unwrap();
        assert!(page.rows.len() <= 7);
        seen.extend(page.rows.iter().map(|r| r.customer_id.clone()));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = (1..=25).map(|i| format!("c-{i:04}")).collect();
    assert_eq!(seen, expected, "every recipient once, in order");

    let failed = RecipientFilter {
        status: Some(RecipientStatus::Failed),
        ..Default::default()
    };
    let page = recipients::page(&db, &id, failed, None, 100).await.unwrap();
    let failed: Vec<(&str, Option<&str>)> = page
        .rows
        .iter()
        .map(|r| (r.customer_id.as_str(), r.error_code.as_deref()))
        .collect();
    assert_eq!(
        failed,
        [
            ("c-0003", Some("AuthorizationError")),
            ("c-0009", Some("AuthorizationError")),
            ("c-0020", Some("InvalidParameter"))
        ]
    );
    let by_code = RecipientFilter {
        error_code: Some("InvalidParameter".into()),
        ..Default::default()
    };
    let page = recipients::page(&db, &id, by_code, None, 100)
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(
        page.rows[0].error_message.as_deref(),
        Some("InvalidParameter: InvalidParameter says no")
    );
    let sent = recipients::page(
        &db,
        &id,
        RecipientFilter {
            status: Some(RecipientStatus::Sent),
            ..Default::default()
        },
        None,
        1,
    )
    .await
    .unwrap();
    assert_eq!(sent.rows[0].rendered.as_deref(), Some("Hi Person"));
    assert!(sent.rows[0].message_id.is_some());

    let groups = recipients::error_groups(&db, &id).await.unwrap();
    let groups: Vec<(&str, u64, &str)> = groups
        .iter()
        .map(|g| (g.code.as_str(), g.count, g.sample_message.as_str()))
        .collect();
    assert_eq!(
        groups,
        [
            (
                "AuthorizationError",
                2,
                "AuthorizationError: AuthorizationError says no"
            ),
            (
                "InvalidParameter",
                1,
                "InvalidParameter: InvalidParameter says no"
            )
        ]
    );
}

#[tokio::test]
async fn export_writes_every_row_and_defuses_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("stratus.sqlite")).unwrap();
    let id = finished_campaign(&db).await;
    let path = dir.path().join("recipients.csv");
    let written = recipients::export_csv(&db, &id, RecipientFilter::default(), &path)
        .await
        .unwrap();
    assert_eq!(written, 25);
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, recipients::CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 25);
    assert_eq!(&rows[4][1], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(&rows[0][2], "+12025550001", "phone numbers stay readable");
    assert_eq!(&rows[2][3], "failed");
    assert_eq!(&rows[2][5], "AuthorizationError");

    let only_failed = RecipientFilter {
        status: Some(RecipientStatus::Failed),
        ..Default::default()
    };
    let n = recipients::export_csv(&db, &id, only_failed, &path)
        .await
        .unwrap();
    assert_eq!(n, 3);
}

#[tokio::test]
async fn test_send_of_a_campaign_uses_its_template_and_attributes() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &[sms_customer("c-1", "Ann Lee", "+12025550101")]);
    let mut s = spec("Hello {{ name }}");
    s.sender_id = Some("Shop".into());
    let draft = campaign::create_draft(&db, s).await.unwrap();
    let notifier = Arc::new(ScriptedNotifier::default());
    let report =
        test_send::test_send_campaign(&db, notifier.as_ref(), &draft.id, "c-1", "+12025550150")
            .await
            .unwrap();
    assert_eq!(report.text, "Hello Ann Lee");
    let published = notifier.published.lock().unwrap().clone();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].sender_id.as_deref(), Some("Shop"));
    assert_eq!(published[0].address, "+12025550150");
    let missing =
        test_send::test_send_campaign(&db, notifier.as_ref(), &draft.id, "nobody", "+12025550150")
            .await;
    assert_eq!(missing.unwrap_err().code(), "customer_not_found");
}
