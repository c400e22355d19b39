//! A marketer's campaign that goes on with the laptop closed, in the real
//! app against moto (S3, SQS, DynamoDB, SNS). The admin's part is done as
//! in the deploy journey (a cloud profile made in Settings) plus what the
//! deploy's apply records (the campaign worker's table and queue; moto
//! cannot apply the real template, see `deploy_journey.rs`), and the
//! customers are the profile's. The marketer then launches a push campaign
//! with a frequency cap in the cloud, closes the app; the worker (in this test process, fed from the SQS
//! queue as Lambda's event source mapping feeds it) sends a chunk
//! meanwhile; the reopened app shows the run "in the cloud" with that
//! progress, and follows it to the end and the final recipient table while
//! the worker sends the rest.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use stratus_app::campaign_runs::{cloud_launch, notifier_for};
use stratus_app::deploy::{DeploymentRecord, Wiring};
use stratus_campaigns::cloud::queue::QueueMessage;
use stratus_campaigns::cloud::{local, scratch, Worker, WorkerSettings};
use stratus_campaigns::customer::{self, Customer};
use stratus_campaigns::push::{Platform, Registrar};
use stratus_core::home::AppHome;
use stratus_core::profile::ProfileBook;
use stratus_core::stack::Stack;
use stratus_core::testing;
use stratus_deploy::DeployOutputs;
use stratus_e2e::{create_bucket, s3_endpoint, text_of, App};

/// The campaign's channel, the one switch of this journey: `"push"` (every
/// customer has an FCM device) or `"sms"`.
const CHANNEL: &str = "push";

/// Two manifest chunks (250 a chunk): one is sent with the app closed.
const AUDIENCE: usize = 300;
const PROFILE: &str = "shop";

#[tokio::test]
async fn cloud_campaign_journey() -> Result<()> {
    let Some(mut app) = App::launch("cloud-campaign").await? else {
        return Ok(());
    };
    let result = journey(&mut app).await;
    if result.is_err() {
        app.screenshot("failure").await.ok();
    }
    app.close().await.ok();
    result
}

async fn journey(app: &mut App) -> Result<()> {
    let endpoint = s3_endpoint()?;
    let unique = testing::unique_bucket("cloudapp");
    create_bucket(&endpoint, &unique)?;
    add_cloud_profile(app, &endpoint, &unique).await?;

    // The profile's customers and its deployed campaign worker.
    let home = AppHome::new(app.data_dir.path());
    let stack = open_profile(&home).await?;
    let sdk = stack.sdk.clone().context("a cloud profile has AWS")?;
    let target = scratch::provision(&sdk, &unique, 2).await?;
    record_deploy(&home, &target.table, &target.queue_url)?;
    let devices = seed_customers(&stack).await?;

    let tag = format!("t{}", &unique[unique.len() - 8..]);
    let launched = launch_in_cloud(app, &tag).await?;

    // The laptop closes; a worker sends one chunk meanwhile.
    let services = cloud_launch::services(&home, &stack)?;
    let worker = Worker::new(
        services.marks.clone(),
        services.queue.clone(),
        Arc::clone(&services.manifests),
        notifier_for(&stack)?,
        WorkerSettings::default(),
    );
    app.client.clone().close().await.ok();
    let first = send_one_chunk(&worker).await?;
    assert!(
        first > 0 && first < AUDIENCE as u64,
        "one chunk of {AUDIENCE}: {first}"
    );

    // Reopened: the run is in the cloud (not interrupted) with that progress.
    app.restart().await?;
    app.click("nav-campaigns").await?;
    let row = wait_for_list_progress(app).await?;
    assert!(row.contains("running in the cloud"), "{row}");
    assert!(!row.contains("interrupted"), "{row}");
    app.screenshot("reopened-list").await?;
    scroll_click(app, "campaign-open").await?;
    app.wait_for_text("campaign-run-state", "running in the cloud")
        .await?;
    app.find("campaign-in-cloud").await?;
    let reopened = percent(app).await?;
    assert!(
        (1..100).contains(&reopened),
        "progress after reopening: {reopened} %"
    );
    app.screenshot("reopened-run").await?;

    // The workers send the rest while the run view is open: it follows
    // them to the end and the final table.
    let mut sent = first;
    for _ in 0..120 {
        let reports = local::drain(&worker).await?;
        sent += reports.iter().map(|r| r.sent).sum::<u64>();
        if sent >= launched {
            break;
        }
        // Another chunk is still hidden by an earlier receive.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(sent, launched, "the workers sent everyone");
    for _ in 0..600 {
        if attr(app, "campaign-run", "data-state").await? == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(attr(app, "campaign-run", "data-state").await?, "completed");
    assert_eq!(percent(app).await?, 100);
    assert_eq!(count(app, "sent").await?, AUDIENCE as u64);
    assert_eq!(
        count(app, "unknown").await? + count(app, "failed").await?,
        0
    );
    let rows = app.find_all("recipient-row").await?;
    assert!(!rows.is_empty(), "the recipient table shows the run");
    for row in rows {
        assert_eq!(row.attr("data-status").await?.as_deref(), Some("sent"));
    }
    // The section scrolls inside the window: bring each part into view.
    scroll_to(app, "campaign-run").await?;
    app.screenshot("finished").await?;
    scroll_to(app, "recipient-table").await?;
    app.screenshot("finished-table").await?;
    if CHANNEL == "sms" {
        let messages = testing::moto_sms(&endpoint)
            .into_iter()
            .filter(|(_, text)| text.contains(&tag))
            .count();
        assert_eq!(messages, AUDIENCE, "one SMS per recipient");
    }
    for endpoint_arn in &devices {
        let pushes = testing::moto_push_messages(&endpoint, endpoint_arn)
            .into_iter()
            .filter(|payload| payload.to_string().contains(&tag))
            .count();
        assert_eq!(pushes, 1, "one push per device: {endpoint_arn}");
    }
    Ok(())
}

/// The admin's part, as in the deploy journey: a cloud profile on moto.
async fn add_cloud_profile(app: &App, endpoint: &str, bucket: &str) -> Result<()> {
    app.click("nav-settings").await?;
    app.find("profile-row-demo").await?;
    app.click("profile-add").await?;
    app.fill("profile-form-name", PROFILE).await?;
    app.fill("profile-form-region", "us-east-1").await?;
    app.fill("profile-form-endpoint", endpoint).await?;
    app.click("profile-form-path-style").await?;
    app.fill("profile-form-media-bucket", bucket).await?;
    app.fill("profile-form-events-bucket", bucket).await?;
    app.click("profile-form-save").await?;
    app.click(&format!("profile-use-{PROFILE}")).await?;
    app.wait_for_text("status-profile", PROFILE).await?;
    Ok(())
}

/// The profile as the CLI would open it, beside the app.
async fn open_profile(home: &AppHome) -> Result<Stack> {
    let profile = ProfileBook::load(home)?.get(PROFILE)?;
    Ok(Stack::open(home, profile).await?)
}

/// What a deploy with the campaign worker records for the profile.
fn record_deploy(home: &AppHome, table: &str, queue_url: &str) -> Result<()> {
    let outputs = DeployOutputs {
        campaign_table: Some(table.to_string()),
        campaign_queue_url: Some(queue_url.to_string()),
        campaign_workers: Some(2),
        ..DeployOutputs::default()
    };
    DeploymentRecord::new(
        format!("stratus-{PROFILE}"),
        PROFILE.into(),
        "us-east-1".into(),
        Wiring::Website,
        &outputs,
    )
    .save(home, PROFILE)?;
    Ok(())
}

/// `AUDIENCE` customers with a phone (never ending in 99: moto's opted-out
/// numbers) and, for push, an FCM device registered with SNS as `stratus
/// push app create` and `stratus customers device add` do.
async fn seed_customers(stack: &Stack) -> Result<Vec<String>> {
    let customers: Vec<Customer> = (0..AUDIENCE)
        .map(|i| {
            let mut c = Customer::new(format!("cc-{i:04}"), format!("Cloud{i} Fan"));
            c.phone = Some(format!("+1720{:03}{:04}", 500 + i / 98, i % 98));
            c.sms_opt_in = true;
            c.push_opt_in = true;
            c
        })
        .collect();
    let ids: Vec<String> = customers.iter().map(|c| c.id.clone()).collect();
    stack
        .db
        .call(move |c| -> stratus_campaigns::Result<()> {
            for cust in &customers {
                customer::upsert(c, cust, 1)?;
            }
            Ok(())
        })
        .await?;
    if CHANNEL == "push" {
        let sdk = stack.sdk.as_ref().context("a cloud profile has AWS")?;
        let registrar = Registrar::new(sdk);
        let credential = [("PlatformCredential".to_string(), "test-key".to_string())];
        registrar
            .create_app(
                &stack.db,
                &format!("shop-{}", ids.len()),
                Platform::Fcm,
                credential.into_iter().collect(),
            )
            .await?;
        let mut endpoints = Vec::with_capacity(ids.len());
        for id in &ids {
            let device = registrar
                .register(&stack.db, id, Platform::Fcm, &format!("token-{id}"))
                .await?;
            endpoints.push(
                device
                    .endpoint_arn
                    .context("a registered device has an endpoint")?,
            );
        }
        return Ok(endpoints);
    }
    Ok(Vec::new())
}

/// The marketer's launch in the cloud, with a frequency cap (the workers
/// keep it: nobody here got a message before, so nobody is capped).
/// Returns the recipients handed to the workers.
async fn launch_in_cloud(app: &App, tag: &str) -> Result<u64> {
    app.click("nav-campaigns").await?;
    app.click("campaign-new").await?;
    app.fill("campaign-name", "Weekend in the cloud").await?;
    app.find("campaign-channel")
        .await?
        .select_by_value(CHANNEL)
        .await?;
    app.fill("campaign-segment", "points >= 0").await?;
    app.wait_for_text("segment-count", &AUDIENCE.to_string())
        .await?;
    app.fill(
        "campaign-template",
        &format!("Hi {{{{ first_name }}}}, it is the weekend {tag}"),
    )
    .await?;
    if CHANNEL == "push" {
        app.fill("push-title", "{{ first_name }}, the weekend")
            .await?;
    }
    app.fill("campaign-rate", "500").await?;
    scroll_click(app, "campaign-capped").await?;

    scroll_click(app, "campaign-launch").await?;
    let cloud = app.find("campaign-where-cloud").await?;
    for _ in 0..300 {
        if cloud.is_enabled().await? {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scroll_click(app, "campaign-where-cloud").await?;
    scroll_click(app, "campaign-launch-confirm").await?;
    app.wait_for_text("campaign-run-state", "running in the cloud")
        .await?;
    app.find("campaign-in-cloud").await?;
    let total = attr_when(app, "campaign-count-pending", "data-count", |n| n != "0").await?;
    app.screenshot("launched").await?;
    Ok(total.parse()?)
}

/// One chunk from the queue through the worker, the others left on the
/// queue (visible at once): how many it sent.
async fn send_one_chunk(worker: &Worker) -> Result<u64> {
    let messages = worker.queue.receive(Duration::ZERO).await?;
    let Some((body, receipt)) = messages.into_iter().next() else {
        bail!("no chunk on the queue");
    };
    let QueueMessage::Chunk(chunk) = QueueMessage::parse(&body)? else {
        bail!("not a chunk: {body}");
    };
    let report = worker.process(&chunk, None).await?;
    worker.queue.delete(&receipt).await?;
    Ok(report.sent)
}

/// The list's row once its progress shows what the worker sent.
async fn wait_for_list_progress(app: &App) -> Result<String> {
    for _ in 0..300 {
        let title = app
            .client
            .execute(
                "const bar = document.querySelector('[data-testid=\"campaign-row\"] .bar'); return bar ? bar.title : '';",
                vec![],
            )
            .await?;
        let percent: u64 = title
            .as_str()
            .and_then(|t| t.trim_end_matches(" %").parse().ok())
            .unwrap_or(0);
        if percent > 0 {
            return Ok(text_of(&app.find("campaign-row").await?).await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("the list never showed the cloud run's progress")
}

async fn scroll_to(app: &App, test_id: &str) -> Result<()> {
    let el = app.find(test_id).await?;
    app.client
        .execute(
            "arguments[0].scrollIntoView({block: 'start'});",
            vec![serde_json::to_value(&el)?],
        )
        .await?;
    Ok(())
}

async fn scroll_click(app: &App, test_id: &str) -> Result<()> {
    let el = app.find(test_id).await?;
    app.client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&el)?],
        )
        .await?;
    el.click()
        .await
        .with_context(|| format!("click `{test_id}`"))?;
    Ok(())
}

async fn attr(app: &App, test_id: &str, name: &str) -> Result<String> {
    Ok(app
        .find(test_id)
        .await?
        .attr(name)
        .await?
        .unwrap_or_default())
}

async fn attr_when(
    app: &App,
    test_id: &str,
    name: &str,
    ok: impl Fn(&str) -> bool,
) -> Result<String> {
    let mut last = String::new();
    for _ in 0..300 {
        last = attr(app, test_id, name).await?;
        if ok(&last) {
            return Ok(last);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("`{test_id}` {name} stayed {last:?}")
}

async fn count(app: &App, status: &str) -> Result<u64> {
    Ok(attr(app, &format!("campaign-count-{status}"), "data-count")
        .await?
        .parse()?)
}

async fn percent(app: &App) -> Result<u64> {
    Ok(attr(app, "campaign-progress", "data-percent")
        .await?
        .parse()?)
}
