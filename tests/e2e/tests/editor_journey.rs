//! The editor's journey in the real app: browse the demo originals, open
//! one and see every preset made side by side, upload a photo, warm a preset
//! with a visible progress bar.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use anyhow::{bail, Result};
use stratus_e2e::{run_journey, text_of, App};

#[tokio::test]
async fn editor_journey() -> Result<()> {
    run_journey("editor", journey).await
}

/// Waits until every variant card has an outcome (`made` or `hit`); fails on
/// a card error. AVIF in a debug build takes a while, hence the long wait.
async fn all_cards_done(app: &App) -> Result<Vec<(String, String)>> {
    for _ in 0..600 {
        let cards = app.find_all("variant-card").await?;
        let mut states = Vec::new();
        for card in &cards {
            let preset = card.attr("data-preset").await?.unwrap_or_default();
            let outcome = card.attr("data-outcome").await?.unwrap_or_default();
            if outcome == "error" {
                bail!("preset {preset} failed: {}", text_of(card).await);
            }
            states.push((preset, outcome));
        }
        if !states.is_empty() && states.iter().all(|(_, o)| o == "made" || o == "hit") {
            return Ok(states);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("variant cards did not finish")
}

async fn journey(app: &App) -> Result<()> {
    app.click("nav-images").await?;
    app.find("image-library").await?;

    // demo/ → landscapes/ → a photo.
    app.wait_for_any_text("image-folder", "demo")
        .await?
        .click()
        .await?;
    app.wait_for_any_text("image-folder", "landscapes")
        .await?
        .click()
        .await?;
    // The folder's listing loads after the click: wait for it, then count.
    app.wait_for_any_text("image-tile", "alpine-dawn").await?;
    let tiles = app.find_all("image-tile").await?;
    assert!(tiles.len() >= 4, "the demo landscapes are listed");
    app.fill("image-search", "fjord").await?;
    let tile = app.wait_for_any_text("image-tile", "fjord-dusk").await?;
    let mut shown = usize::MAX;
    for _ in 0..100 {
        shown = app.find_all("image-tile").await?.len();
        if shown == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown, 1, "search narrows to one");
    app.screenshot("library").await?;
    tile.click().await?;

    // Every preset side by side, each made on demand.
    app.find("image-detail").await?;
    app.find("original-preview").await?;
    let cards = all_cards_done(app).await?;
    let presets: Vec<&str> = cards.iter().map(|(p, _)| p.as_str()).collect();
    for expected in [
        "thumb",
        "card",
        "hero",
        "card-webp",
        "hero-avif",
        "card-auto",
    ] {
        assert!(presets.contains(&expected), "{expected} shown: {presets:?}");
    }
    let card = app
        .find_all("variant-card")
        .await?
        .into_iter()
        .find(|_| true)
        .unwrap();
    let text = text_of(&card).await;
    assert!(text.contains('×'), "dimensions shown: {text}");
    app.screenshot("variants").await?;

    // A click on the original sets its focal point (the middle of the
    // picture, where WebDriver clicks): the variants are purged and every
    // card is made again.
    app.click("focal-point-picture").await?;
    app.wait_for_text("focal-point-text", "across").await?;
    app.wait_for_text("purge-result", "deleted").await?;
    app.find("focal-point-marker").await?;
    all_cards_done(app).await?;
    app.screenshot("focal-point").await?;

    // Upload a photo through the file input.
    let dir = tempfile::tempdir()?;
    let photo = dir.path().join("uploaded-e2e.jpg");
    std::fs::copy(
        app.data_dir
            .path()
            .join("profiles/demo/buckets/stratus-demo-media/demo/landscapes/green-hills.jpg"),
        &photo,
    )?;
    app.click("nav-campaigns").await?;
    app.click("nav-images").await?;
    app.find("image-library").await?;
    app.client
        .execute(
            "const i = document.querySelector('[data-testid=\"image-upload-input\"]'); i.classList.remove('visually-hidden'); i.style.display = 'block';",
            vec![],
        )
        .await?;
    app.find("image-upload-input")
        .await?
        .send_keys(photo.to_str().unwrap())
        .await?;
    let row = app
        .wait_for_any_text("upload-row", "uploaded-e2e.jpg")
        .await?;
    for _ in 0..200 {
        if row.attr("data-state").await?.as_deref() == Some("done") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        row.attr("data-state").await?.as_deref(),
        Some("done"),
        "{}",
        text_of(&row).await
    );
    app.wait_for_any_text("image-tile", "uploaded-e2e.jpg")
        .await?;
    app.screenshot("uploaded").await?;

    // Warm a preset over the demo landscapes: a job with a progress bar.
    app.find("warm-preset")
        .await?
        .select_by_value("card-webp")
        .await?;
    app.fill("warm-prefix", "demo/").await?;
    app.click("warm-start").await?;
    // Starting a job opens the jobs panel by itself.
    app.find("jobs-panel").await?;
    app.wait_for_any_text("job-row", "Warm card-webp").await?;
    app.find("job-progress").await?;
    app.wait_for_any_text("job-state", "succeeded").await?;
    app.screenshot("warm").await?;
    Ok(())
}
