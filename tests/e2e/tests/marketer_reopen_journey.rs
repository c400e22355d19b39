//! Closing the app in the middle of a campaign and opening it again: the
//! run shows as interrupted with the progress it had, and "Resume" takes it
//! to the end without sending anyone a second message.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use stratus_e2e::App;

/// `cust-00001` … `cust-00040` at 4 messages a second: about ten seconds.
const SEGMENT: &str = "id <= \"cust-00040\"";
const AUDIENCE: u64 = 40;

fn css(test_id: &str) -> String {
    format!("[data-testid=\"{test_id}\"]")
}

/// A second session on the same data dir: the app opened again.
async fn reopen(data_dir: &Path) -> Result<Client> {
    let app = std::env::var("STRATUS_E2E_APP")?;
    let driver = std::env::var("STRATUS_E2E_DRIVER")?;
    let caps = serde_json::json!({
        "browserName": "wry",
        "tauri:options": {
            "application": app,
            "args": ["--data-dir", data_dir.to_str().context("data dir path")?],
        }
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    Ok(ClientBuilder::rustls()?
        .capabilities(caps)
        .connect(&driver)
        .await?)
}

async fn attr(client: &Client, test_id: &str, name: &str) -> Result<String> {
    let el = client
        .wait()
        .at_most(Duration::from_secs(90))
        .for_element(Locator::Css(&css(test_id)))
        .await
        .with_context(|| format!("`{test_id}` did not appear"))?;
    Ok(el.attr(name).await?.unwrap_or_default())
}

async fn click(client: &Client, test_id: &str) -> Result<()> {
    client
        .wait()
        .at_most(Duration::from_secs(90))
        .for_element(Locator::Css(&css(test_id)))
        .await?;
    client
        .execute(
            &format!(
                "document.querySelector('{}').scrollIntoView({{block: 'center'}});",
                css(test_id).replace('\'', "\\'")
            ),
            vec![],
        )
        .await?;
    client
        .find(Locator::Css(&css(test_id)))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn screenshot(client: &Client, name: &str) -> Result<()> {
    let dir = std::env::var("STRATUS_E2E_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("stratus-e2e"));
    std::fs::create_dir_all(&dir)?;
    client
        .execute_async(
            "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await?;
    std::fs::write(
        dir.join(format!("marketer-reopen-{name}.png")),
        client.screenshot().await?,
    )?;
    Ok(())
}

async fn percent(client: &Client) -> Result<u64> {
    Ok(attr(client, "campaign-progress", "data-percent")
        .await?
        .parse()?)
}

#[tokio::test]
async fn marketer_reopen_journey() -> Result<()> {
    let Some(app) = App::launch("marketer-reopen").await? else {
        return Ok(());
    };
    let result = first_half(&app).await;
    // Closing the session ends the app's process, mid-run.
    app.client.clone().close().await.ok();
    let seen = result?;
    let client = reopen(app.data_dir.path()).await?;
    let result = second_half(&client, seen).await;
    if result.is_err() {
        screenshot(&client, "failure").await.ok();
    }
    client.close().await.ok();
    result
}

/// Launches a slow campaign and returns the percentage seen before closing.
async fn first_half(app: &App) -> Result<u64> {
    app.click("nav-campaigns").await?;
    app.click("campaign-new").await?;
    app.fill("campaign-name", "Reopened mid-run").await?;
    app.fill("campaign-segment", SEGMENT).await?;
    app.wait_for_text("segment-count", &AUDIENCE.to_string())
        .await?;
    app.fill("campaign-template", "Hi {{ first_name }}!")
        .await?;
    app.fill("campaign-rate", "4").await?;
    click(&app.client, "campaign-launch").await?;
    click(&app.client, "campaign-launch-confirm").await?;
    for _ in 0..300 {
        let p = percent(&app.client).await?;
        if (20..90).contains(&p) {
            app.screenshot("before-close").await?;
            return Ok(p);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the run never reached 20–90 %")
}

async fn second_half(client: &Client, seen: u64) -> Result<()> {
    click(client, "nav-campaigns").await?;
    // The closed app's process may take a moment to go (and free its run lock).
    let mut text = String::new();
    for _ in 0..60 {
        let row = client
            .wait()
            .at_most(Duration::from_secs(90))
            .for_element(Locator::Css(&css("campaign-row")))
            .await?;
        text = row.prop("textContent").await?.unwrap_or_default();
        if text.contains("interrupted") {
            break;
        }
        click(client, "campaigns-refresh").await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(text.contains("Reopened mid-run"), "{text}");
    assert!(text.contains("interrupted"), "shown as interrupted: {text}");
    click(client, "campaign-open").await?;
    attr(client, "campaign-interrupted", "data-testid").await?;
    let after_reopen = percent(client).await?;
    assert!(
        after_reopen >= seen && after_reopen < 100,
        "same progress after reopening: {seen} % before, {after_reopen} % after"
    );
    screenshot(client, "interrupted").await?;

    click(client, "campaign-resume").await?;
    for _ in 0..600 {
        if percent(client).await? == 100
            && attr(client, "campaign-run", "data-state").await? == "completed"
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        attr(client, "campaign-run", "data-state").await?,
        "completed"
    );
    let mut total = 0;
    for name in ["sent", "failed", "skipped", "unknown"] {
        total += attr(client, &format!("campaign-count-{name}"), "data-count")
            .await?
            .parse::<u64>()?;
    }
    assert_eq!(total, AUDIENCE, "everyone has an answer after resuming");
    screenshot(client, "resumed").await?;
    Ok(())
}
