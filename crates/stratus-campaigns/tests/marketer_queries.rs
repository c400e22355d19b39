#![allow(clippy::unwrap_used)]
//! What the marketer's screens read besides the runner: the campaign list
//! with counts, the customer picker and the demo phone preview.

use std::sync::Arc;

use stratus_campaigns::campaign::{self, CampaignSpec, Channel};
use stratus_campaigns::notifier::{OutboxConfig, OutboxNotifier};
use stratus_campaigns::run::{self, RunControl, RunRequest};

use stratus_campaigns::{customer_search, inbox, overview};
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;

mod support;

fn db() -> Db {
    let db = Db::open_in_memory().unwrap();
    support::insert(
        &db,
        &[
            support::sms_customer("c-1", "Ada Lovelace", "+12025550143"),
            support::sms_customer("c-2", "Alan 100%_Turing", "+12025550144"),
            support::sms_customer("c-3", "Grace Hopper", "+12025550199"),
        ],
    );
    db
}

#[tokio::test]
async fn list_shows_each_campaign_with_its_own_counts() {
    let db = db();
    let spec = CampaignSpec::new("Hello", Channel::Sms, "", "Hi {{ first_name }}");
    let sent = campaign::create_draft(&db, spec.clone()).await.unwrap();
    let draft = campaign::create_draft(&db, spec).await.unwrap();
    campaign::launch(&db, &sent.id).await.unwrap();
    let outbox = Arc::new(OutboxNotifier::new(db.clone(), OutboxConfig::instant()));
    let control = RunControl::new(1000.0, 2);
    run::run_with_control(
        &RunRequest::new(&db, &sent.id, outbox),
        &control,
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();

    let list = overview::list_with_counts(&db).await.unwrap();
    let counts_of = |id: &str| list.iter().find(|(c, _)| c.id == id).unwrap().1.clone();
    let launched = counts_of(&sent.id);
    assert_eq!(
        (launched.sent, launched.skipped, launched.total()),
        (2, 1, 3)
    );
    assert_eq!(counts_of(&draft.id).total(), 0, "a draft has no recipients");

    // The phone preview shows what one number received, with the campaign's name.
    let ada = inbox::received(&db, "+12025550143", 10).await.unwrap();
    assert_eq!(ada.len(), 1);
    assert_eq!(ada[0].body, "Hi Ada");
    assert_eq!(ada[0].campaign_name.as_deref(), Some("Hello"));
    assert!(inbox::received(&db, "+12025550199", 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn search_matches_name_phone_and_id_and_takes_wildcards_literally() {
    let db = db();
    let ids = |found: Vec<stratus_campaigns::customer::Customer>| {
        found.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(customer_search::search(&db, "grace", 10).await.unwrap()),
        ["c-3"]
    );
    assert_eq!(
        ids(customer_search::search(&db, "0144", 10).await.unwrap()),
        ["c-2"]
    );
    assert_eq!(
        ids(customer_search::search(&db, "%_", 10).await.unwrap()),
        ["c-2"],
        "only the name with a literal %_ matches"
    );
    assert_eq!(customer_search::search(&db, "", 2).await.unwrap().len(), 2);
}
