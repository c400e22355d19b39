//! The demo user's journey in the real app: it opens in demo mode, every
//! section can be reached, a cloud profile can be tested, added, used and
//! switched back, a broken one says what is wrong, and a job shows progress.

#![allow(clippy::unwrap_used)]

use anyhow::Result;
use stratus_e2e::{create_bucket, run_journey, s3_endpoint, text_of, App};

#[tokio::test]
async fn demo_journey() -> Result<()> {
    run_journey("demo", journey).await
}

async fn journey(app: &App) -> Result<()> {
    // Opens in demo mode, offline.
    app.wait_for_text("status-profile", "demo").await?;
    app.wait_for_text("status-reachability", "Offline").await?;

    // Every section can be reached; Images browses the seeded demo bucket.
    for (nav, section) in [
        ("nav-images", "section-images"),
        ("nav-campaigns", "section-campaigns"),
        ("nav-events", "section-events"),
        ("nav-settings", "section-settings"),
    ] {
        app.click(nav).await?;
        app.find(section).await?;
        if section == "section-images" {
            app.find("image-folder").await?;
        }
        app.screenshot(section.trim_start_matches("section-"))
            .await?;
    }

    // A profile pointing at a closed port: the draft test says it is unreachable.
    let endpoint = s3_endpoint()?;
    app.click("profile-add").await?;
    app.fill("profile-form-name", "broken").await?;
    app.fill("profile-form-region", "us-east-1").await?;
    app.fill("profile-form-endpoint", "http://127.0.0.1:9")
        .await?;
    app.click("profile-form-path-style").await?;
    app.fill("profile-form-media-bucket", "stratus-e2e-media")
        .await?;
    app.fill("profile-form-events-bucket", "stratus-e2e-events")
        .await?;
    app.click("profile-form-test").await?;
    app.wait_for_text("connection-report", "cannot reach")
        .await?;
    let failed = app.find_all("connection-check").await?;
    let mut outcomes = Vec::new();
    for check in &failed {
        outcomes.push(check.attr("data-outcome").await?.unwrap_or_default());
    }
    assert!(
        outcomes.iter().any(|o| o == "failed"),
        "a failed check is shown: {outcomes:?}"
    );
    app.screenshot("settings-unreachable").await?;

    // The same form pointed at the S3-compatible server passes and is saved.
    create_bucket(&endpoint, "stratus-e2e-media")?;
    create_bucket(&endpoint, "stratus-e2e-events")?;
    app.fill("profile-form-name", "staging").await?;
    app.fill("profile-form-endpoint", &endpoint).await?;
    app.click("profile-form-test").await?;
    app.wait_for_text("connection-report", "listed at").await?;
    for check in app.find_all("connection-check").await? {
        let outcome = check.attr("data-outcome").await?.unwrap_or_default();
        assert_ne!(outcome, "failed", "{}", text_of(&check).await);
    }
    app.click("profile-form-save").await?;
    app.find("profile-row-staging").await?;

    // Switch to it: the status bar follows and says the cloud is reachable.
    app.click("profile-use-staging").await?;
    app.wait_for_text("status-profile", "staging").await?;
    app.wait_for_text("status-reachability", "eachable").await?;
    let reach = text_of(&app.find("status-reachability").await?).await;
    assert!(
        !reach.to_lowercase().contains("unreachable"),
        "staging should be reachable: {reach}"
    );
    app.click("nav-images").await?;
    app.find("image-library-empty").await?;
    app.screenshot("staging-images").await?;

    // And back to demo, where the seeded data is still there.
    app.click("nav-settings").await?;
    app.click("profile-use-demo").await?;
    app.wait_for_text("status-profile", "demo").await?;
    app.click("nav-images").await?;
    app.find("image-folder").await?;

    // A job with progress: reset the demo data and watch it finish. The
    // profile list loads above the demo card and moves it down: wait for
    // it, or the click lands where the button was.
    app.click("nav-settings").await?;
    app.find("profile-row-demo").await?;
    app.click("demo-reset").await?;
    app.click("demo-reset-confirm").await?;
    // Starting a job opens the jobs panel by itself (clicking the toggle
    // here would race with that and could close it again).
    app.find("jobs-panel").await?;
    app.wait_for_any_text("job-row", "Reset demo data").await?;
    app.wait_for_any_text("job-state", "succeeded").await?;
    app.screenshot("jobs").await?;
    Ok(())
}
