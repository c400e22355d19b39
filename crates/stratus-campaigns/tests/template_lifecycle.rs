#![allow(clippy::unwrap_used)]
//! Template preview (strict fields, gamified values, SMS parts) and the
//! campaign lifecycle with its launch snapshot.

use stratus_campaigns::campaign::{self, CampaignSpec, CampaignState, Channel};
use stratus_campaigns::customer::Customer;
use stratus_campaigns::sms::SmsEncoding;
use stratus_campaigns::template::{self, MessageTemplate};
use stratus_core::db::Db;

mod support;

fn db_with_customers() -> Db {
    let db = Db::open_in_memory().unwrap();
    let mut zoe = support::sms_customer("c-1", "Zoë Ålund", "+12025550143");
    zoe.points = 1_200;
    zoe.level = "silver".into();
    zoe.badges = vec!["early-bird".into(), "streak-7".into()];
    zoe.badges_notified = vec!["early-bird".into()];
    let mut top = support::sms_customer("c-2", "Top Dog", "+12025550144");
    top.points = 9_000;
    let mut quiet = Customer::new("c-3", "No Consent");
    quiet.phone = Some("+12025550145".into());
    let no_phone = {
        let mut c = Customer::new("c-4", "No Phone");
        c.sms_opt_in = true;
        c
    };
    support::insert(&db, &[zoe, top, quiet, no_phone]);
    db
}

#[tokio::test]
async fn preview_renders_fields_and_gamified_values() {
    let db = db_with_customers();
    let source = "Hi {{ first_name }}! #{{ rank }} with {{ points }} pts, {{ points_to_next_level }} to {{ next_level }}.{% for b in new_badges %} New: {{ b }}{% endfor %}";
    let preview = template::preview(&db, source, "c-1").await.unwrap();
    assert_eq!(
        preview.text,
        "Hi Zoë! #2 with 1200 pts, 800 to gold. New: streak-7"
    );
    assert_eq!(
        preview.sms.encoding,
        SmsEncoding::Ucs2,
        "ë is not in GSM-7 (é would be)"
    );
    assert_eq!(preview.sms.parts, 1);

    let long = format!("{{{{ name }}}} {}", "ł".repeat(70));
    let preview = template::preview(&db, &long, "c-1").await.unwrap();
    assert_eq!(
        (preview.sms.encoding, preview.sms.parts),
        (SmsEncoding::Ucs2, 2)
    );
}

#[tokio::test]
async fn unknown_fields_are_errors_at_preview_time() {
    let db = db_with_customers();
    let err = template::preview(&db, "Hi {{ nickname }}", "c-1")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_template");
    assert!(err.to_string().contains("`nickname`"), "{err}");
    // Attribute access on a known field is checked when rendering (strict undefined).
    let err = template::preview(&db, "Hi {{ name.nickname }}", "c-1")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_template");
    let err = template::preview(&db, "Hi {{ name ", "c-1")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
    assert_eq!(
        template::preview(&db, "Hi", "nobody")
            .await
            .unwrap_err()
            .code(),
        "customer_not_found"
    );
    assert!(
        MessageTemplate::compile("{% set x = 1 %}{{ x }} {{ level }}").is_ok(),
        "locals are not unknown fields"
    );
}

#[tokio::test]
async fn lifecycle_refuses_illegal_transitions_and_launch_snapshots_the_segment() {
    let db = db_with_customers();
    let spec = CampaignSpec::new(
        "Welcome",
        Channel::Sms,
        "points >= 0",
        "Hi {{ first_name }}",
    );
    let draft = campaign::create_draft(&db, spec.clone()).await.unwrap();
    assert_eq!(draft.state, CampaignState::Draft);

    let err = campaign::transition(&db, &draft.id, CampaignState::Running)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "illegal_transition");
    assert!(
        err.to_string().contains("draft cannot become running"),
        "{err}"
    );

    let report = campaign::launch(&db, &draft.id).await.unwrap();
    assert_eq!((report.recipients, report.skipped), (4, 2));
    let rows = support::statuses(&db, &draft.id);
    let by_id: Vec<(&str, &str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_deref()))
        .collect();
    assert_eq!(
        by_id,
        vec![
            ("c-1", "pending", None),
            ("c-2", "pending", None),
            ("c-3", "skipped", Some("not_opted_in")),
            ("c-4", "skipped", Some("no_address")),
        ]
    );
    assert_eq!(
        campaign::get(&db, &draft.id).await.unwrap().state,
        CampaignState::Scheduled
    );
    assert_eq!(
        campaign::launch(&db, &draft.id).await.unwrap_err().code(),
        "illegal_transition",
        "launching twice"
    );
    assert_eq!(
        support::statuses(&db, &draft.id).len(),
        4,
        "a refused launch adds no rows"
    );
    assert_eq!(
        campaign::update_draft(&db, &draft.id, spec)
            .await
            .unwrap_err()
            .code(),
        "illegal_transition"
    );

    campaign::transition(&db, &draft.id, CampaignState::Running)
        .await
        .unwrap();
    campaign::transition(&db, &draft.id, CampaignState::Paused)
        .await
        .unwrap();
    campaign::transition(&db, &draft.id, CampaignState::Running)
        .await
        .unwrap();
    campaign::transition(&db, &draft.id, CampaignState::Completed)
        .await
        .unwrap();
    let done = campaign::get(&db, &draft.id).await.unwrap();
    assert!(done.finished_at.is_some());
    assert_eq!(
        campaign::transition(&db, &draft.id, CampaignState::Running)
            .await
            .unwrap_err()
            .code(),
        "illegal_transition"
    );
}

#[tokio::test]
async fn invalid_specs_are_refused_before_saving() {
    let db = db_with_customers();
    let mut spec = CampaignSpec::new("Bad", Channel::Sms, "points >>= 1", "Hi");
    assert_eq!(
        campaign::create_draft(&db, spec.clone())
            .await
            .unwrap_err()
            .code(),
        "invalid_segment"
    );
    spec.segment = "points >= 1".into();
    spec.template = "Hi {{ nope }}".into();
    assert_eq!(
        campaign::create_draft(&db, spec.clone())
            .await
            .unwrap_err()
            .code(),
        "invalid_template"
    );
    spec.template = "Hi".into();
    spec.rate_per_sec = 0.0;
    assert_eq!(
        campaign::create_draft(&db, spec.clone())
            .await
            .unwrap_err()
            .code(),
        "invalid_campaign"
    );
    spec.rate_per_sec = 5.0;
    spec.sender_id = Some("Way-Too-Long-Sender".into());
    assert_eq!(
        campaign::create_draft(&db, spec).await.unwrap_err().code(),
        "invalid_campaign"
    );
    assert!(campaign::list(&db).await.unwrap().is_empty());
}
