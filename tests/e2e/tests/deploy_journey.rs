//! The admin's deploy journey in the real app: the demo profile's card says
//! a deploy needs a cloud profile; a cloud profile (moto) plans the real
//! template through a CloudFormation change set, the plan is read and
//! discarded. (Applying needs resource types moto lacks: the apply path is
//! `crates/stratus-app/tests/deploy_flow.rs`.) `scripts/e2e.sh` points
//! `STRATUS_LAMBDA_ZIP` at a stand-in zip.

#![allow(clippy::unwrap_used)]

use anyhow::Result;
use stratus_e2e::{run_journey, s3_endpoint, text_of, App};

#[tokio::test]
async fn deploy_journey() -> Result<()> {
    run_journey("deploy", journey).await
}

async fn journey(app: &App) -> Result<()> {
    let endpoint = s3_endpoint()?;
    app.click("nav-settings").await?;
    app.wait_for_text("deploy-needs-cloud", "needs a cloud profile")
        .await?;
    app.screenshot("demo").await?;

    // A cloud profile on the S3-compatible server, made active.
    app.find("profile-row-demo").await?;
    app.click("profile-add").await?;
    app.fill("profile-form-name", "shop").await?;
    app.fill("profile-form-region", "us-east-1").await?;
    app.fill("profile-form-endpoint", &endpoint).await?;
    app.click("profile-form-path-style").await?;
    app.fill("profile-form-media-bucket", "shop-media-tbd")
        .await?;
    app.fill("profile-form-events-bucket", "shop-events-tbd")
        .await?;
    app.click("profile-form-save").await?;
    app.click("profile-use-shop").await?;
    app.wait_for_text("status-profile", "shop").await?;

    // Plan: the real template's resources, nothing applied yet.
    let unique = format!("e{}", std::process::id());
    app.fill("deploy-prefix", &unique).await?;
    app.click("deploy-plan-button").await?;
    app.wait_for_text("deploy-plan", &format!("Create stack stratus-{unique}"))
        .await?;
    let mut kinds = Vec::new();
    let mut texts = Vec::new();
    for change in app.find_all("deploy-change").await? {
        kinds.push(change.attr("data-kind").await?.unwrap_or_default());
        texts.push(text_of(&change).await);
    }
    assert!(
        texts
            .iter()
            .any(|t| t.contains("AWS::CloudFront::Distribution")),
        "{texts:?}"
    );
    assert!(kinds.len() > 10, "the whole template is planned: {kinds:?}");
    assert!(kinds.iter().all(|k| k == "add"), "{kinds:?}");
    app.screenshot("plan").await?;

    // Discard: the options come back and nothing was deployed.
    // The plan is long: bring the buttons above the status bar first.
    app.client
        .execute(
            "document.querySelector('[data-testid=\"deploy-discard\"]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await?;
    app.click("deploy-discard").await?;
    app.find("deploy-plan-button").await?;
    assert!(app.find_all("deploy-deployment").await?.is_empty());
    app.screenshot("discarded").await?;
    Ok(())
}
