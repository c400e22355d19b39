//! Cloud runs as the app drives them, against moto (SQS, DynamoDB, S3,
//! SNS) with the worker in-process: "Run in the cloud" is offered only to
//! a cloud profile whose deploy has the campaign worker; the launch is the
//! CLI's; a run nobody watches is "in the cloud", never interrupted; the
//! app's steering reaches the control item at once; the background
//! follower catches the rows up to the final table with no run view open.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use stratus_app::campaign_runs::{cloud_launch, CampaignRuns, CloudAvailability};
use stratus_app::deploy::{DeploymentRecord, Wiring};
use stratus_campaigns::campaign::{self, CampaignSpec, CampaignState, Channel};
use stratus_campaigns::cloud::queue::QueueMessage;
use stratus_campaigns::cloud::{
    local, scratch, CloudServices, CloudTarget, SdkConfig, Worker, WorkerSettings,
};
use stratus_campaigns::customer::{self, Customer};
use stratus_campaigns::notifier::SnsNotifier;
use stratus_campaigns::run;
use stratus_core::home::AppHome;
use stratus_core::jobs::{CancellationToken, JobRegistry};
use stratus_core::profile::{CloudSettings, Profile};
use stratus_core::stack::Stack;
use stratus_core::{testing, CodedError};
use stratus_deploy::DeployOutputs;

const AUDIENCE: usize = 30;

async fn cloud_stack(home: &AppHome, endpoint: &str) -> Arc<Stack> {
    let events = testing::unique_bucket("cloudapp");
    testing::s3_client(endpoint)
        .create_bucket()
        .bucket(&events)
        .send()
        .await
        .unwrap();
    let profile = Profile::cloud(
        "shop",
        CloudSettings {
            aws_profile: None,
            region: "us-east-1".into(),
            endpoint_url: Some(endpoint.to_string()),
            force_path_style: true,
            allow_insecure_http: false,
            media_bucket: events.clone(),
            events_bucket: events,
            topic_arn: None,
            image_function_url: None,
        },
    );
    Arc::new(Stack::open(home, profile).await.unwrap())
}

/// A cloud profile on moto with a marks table and a chunk queue made for
/// it (what the deploy creates); `None` without moto.
struct Cloud {
    endpoint: String,
    _dir: tempfile::TempDir,
    home: AppHome,
    stack: Arc<Stack>,
    sdk: SdkConfig,
    target: CloudTarget,
}

impl Cloud {
    async fn provisioned() -> Option<Cloud> {
        let endpoint = testing::endpoint()?;
        let dir = tempfile::tempdir().unwrap();
        let home = AppHome::new(dir.path());
        let stack = cloud_stack(&home, &endpoint).await;
        let sdk = stack.sdk.clone().unwrap();
        let name = testing::unique_bucket("cloudapp");
        let target = scratch::provision(&sdk, &name, 2).await.unwrap();
        Some(Cloud {
            endpoint,
            _dir: dir,
            home,
            stack,
            sdk,
            target,
        })
    }
}

/// A worker in this process, as the Lambda runs one.
fn worker(services: &CloudServices, sdk: &SdkConfig, settings: WorkerSettings) -> Worker {
    Worker::new(
        services.marks.clone(),
        services.queue.clone(),
        Arc::clone(&services.manifests),
        Arc::new(SnsNotifier::new(sdk)),
        settings,
    )
}

/// What a deploy with the campaign worker records (outputs of the stack).
fn record_deploy(home: &AppHome, table: &str, queue_url: &str) {
    let outputs = DeployOutputs {
        campaign_table: Some(table.to_string()),
        campaign_queue_url: Some(queue_url.to_string()),
        campaign_workers: Some(2),
        ..DeployOutputs::default()
    };
    DeploymentRecord::new(
        "stratus-shop".into(),
        "shop".into(),
        "us-east-1".into(),
        Wiring::Website,
        &outputs,
    )
    .save(home, "shop")
    .unwrap();
}

async fn draft(stack: &Stack, tag: &str, spec: impl FnOnce(&mut CampaignSpec)) -> String {
    stack
        .db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            for i in 0..AUDIENCE {
                let mut cust = Customer::new(format!("a-{i:03}"), format!("Cloud{i} Person"));
                cust.phone = Some(format!("+1720555{:04}", 1000 + i));
                cust.sms_opt_in = true;
                customer::upsert(c, &cust, 1)?;
            }
            Ok(())
        })
        .unwrap();
    let mut s = CampaignSpec::new(
        "Cloudy",
        Channel::Sms,
        "",
        &format!("Hi {{{{ first_name }}}} {tag}"),
    );
    s.rate_per_sec = 10_000.0;
    spec(&mut s);
    campaign::create_draft(&stack.db, s).await.unwrap().id
}

#[tokio::test]
async fn the_cloud_is_offered_only_to_a_cloud_profile_with_the_worker_deployed() {
    let dir = tempfile::tempdir().unwrap();
    let home = AppHome::new(dir.path());
    let demo = Stack::open(&home, Profile::demo()).await.unwrap();
    let CloudAvailability::Unavailable(why) = cloud_launch::availability(&home, &demo) else {
        panic!("the demo profile sends from this computer");
    };
    assert!(why.contains("cloud profile"), "{why}");
    let refused = cloud_launch::launch(&home, &demo, "any").await.unwrap_err();
    assert_eq!(refused.code(), "cloud_unavailable");

    let Some(endpoint) = testing::endpoint() else {
        return;
    };
    let stack = cloud_stack(&home, &endpoint).await;
    let CloudAvailability::Unavailable(why) = cloud_launch::availability(&home, &stack) else {
        panic!("nothing deployed yet");
    };
    assert!(why.contains("no campaign worker deployed"), "{why}");
    record_deploy(&home, "t", "http://q");
    assert_eq!(
        cloud_launch::availability(&home, &stack),
        CloudAvailability::Ready { workers: 2 }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_run_nobody_watches_is_in_the_cloud_steered_at_once_and_caught_up_in_the_background(
) {
    let Some(Cloud {
        endpoint,
        _dir,
        home,
        stack,
        sdk,
        target,
    }) = Cloud::provisioned().await
    else {
        return;
    };
    record_deploy(&home, &target.table, &target.queue_url);

    let tag = testing::unique_bucket("tag");
    let id = draft(&stack, &tag, |_| {}).await;
    let launched = cloud_launch::launch(&home, &stack, &id).await.unwrap();
    assert_eq!(launched.recipients, AUDIENCE as u64);

    // An app opened afresh: no run view, no runner here; the run is in
    // the cloud, not interrupted.
    let runs = CampaignRuns::default();
    let c = campaign::get(&stack.db, &id).await.unwrap();
    let presence = runs.presence(&stack, &c).await.unwrap();
    assert!(presence.in_cloud && presence.attached, "{presence:?}");
    assert!(!run::is_interrupted(c.state, presence.attached));

    // Pause from the app: the workers' control item says so at once (no
    // catch-up in between), and a worker sends nothing while it does.
    runs.pause(&stack, &id).await.unwrap();
    let services = cloud_launch::services(&home, &stack).unwrap();
    let marks = &services.marks;
    let control = marks.control(&launched.run_id).await.unwrap().unwrap();
    assert_eq!(control.state, CampaignState::Paused);
    // A worker (fresh: it caches the control item) takes the chunk while
    // paused: nothing is sent, the chunk goes back on the queue.
    // Put back at once, not after a minute: the test resumes right away.
    let worker = || {
        worker(
            &services,
            &sdk,
            WorkerSettings {
                paused_recheck: Duration::ZERO,
                ..WorkerSettings::default()
            },
        )
    };
    let paused = worker();
    let (body, receipt) = paused
        .queue
        .receive(Duration::from_secs(300))
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let QueueMessage::Chunk(chunk) = QueueMessage::parse(&body).unwrap() else {
        panic!("a chunk: {body}");
    };
    let report = paused.process(&chunk, None).await.unwrap();
    assert_eq!((report.sent, report.requeued), (0, Some("paused")));
    paused.queue.delete(&receipt).await.unwrap();
    runs.set_rate(&stack, &id, 5_000.0).await.unwrap();
    let control = marks.control(&launched.run_id).await.unwrap().unwrap();
    assert_eq!(control.rate_per_sec, 5_000.0);
    runs.resume(&home, &JobRegistry::new(), Arc::clone(&stack), &id)
        .await
        .unwrap();
    let control = marks.control(&launched.run_id).await.unwrap().unwrap();
    assert_eq!(control.state, CampaignState::Running);

    // The workers send everything with the app's follower running and no
    // view open; the rows reach the final table by themselves.
    let stop = CancellationToken::new();
    let follower = {
        let (runs, stack, stop) = (runs.clone(), Arc::clone(&stack), stop.clone());
        tokio::spawn(async move {
            let current = move || {
                let stack = Arc::clone(&stack);
                async move { stack }
            };
            runs.follow_cloud(current, Duration::from_millis(100), stop)
                .await;
        })
    };
    let reports = local::drain(&worker()).await.unwrap();
    assert_eq!(
        reports.iter().map(|r| r.sent).sum::<u64>(),
        AUDIENCE as u64,
        "{reports:?}"
    );
    let mut state = CampaignState::Running;
    for _ in 0..600 {
        state = campaign::get(&stack.db, &id).await.unwrap().state;
        if state == CampaignState::Completed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    follower.await.unwrap();
    assert_eq!(state, CampaignState::Completed);
    let counts = run::progress_summary(&stack.db, &id).await.unwrap().counts;
    assert_eq!((counts.sent, counts.pending), (AUDIENCE as u64, 0));
    let c = campaign::get(&stack.db, &id).await.unwrap();
    assert!(!runs.presence(&stack, &c).await.unwrap().in_cloud);
    let sent = testing::moto_sms(&endpoint)
        .into_iter()
        .filter(|(_, text)| text.contains(&tag))
        .count();
    assert_eq!(sent, AUDIENCE, "one message per recipient");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_launch_cut_off_before_the_queue_is_interrupted_and_resume_finishes_it() {
    let Some(Cloud {
        endpoint,
        _dir,
        home,
        stack,
        sdk,
        target,
    }) = Cloud::provisioned().await
    else {
        return;
    };
    // The manifest and the control item go out; the queue is not there
    // (as if the app closed before the messages were sent).
    record_deploy(
        &home,
        &target.table,
        &format!("{endpoint}/123456789012/gone-{}", target.table),
    );
    let tag = testing::unique_bucket("tag");
    let id = draft(&stack, &tag, |_| {}).await;
    cloud_launch::launch(&home, &stack, &id).await.unwrap_err();

    let runs = CampaignRuns::default();
    let c = campaign::get(&stack.db, &id).await.unwrap();
    assert_eq!(c.state, CampaignState::Running);
    let presence = runs.presence(&stack, &c).await.unwrap();
    assert!(presence.in_cloud, "{presence:?}");
    assert!(
        run::is_interrupted(c.state, presence.attached),
        "nothing was handed over: interrupted, not running in the cloud"
    );

    // Resume finishes the upload; the workers send everyone once.
    record_deploy(&home, &target.table, &target.queue_url);
    runs.resume(&home, &JobRegistry::new(), Arc::clone(&stack), &id)
        .await
        .unwrap();
    let presence = runs.presence(&stack, &c).await.unwrap();
    assert!(presence.in_cloud && presence.attached, "{presence:?}");
    let services = cloud_launch::services(&home, &stack).unwrap();
    let worker = worker(&services, &sdk, WorkerSettings::default());
    local::drain(&worker).await.unwrap();
    runs.catch_up_all(&stack).await.unwrap();
    let counts = run::progress_summary(&stack.db, &id).await.unwrap().counts;
    assert_eq!((counts.sent, counts.pending), (AUDIENCE as u64, 0));
    let sent = testing::moto_sms(&endpoint)
        .into_iter()
        .filter(|(_, text)| text.contains(&tag))
        .count();
    assert_eq!(sent, AUDIENCE);
}
