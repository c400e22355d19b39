//! The support user's journey in the real app (demo mode): sync the demo
//! events into the cache with a progress bar, find a customer, open their
//! timeline, their person card and one event's JSON, open a customer by
//! their phone's anonymous id and export everything held on that person
//! (a GDPR access request), filter, and export the filtered events.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use anyhow::{bail, Result};
use stratus_e2e::{run_journey, text_of, App};

#[tokio::test]
async fn support_journey() -> Result<()> {
    run_journey("support", journey).await
}

/// Waits until the element's attribute has `want`; returns the last value.
async fn wait_for_attr(app: &App, test_id: &str, attr: &str, want: &str) -> Result<()> {
    let mut last = None;
    for _ in 0..600 {
        if let Ok(el) = app.find(test_id).await {
            last = el.attr(attr).await?;
            if last.as_deref() == Some(want) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("`{test_id}` {attr} never became {want:?} (last {last:?})")
}

async fn journey(app: &App) -> Result<()> {
    app.click("nav-events").await?;
    app.find("sync-status").await?;

    // A fresh cache: the empty state offers the first sync.
    app.wait_for_text("events-empty", "No events synced yet")
        .await?;
    app.screenshot("empty").await?;
    app.click("events-empty-sync").await?;
    app.find("sync-job").await?;
    wait_for_attr(app, "sync-job", "data-state", "succeeded").await?;
    let bar = app.find("job-progress").await?;
    let (done, total) = (bar.attr("data-done").await?, bar.attr("data-total").await?);
    assert_eq!(done, total, "the progress bar reached the end");
    assert!(
        done.unwrap_or_default().parse::<u64>()? > 0,
        "objects were synced"
    );
    let cached = app.wait_for_text("sync-events", ",").await?;
    let cached: u64 = cached.trim().replace(',', "").parse()?;
    assert!(cached >= 30_000, "the demo's 30 days of events: {cached}");
    app.find("event-row").await?;
    app.screenshot("synced").await?;

    // Find a demo customer and open their timeline.
    app.fill("customer-search", "cust-00034").await?;
    app.wait_for_any_text("customer-result", "cust-00034")
        .await?
        .click()
        .await?;
    app.wait_for_text("customer-card", "cust-00034").await?;
    app.wait_for_text("events-scope", "Timeline of").await?;
    app.wait_for_text("customer-zone", "/").await?;
    wait_for_attr(app, "events-main", "data-loaded-for", "cust-00034").await?;
    let first = app.find("event-row").await?;
    first.click().await?;
    let json = app.wait_for_text("event-json", "\"event_id\"").await?;
    assert!(json.contains("\"distinct_id\": \"cust-00034\""), "{json}");
    app.screenshot("timeline").await?;

    // The person card, one click from the timeline: the customer list's
    // fields and the campaigns they received beside what they did.
    app.click("event-detail-close").await?;
    app.click("person-toggle").await?;
    app.wait_for_text("person-card", "Campaigns received")
        .await?;
    app.wait_for_text("person-directory", "Level").await?;
    app.click("person-toggle").await?;

    // A customer who browsed on their phone before signing in: found by the
    // phone's anonymous id, one person whose card says how the ids joined.
    app.click("customer-close").await?;
    app.fill("customer-search", "phone-00166").await?;
    app.wait_for_any_text("customer-result", "cust-00166")
        .await?
        .click()
        .await?;
    app.wait_for_text("customer-ids", "2").await?;
    app.click("person-toggle").await?;
    app.wait_for_any_text("person-link", "linked by identify on")
        .await?;
    app.screenshot("person").await?;

    // Their access request: support exports everything held on the person
    // from the card, as a job; the file (in the app's exports folder) holds
    // both ids' events, from the cache and the bucket, and nobody else's.
    app.fill("privacy-requester", "support@example.com").await?;
    app.click("person-export").await?;
    wait_for_attr(app, "person-export-job", "data-state", "succeeded").await?;
    let saved = app.find("person-export-result").await?;
    let path = saved.attr("data-path").await?.unwrap_or_default();
    assert!(
        path.starts_with(app.data_dir.path().to_str().unwrap()),
        "{path}"
    );
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let ids: Vec<&str> = doc["ids"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        ids.contains(&"cust-00166") && ids.contains(&"phone-00166"),
        "{ids:?}"
    );
    assert_eq!(doc["requested_by"], "support@example.com");
    let cached = doc["events"]["cached_events"].as_array().unwrap();
    let in_bucket = doc["events"]["bucket_events"].as_array().unwrap();
    assert!(!cached.is_empty() && in_bucket.len() >= cached.len());
    let theirs = |e: &serde_json::Value| {
        let id = e["distinct_id"].as_str().or(e["anonymous_id"].as_str());
        id.is_some_and(|id| ids.contains(&id))
    };
    assert!(cached.iter().all(theirs), "only their cached events");
    assert!(
        in_bucket.iter().all(|l| theirs(&l["value"])),
        "only their lines"
    );
    assert!(
        cached.iter().any(|e| e["anonymous_id"] == "phone-00166"),
        "their phone's pre-login events are in it"
    );
    // The saved file's path is under the card: bring it into view.
    app.client
        .execute(
            "document.querySelector('[data-testid=\"person-export-result\"]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await?;
    app.screenshot("person-export").await?;
    app.click("customer-close").await?;
    app.fill("customer-search", "cust-00034").await?;
    app.wait_for_any_text("customer-result", "cust-00034")
        .await?
        .click()
        .await?;
    wait_for_attr(app, "events-main", "data-loaded-for", "cust-00034").await?;
    app.find("event-row").await?.click().await?;
    app.wait_for_text("event-json", "\"event_id\"").await?;

    // Filter the timeline to one event name from the facets.
    app.click("event-detail-close").await?;
    let facet = app
        .wait_for_any_text("facet-event", "Button Clicked")
        .await?;
    let expected: u64 = text_of(&facet)
        .await
        .trim()
        .rsplit(|c: char| !c.is_ascii_digit() && c != ',')
        .find(|s| !s.is_empty())
        .unwrap_or("0")
        .replace(',', "")
        .parse()?;
    facet.click().await?;
    app.find("filter-event-chip").await?;
    let mut names = Vec::new();
    for _ in 0..100 {
        names.clear();
        // The table re-renders while it loads: a row may go between find and read.
        for row in app.find_all("event-row").await.unwrap_or_default() {
            names.push(text_of(&row).await);
        }
        if !names.is_empty() && names.iter().all(|t| t.contains("Button Clicked")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(
        !names.is_empty() && names.iter().all(|t| t.contains("Button Clicked")),
        "only clicks are listed: {names:?}"
    );
    app.click("zone-utc").await?;
    app.wait_for_text("zone-note", "UTC").await?;
    // The row's time in UTC is the envelope's `ts`, written the screen's way.
    let row = app.find("event-row").await?;
    row.click().await?;
    let json = app.wait_for_text("event-json", "\"ts\"").await?;
    let ts = json
        .split("\"ts\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .replace('T', " ")
        .replace('Z', "");
    let mut shown = String::new();
    for _ in 0..50 {
        shown = text_of(&app.find("event-time").await?).await;
        if shown == ts {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mode = app.find("zone-toggle").await?.attr("data-mode").await?;
    assert_eq!(shown, ts, "times shown in UTC (toggle {mode:?})");
    app.screenshot("filtered").await?;
    app.click("event-detail-close").await?;

    // Export the filtered timeline: the file is there with every row.
    app.click("export-csv").await?;
    let result = app.find("export-result").await?;
    let path = result.attr("data-path").await?.unwrap_or_default();
    let rows: u64 = result
        .attr("data-rows")
        .await?
        .unwrap_or_default()
        .parse()?;
    assert_eq!(rows, expected, "the export has the facet's count of clicks");
    let csv = std::fs::read_to_string(&path)?;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines.len() as u64,
        rows + 1,
        "a header and one line per event"
    );
    assert!(lines[1..]
        .iter()
        .all(|l| l.contains("Button Clicked") && l.contains("cust-00034")));
    assert!(
        path.starts_with(app.data_dir.path().to_str().unwrap()),
        "{path}"
    );
    app.screenshot("exported").await?;

    // Live tail: a batch the collector writes now arrives by itself (the
    // suite shortens the timed sync's interval), and the screen offers it.
    app.click("filter-clear").await?;
    // The unfiltered rows must be on screen before the batch lands. Clearing
    // the filter reloads the rows after a 200 ms debounce, and that reload
    // takes the cached count as the baseline of "new events": if the timed
    // sync (and a status refresh) came first, the batch was simply in the
    // reloaded rows and no "3 new events" notice could ever appear — the
    // cause of this journey's intermittent failures.
    let mut names = Vec::new();
    for _ in 0..100 {
        names.clear();
        for row in app.find_all("event-row").await.unwrap_or_default() {
            names.push(text_of(&row).await);
        }
        if names.iter().any(|t| !t.contains("Button Clicked")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(
        names.iter().any(|t| !t.contains("Button Clicked")),
        "the cleared filter lists every event again: {names:?}"
    );
    drop_batch(
        app,
        "cust-00034",
        &[
            "Support Ticket Opened",
            "Support Ticket Opened",
            "Refund Requested",
        ],
    )?;
    app.wait_for_text("events-new", "3 new events").await?;
    app.screenshot("live-tail").await?;
    app.click("events-new-show").await?;
    app.wait_for_any_text("event-row", "Refund Requested")
        .await?;
    app.wait_for_any_text("event-row", "Support Ticket Opened")
        .await?;

    // Retention: keep one week; older events leave the cache at once.
    let before = cached_events(app).await?;
    app.click("retention-toggle").await?;
    app.fill("retention-days", "7").await?;
    app.click("retention-save").await?;
    app.wait_for_text("retention-saved", "removed").await?;
    let mut after = before;
    for _ in 0..100 {
        after = cached_events(app).await?;
        if after < before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(
        after < before && after > 0,
        "30 days of demo traffic cut to one week: {before} → {after}"
    );
    app.screenshot("retention").await?;
    Ok(())
}

/// The "Events cached" figure of the sync status panel.
async fn cached_events(app: &App) -> Result<u64> {
    let text = text_of(&app.find("sync-events").await?).await;
    Ok(text.trim().replace(',', "").parse()?)
}

/// Writes one gzipped batch of `events` for `customer` into the demo events
/// bucket, keyed by this hour as the collector would.
fn drop_batch(app: &App, customer: &str, events: &[&str]) -> Result<()> {
    let buckets = app.data_dir.path().join("profiles/demo/buckets");
    let bucket = std::fs::read_dir(&buckets)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().contains("events"))
        .unwrap();
    let utc = |format: &str| -> Result<String> {
        let out = std::process::Command::new("date")
            .args(["-u", format])
            .output()?;
        Ok(String::from_utf8(out.stdout)?.trim().to_string())
    };
    let now = utc("+%Y-%m-%dT%H:%M:%S.000Z")?;
    let dir = bucket.join(format!("events/v1/{}", utc("+dt=%Y-%m-%d/hh=%H")?));
    std::fs::create_dir_all(&dir)?;
    let lines: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, name)| {
            serde_json::json!({
                "event_id": format!("0190a000-0000-7000-8000-{:012}", i + 1),
                "type": "track", "event": name, "distinct_id": customer,
                "received_at": now, "ts": now,
                "properties": {"channel": "e2e"}, "context": {"url": "https://shop.example.com/help"},
            })
            .to_string()
        })
        .collect();
    // Made beside the bucket and moved in whole, so a sync never reads half a file.
    let ndjson = app.data_dir.path().join("zzzz-e2e.ndjson");
    std::fs::write(&ndjson, lines.join("\n") + "\n")?;
    let status = std::process::Command::new("gzip").arg(&ndjson).status()?;
    if !status.success() {
        bail!("gzip failed: {status}");
    }
    std::fs::rename(
        app.data_dir.path().join("zzzz-e2e.ndjson.gz"),
        dir.join("zzzz-e2e.ndjson.gz"),
    )?;
    Ok(())
}
