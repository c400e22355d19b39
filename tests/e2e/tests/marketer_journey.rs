//! The marketer's journey in the real app (demo mode): create a campaign
//! with a small segment (live count) and a template (live preview), launch
//! it, watch the progress bar reach 100 % and read the counts.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use anyhow::{bail, Result};
use stratus_e2e::{run_journey, text_of, App};

/// `cust-00001` … `cust-00040`: small, so the run finishes in seconds.
const SEGMENT: &str = "id <= \"cust-00040\"";
const AUDIENCE: u64 = 40;

#[tokio::test]
async fn marketer_journey() -> Result<()> {
    run_journey("marketer", journey).await
}

/// Clicks after scrolling the element to the middle of the view: at the
/// bottom edge the status bar would take the click.
async fn click_centered(app: &App, test_id: &str) -> Result<()> {
    scroll_to(app, test_id).await?;
    app.click(test_id).await
}

async fn scroll_to(app: &App, test_id: &str) -> Result<()> {
    app.find(test_id).await?;
    app.client
        .execute(
            &format!(
                "document.querySelector('[data-testid=\"{test_id}\"]').scrollIntoView({{block: 'center'}});"
            ),
            vec![],
        )
        .await?;
    Ok(())
}

/// The `data-count` of one counter of the run view.
async fn count(app: &App, name: &str) -> Result<u64> {
    let el = app.find(&format!("campaign-count-{name}")).await?;
    Ok(el.attr("data-count").await?.unwrap_or_default().parse()?)
}

async fn journey(app: &App) -> Result<()> {
    app.click("nav-campaigns").await?;
    app.find("campaign-list").await?;
    // The demo's completed campaign is listed with its status.
    let row = app
        .wait_for_any_text("campaign-row", "Gold members")
        .await?;
    assert!(text_of(&row).await.contains("completed"));
    app.screenshot("list").await?;

    app.click("campaign-new").await?;
    app.fill("campaign-name", "E2E flash sale").await?;
    // A typo first: the editor points at it.
    app.fill("campaign-segment", "id <= ").await?;
    app.wait_for_text("segment-problem", "expected").await?;
    app.fill("campaign-segment", SEGMENT).await?;
    app.wait_for_text("segment-count", &AUDIENCE.to_string())
        .await?;
    app.fill(
        "campaign-template",
        "Hi {{ first_name }}, {{ points }} points: flash sale today!",
    )
    .await?;
    app.wait_for_text("template-preview", "flash sale today!")
        .await?;
    app.wait_for_text("template-sms", "part").await?;
    app.fill("campaign-rate", "400").await?;
    app.fill("campaign-concurrency", "8").await?;
    app.screenshot("editor").await?;

    // Dry run: the audience and a sample message, nothing sent.
    click_centered(app, "dry-run-start").await?;
    let report = app.find("dry-run-report").await?;
    let mut eligible = None;
    for _ in 0..300 {
        eligible = report.attr("data-eligible").await?;
        if eligible.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let eligible: u64 = eligible.unwrap_or_default().parse()?;
    assert!(eligible > 0 && eligible <= AUDIENCE, "{eligible} eligible");
    app.wait_for_any_text("dry-run-sample", "flash sale today!")
        .await?;
    // A test send to one number.
    scroll_to(app, "test-send-to").await?;
    app.fill("test-send-to", "+14155550100").await?;
    click_centered(app, "test-send-start").await?;
    app.wait_for_text("test-send-done", "+14155550100").await?;
    app.screenshot("checks").await?;

    click_centered(app, "campaign-launch").await?;
    click_centered(app, "campaign-launch-confirm").await?;
    let run = app.find("campaign-run").await?;

    // The bar reaches 100 % and the run completes.
    let mut percent = String::new();
    for _ in 0..600 {
        percent = app
            .find("campaign-progress")
            .await?
            .attr("data-percent")
            .await?
            .unwrap_or_default();
        if percent == "100" && run.attr("data-state").await?.as_deref() == Some("completed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if percent != "100" {
        bail!("the progress bar stopped at {percent} %");
    }
    app.wait_for_text("campaign-run-state", "completed").await?;
    app.wait_for_text("campaign-percent", "100").await?;

    let (sent, failed, skipped, unknown) = (
        count(app, "sent").await?,
        count(app, "failed").await?,
        count(app, "skipped").await?,
        count(app, "unknown").await?,
    );
    assert!(sent > 0, "some messages were sent");
    assert_eq!(
        sent + failed + skipped + unknown,
        AUDIENCE,
        "everyone in the segment has an answer"
    );
    assert_eq!(count(app, "pending").await?, 0);
    // The demo phone preview (first customer of the segment) shows what arrived.
    click_centered(app, "phone-refresh").await?;
    app.screenshot("run").await?;

    // Who got what: the recipient table filtered to the skipped, and the export.
    app.find("recipient-table").await?;
    scroll_to(app, "recipient-status").await?;
    app.find("recipient-status")
        .await?
        .select_by_value("sent")
        .await?;
    app.wait_for_any_text("recipient-row", "sent").await?;
    let rows = app.find_all("recipient-row").await?;
    for row in &rows {
        assert_eq!(row.attr("data-status").await?.as_deref(), Some("sent"));
    }
    app.find("recipient-status")
        .await?
        .select_by_value("")
        .await?;
    click_centered(app, "recipient-export").await?;
    app.wait_for_text("recipient-exported", &format!("{AUDIENCE} recipients"))
        .await?;
    app.screenshot("recipients").await?;

    // Back in the list, the campaign shows as completed.
    click_centered(app, "campaign-run-close").await?;
    app.wait_for_any_text("campaign-row", "E2E flash sale")
        .await?;
    let row = app
        .wait_for_any_text("campaign-row", "E2E flash sale")
        .await?;
    assert!(text_of(&row).await.contains("completed"));
    app.screenshot("done").await?;
    Ok(())
}
