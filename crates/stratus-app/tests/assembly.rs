//! Opening, demo data and job verdicts as both front ends get them.

#![allow(clippy::unwrap_used)]

use stratus_app::{demo, stack, warm};
use stratus_core::home::AppHome;
use stratus_core::jobs::CancellationToken;
use stratus_core::stack::Stack;
use stratus_core::Failure;
use stratus_media::warm::WarmReport;

mod support;

async fn campaign_count(stack: &Stack) -> i64 {
    support::count_rows(stack, "campaigns").await
}

#[tokio::test]
async fn an_unreadable_profiles_file_opens_the_seeded_demo_so_the_app_starts() {
    let dir = tempfile::tempdir().unwrap();
    let home = AppHome::new(dir.path());
    std::fs::write(dir.path().join("profiles.toml"), "this is [not toml").unwrap();
    let opened = stack::open_active_or_demo(&home, stack::Seeding::Now)
        .await
        .unwrap();
    assert!(opened.profile.is_demo());
    assert!(campaign_count(&opened).await > 0, "demo data is seeded");
}

#[tokio::test]
async fn the_app_opens_demo_unseeded_at_once_and_seeds_it_as_a_job_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let home = AppHome::new(dir.path());
    let opened = stack::open_active_or_demo(&home, stack::Seeding::Later)
        .await
        .unwrap();
    assert!(opened.profile.is_demo());
    assert_eq!(campaign_count(&opened).await, 0, "nothing seeded yet");
    assert_eq!(
        demo::missing_steps(&opened).await.unwrap().len(),
        demo::steps().len()
    );

    let summary = demo::seed_stack(&opened, |_| {}, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        summary,
        format!("demo data ready ({} seed steps)", demo::steps().len())
    );
    assert!(
        campaign_count(&opened).await > 0,
        "the job seeded the open stack"
    );
    assert!(demo::missing_steps(&opened).await.unwrap().is_empty());
}

#[tokio::test]
async fn reset_deletes_changes_to_demo_data_and_seeds_every_step_again() {
    let dir = tempfile::tempdir().unwrap();
    let home = AppHome::new(dir.path());
    let first = demo::seed(&home, |_| {}, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(first.report.applied.len(), demo::steps().len());
    let seeded = campaign_count(&first.stack).await;
    first
        .stack
        .db
        .call(|c| -> stratus_core::Result<_> {
            c.execute("DELETE FROM campaigns", [])?;
            Ok(())
        })
        .await
        .unwrap();

    let again = demo::seed(&home, |_| {}, &CancellationToken::new())
        .await
        .unwrap();
    assert!(
        again.report.applied.is_empty(),
        "seeding twice adds nothing"
    );

    let fresh = demo::reset(&home, |_| {}, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(fresh.report.applied.len(), demo::steps().len());
    assert_eq!(campaign_count(&fresh.stack).await, seeded);
    assert_eq!(
        fresh.reset_summary(),
        format!("demo data reset ({} seed steps)", demo::steps().len())
    );
}

#[tokio::test]
async fn a_cancelled_reset_ends_cancelled_after_the_delete() {
    let dir = tempfile::tempdir().unwrap();
    let home = AppHome::new(dir.path());
    let cancel = CancellationToken::new();
    cancel.cancel();
    let Err(e) = demo::reset(&home, |_| {}, &cancel).await else {
        panic!("a cancelled reset went on");
    };
    assert_eq!(e.code, "cancelled");
}

#[test]
fn a_warm_up_with_failures_fails_with_the_first_code_and_every_key() {
    let clean = WarmReport {
        made: 3,
        already: 2,
        ..WarmReport::default()
    };
    assert_eq!(warm::verdict(&clean).unwrap(), "3 made, 2 already there");

    let failed = WarmReport {
        made: 1,
        failed: vec![
            ("a.jpg".into(), Failure::new("too_large", "too big")),
            ("b.png".into(), Failure::new("undecodable", "not an image")),
        ],
        ..WarmReport::default()
    };
    let e = warm::verdict(&failed).unwrap_err();
    assert_eq!(e.code, "too_large");
    assert!(e.message.contains("2 failed"), "{}", e.message);
    assert!(e.message.contains("a.jpg: too big"), "{}", e.message);
    assert!(e.message.contains("b.png: not an image"), "{}", e.message);

    let cancelled = WarmReport {
        cancelled: true,
        ..clean
    };
    assert_eq!(warm::verdict(&cancelled).unwrap_err().code, "cancelled");
}
