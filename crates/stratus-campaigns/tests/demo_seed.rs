#![allow(clippy::unwrap_used)]
//! The demo seed: 10,000 customers with the shared ids, a completed
//! campaign whose rows and outbox agree, a draft; seeding is idempotent.

use stratus_campaigns::campaign::{self, CampaignState};
use stratus_campaigns::run;
use stratus_campaigns::segment;
use stratus_core::demo;
use stratus_core::home::AppHome;
use stratus_core::jobs::CancellationToken;
use stratus_core::profile::Profile;
use stratus_core::stack::Stack;

#[tokio::test]
async fn demo_seed_creates_customers_and_campaigns_once() {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::open(&AppHome::new(dir.path()), Profile::demo())
        .await
        .unwrap();
    let steps = stratus_campaigns::demo::demo_steps();
    let report = demo::seed(&stack, &steps, |_| {}, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        report.applied,
        vec!["campaigns.customers.v1", "campaigns.sample-campaigns.v1"]
    );

    let db = &stack.db;
    let (count, first, last, e164): (i64, String, String, i64) = db
        .call(|c| -> stratus_campaigns::Result<_> {
            Ok((
                c.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?,
                c.query_row("SELECT min(id) FROM customers", [], |r| r.get(0))?,
                c.query_row("SELECT max(id) FROM customers", [], |r| r.get(0))?,
                c.query_row(
                    "SELECT count(*) FROM customers WHERE phone GLOB '+[1-9]*'",
                    [],
                    |r| r.get(0),
                )?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(
        (count, first.as_str(), last.as_str(), e164),
        (10_000, "cust-00001", "cust-10000", 10_000)
    );
    let countries: i64 = db
        .call(|c| -> stratus_campaigns::Result<_> {
            Ok(
                c.query_row("SELECT count(DISTINCT time_zone) FROM customers", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .unwrap();
    assert!(countries >= 8, "several time zones: {countries}");
    assert!(segment::count(&stack.db, "level = gold").await.unwrap() > 100);

    let campaigns = campaign::list(db).await.unwrap();
    assert_eq!(campaigns.len(), 2);
    let done = campaigns
        .iter()
        .find(|c| c.state == CampaignState::Completed)
        .unwrap();
    assert!(campaigns.iter().any(|c| c.state == CampaignState::Draft));
    let summary = run::progress_summary(db, &done.id).await.unwrap();
    assert!(summary.counts.sent > 100, "{summary:?}");
    assert_eq!(summary.counts.pending + summary.counts.in_flight, 0);
    let id = done.id.clone();
    let outbox: i64 = db
        .call(move |c| -> stratus_campaigns::Result<_> {
            Ok(c.query_row(
                "SELECT count(*) FROM outbox o JOIN recipients r ON r.message_id = o.message_id
                 WHERE r.campaign_id = ?1 AND r.status = 'sent' AND r.rendered = o.body",
                [id],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        outbox as u64, summary.counts.sent,
        "every sent row has its outbox message"
    );

    let again = demo::seed(&stack, &steps, |_| {}, &CancellationToken::new())
        .await
        .unwrap();
    assert!(again.applied.is_empty());
    assert_eq!(campaign::list(db).await.unwrap().len(), 2);
}
