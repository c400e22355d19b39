//! Push and in-app campaigns in the cloud, as Lambda runs the worker: the
//! packaged `bootstrap` (`STRATUS_CAMPAIGN_TABLE` set) behind the Runtime
//! API emulator, fed the run's chunks from a real queue (moto).
//!
//! - Push: customers with several devices get one `Publish` per device
//!   enabled at upload, with the per-platform JSON document; an endpoint
//!   SNS disabled after the upload is refused, recorded on the mark, and
//!   the desktop's catch-up disables the device here, so the next campaign
//!   skips it; the badges the sent messages announced are marked
//!   announced by the catch-up (not before, not for a skipped customer).
//! - In-app: the worker writes each customer's message where the
//!   collector's `GET /v1/inbox` reads it.
//!
//! moto's state is global: names and tokens are unique per test. Runs
//! before `lambda_package` (afterwards moto cannot describe its state in
//! `data.json`, which the push test reads).

#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used)]

mod package;
mod runtime_api;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use package::{answer, package, sdk, sqs_event, start_function, unpack, Function};
use runtime_api::RuntimeApi;
use serde_json::Value;
use stratus_campaigns::campaign::{self, CampaignSpec, CampaignState, Channel};
use stratus_campaigns::cloud::{self, scratch, CloudServices, CloudTarget};
use stratus_campaigns::customer::{self, Customer};
use stratus_campaigns::push::{devices, Device, Platform, PushContent, Registrar};
use stratus_campaigns::recipients::{self, RecipientFilter, RecipientRow};
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::store::{ObjectStore, S3Store};
use stratus_core::testing;
use stratus_events::collector::write_keys::KeyRing;
use stratus_gateway::inbox::{routes, InboxFunction, InboxSecret};
use stratus_gateway::AllowedOrigins;
use tower::ServiceExt;

const PATIENCE: Duration = Duration::from_secs(300);
const INBOX_SECRET: &str = "0123456789abcdef0123456789abcdef-cloud-inbox";

/// The desktop's side of a cloud run and the packaged worker, on moto.
struct Stage {
    endpoint: String,
    desktop: aws_config::SdkConfig,
    services: CloudServices,
    db: Db,
    api: Arc<RuntimeApi>,
    log: std::path::PathBuf,
    _function: Function,
    _task: tempfile::TempDir,
}

impl Stage {
    /// `None` (skip) without the package or the test server.
    async fn start(label: &str) -> Option<Stage> {
        let zip = package()?;
        let endpoint = testing::endpoint()?;
        let task = tempfile::tempdir().unwrap();
        unpack(&zip, task.path());
        let desktop = sdk(&endpoint).await;
        let bucket = testing::unique_bucket(label);
        let target: CloudTarget = scratch::provision(&desktop, &bucket, 1).await.unwrap();
        let s3 = testing::s3_client(&endpoint);
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let store: Arc<dyn ObjectStore> =
            Arc::new(S3Store::new(s3, bucket.clone(), endpoint.as_str()));
        let env = [
            ("STRATUS_CAMPAIGN_TABLE", bucket.as_str()),
            ("STRATUS_CAMPAIGN_QUEUE_URL", target.queue_url.as_str()),
            ("STRATUS_CAMPAIGN_BUCKET", bucket.as_str()),
        ];
        let api = Arc::new(RuntimeApi::start().await);
        let function = start_function(task.path(), &api, &endpoint, &env);
        Some(Stage {
            services: CloudServices::new(&desktop, &target, store),
            log: task.path().join("function.log"),
            endpoint,
            desktop,
            db: Db::open_in_memory().unwrap(),
            api,
            _function: function,
            _task: task,
        })
    }

    /// What the event source mapping does: every chunk on the queue to the
    /// function, deleted once it answered without a failure.
    async fn send_queued_chunks(&self) -> usize {
        let mut sent = 0;
        loop {
            let batch = self
                .services
                .queue
                .receive(Duration::from_secs(900))
                .await
                .unwrap();
            if batch.is_empty() {
                return sent;
            }
            for (body, receipt) in batch {
                let event = sqs_event(&format!("m-{sent}"), &receipt, &body);
                let done = answer(self.api.invoke(&event, PATIENCE).await, &self.log);
                assert_eq!(done["batchItemFailures"], serde_json::json!([]), "{done}");
                self.services.queue.delete(&receipt).await.unwrap();
                sent += 1;
            }
        }
    }

    /// Every recipient row of `campaign`, by customer.
    async fn rows(&self, campaign: &str) -> Vec<RecipientRow> {
        let mut rows = recipients::page(&self.db, campaign, RecipientFilter::default(), None, 100)
            .await
            .unwrap()
            .rows;
        rows.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
        rows
    }

    fn customer(&self, id: &str) -> Customer {
        let id = id.to_string();
        self.db
            .call_blocking(move |c| customer::get(c, &id))
            .unwrap()
    }
}

fn unique() -> String {
    let s = uuid::Uuid::now_v7().simple().to_string();
    s[s.len() - 12..].to_string()
}

fn arn(device: &Device) -> &str {
    device.endpoint_arn.as_deref().unwrap()
}

fn insert(db: &Db, customers: Vec<Customer>) {
    db.call_blocking(move |c| -> stratus_campaigns::Result<()> {
        for cust in &customers {
            customer::upsert(c, cust, 1)?;
        }
        Ok(())
    })
    .unwrap();
}

fn push_spec(tag: &str) -> CampaignSpec {
    let mut spec = CampaignSpec::new(
        "Cloud push",
        Channel::Push,
        "",
        &format!("{{{{ points }}}} points{{% for b in new_badges %}}, new: {{{{ b }}}}{{% endfor %}} {tag}"),
    );
    spec.push = PushContent {
        title: "{{ first_name }}, your rewards".into(),
        deep_link: Some("myapp://rewards/{{ id }}".into()),
        data: BTreeMap::from([("campaign".into(), "spring".into())]),
        badge: Some("{{ new_badges | length }}".into()),
        sound: Some("default".into()),
    };
    spec.rate_per_sec = 1000.0;
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_campaign_in_the_cloud_reaches_every_enabled_device_and_the_desktop_learns_what_sns_said(
) {
    let Some(stage) = Stage::start("push").await else {
        return;
    };
    let (db, u) = (&stage.db, unique());
    let customers = ["ann", "bob", "cy", "dan"].map(|id| {
        let mut c = Customer::new(format!("{id}-{u}"), format!("{id} Test"));
        c.push_opt_in = true;
        c.points = 120;
        c
    });
    let [ann, bob, cy, dan] = customers.clone().map(|c| c.id);
    let mut with_badge = customers;
    with_badge[0].badges = vec!["streak-7".into()];
    with_badge[3].badges = vec!["first-buy".into()];
    insert(db, with_badge.to_vec());

    // Platform applications and devices, registered as SNS endpoints.
    let registrar = Registrar::new(&stage.desktop);
    for (platform, principal) in [(Platform::Apns, true), (Platform::Fcm, false)] {
        let mut attributes =
            BTreeMap::from([("PlatformCredential".to_string(), "stand-in key".to_string())]);
        if principal {
            attributes.insert("PlatformPrincipal".into(), "KEYID12345".into());
        }
        let name = format!("{}-{u}", platform.as_str());
        registrar
            .create_app(db, &name, platform, attributes)
            .await
            .unwrap();
    }
    let device = |customer: &str, platform: Platform, token: &str| {
        let (registrar, db) = (&registrar, db);
        let (customer, token) = (customer.to_string(), format!("{token}-{u}"));
        async move {
            registrar
                .register(db, &customer, platform, &token)
                .await
                .unwrap()
        }
    };
    // Ann: a phone and a tablet. Bob: a phone. Cy: a phone and a tablet
    // SNS will disable. Dan: one phone SNS will disable.
    let ann_ios = device(&ann, Platform::Apns, "ann-ios").await;
    let ann_android = device(&ann, Platform::Fcm, "ann-android").await;
    let bob_phone = device(&bob, Platform::Fcm, "bob").await;
    let cy_phone = device(&cy, Platform::Apns, "cy-phone").await;
    let cy_tablet = device(&cy, Platform::Fcm, "cy-tablet").await;
    let dan_phone = device(&dan, Platform::Apns, "dan").await;

    let tag = unique();
    let draft = campaign::create_draft(db, push_spec(&tag)).await.unwrap();
    let launched = cloud::launch(db, &stage.services, &draft.id, now_millis())
        .await
        .unwrap();
    assert_eq!((launched.recipients, launched.settled_here), (4, 0));

    // After the upload (the laptop closed), SNS disables two endpoints
    // (APNs/FCM said the app was uninstalled).
    let sns = aws_sdk_sns::Client::new(&stage.desktop);
    for gone in [&cy_tablet, &dan_phone] {
        sns.set_endpoint_attributes()
            .endpoint_arn(arn(gone))
            .attributes("Enabled", "false")
            .send()
            .await
            .unwrap();
    }
    assert_eq!(stage.send_queued_chunks().await, 1);
    assert_eq!(stage.api.init_error(), None);

    // What SNS got: one message per enabled device, per-platform JSON.
    let published_to = |arn: &str| testing::moto_push_messages(&stage.endpoint, arn);
    for reached in [&ann_ios, &ann_android, &bob_phone, &cy_phone] {
        assert_eq!(published_to(arn(reached)).len(), 1, "{reached:?}");
    }
    for refused in [&cy_tablet, &dan_phone] {
        assert!(published_to(arn(refused)).is_empty(), "{refused:?}");
    }
    let to_ann = &published_to(arn(&ann_ios))[0];
    let body = format!("120 points, new: streak-7 {tag}");
    assert_eq!(to_ann["default"], body.as_str());
    let aps: Value = serde_json::from_str(to_ann["APNS"].as_str().unwrap()).unwrap();
    assert_eq!(
        aps,
        serde_json::json!({
            "aps": {"alert": {"title": "ann, your rewards", "body": body},
                    "badge": 1, "sound": "default"},
            "deep_link": format!("myapp://rewards/{ann}"),
            "campaign": "spring"
        })
    );
    let gcm: Value =
        serde_json::from_str(published_to(arn(&ann_android))[0]["GCM"].as_str().unwrap()).unwrap();
    assert_eq!(gcm["data"]["deep_link"], format!("myapp://rewards/{ann}"));

    // Until the desktop catches up, nothing here knows what SNS said.
    let cy_devices = db.call_blocking(|c| devices::list(c, &cy)).unwrap();
    assert!(cy_devices.iter().all(|d| d.enabled));
    assert_eq!(stage.customer(&ann).badges_notified, Vec::<String>::new());

    let caught = cloud::catch_up(db, &stage.desktop, &draft.id)
        .await
        .unwrap()
        .unwrap();
    assert!(caught.finished);
    assert_eq!(caught.state, CampaignState::Completed);
    let rows = stage.rows(&draft.id).await;
    let summary: Vec<(&str, &str, Option<&str>)> = rows
        .iter()
        .map(|r| {
            (
                r.customer_id.as_str(),
                r.status.as_str(),
                r.reason.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (ann.as_str(), "sent", None),
            (bob.as_str(), "sent", None),
            (cy.as_str(), "sent", None),
            (dan.as_str(), "skipped", Some("endpoint_disabled")),
        ]
    );
    // Ann's row names both messages (one per device), as locally.
    assert_eq!(rows[0].message_id.as_deref().unwrap().split(' ').count(), 2);

    // The disabled endpoints are disabled here now, with SNS's reason...
    for (customer, gone) in [(&cy, &cy_tablet), (&dan, &dan_phone)] {
        let here = db.call_blocking(|c| devices::list(c, customer)).unwrap();
        let device = here.iter().find(|d| d.id == gone.id).unwrap();
        assert!(!device.enabled, "{device:?}");
        assert!(
            device
                .last_error
                .as_deref()
                .unwrap()
                .contains("endpoint_disabled"),
            "{device:?}"
        );
        assert!(here.iter().filter(|d| d.id != gone.id).all(|d| d.enabled));
    }
    // ...and the badges of the sent message are announced; Dan's message
    // was not sent, so his badge is still new.
    assert_eq!(stage.customer(&ann).badges_notified, ["streak-7"]);
    assert_eq!(stage.customer(&dan).badges_notified, Vec::<String>::new());

    // The next campaign skips Dan at launch without asking SNS, and Ann's
    // badge is no longer new.
    let next = campaign::create_draft(db, push_spec(&unique()))
        .await
        .unwrap();
    let next_id = next.id.clone();
    db.call_blocking(move |c| campaign::launch_blocking(c, &next_id, now_millis()))
        .unwrap();
    let rows = stage.rows(&next.id).await;
    assert_eq!(
        (rows[3].status.as_str(), rows[3].reason.as_deref()),
        ("skipped", Some("endpoint_disabled"))
    );
    let ann_now = stage.customer(&ann);
    assert!(stratus_campaigns::gamify::new_badges(&ann_now).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_app_campaign_in_the_cloud_lands_where_the_collectors_inbox_reads_it() {
    let Some(stage) = Stage::start("inapp").await else {
        return;
    };
    let (db, u) = (&stage.db, unique());
    let ids = [format!("ann/{u}"), format!("bob-{u}")];
    insert(
        db,
        ids.iter()
            .map(|id| {
                let mut c = Customer::new(id.clone(), "Ann Lee");
                c.points = 40;
                c
            })
            .collect(),
    );
    let mut spec = CampaignSpec::new("Cloud inbox", Channel::InApp, "", "{{ points }} points");
    spec.push = PushContent {
        title: "Hi {{ first_name }}".into(),
        deep_link: Some("myapp://rewards".into()),
        ..PushContent::default()
    };
    spec.rate_per_sec = 1000.0;
    let draft = campaign::create_draft(db, spec).await.unwrap();
    let launched = cloud::launch(db, &stage.services, &draft.id, now_millis())
        .await
        .unwrap();
    assert_eq!(launched.recipients, 2);
    assert_eq!(stage.send_queued_chunks().await, 1);
    let caught = cloud::catch_up(db, &stage.desktop, &draft.id)
        .await
        .unwrap()
        .unwrap();
    assert!(caught.finished);
    let rows = stage.rows(&draft.id).await;
    assert!(rows.iter().all(|r| r.status.as_str() == "sent"), "{rows:?}");

    // The collector's inbox door, reading the same bucket.
    let secret = InboxSecret::new(INBOX_SECRET).unwrap();
    let inbox = routes(Arc::new(InboxFunction {
        store: Arc::clone(&stage.services.manifests),
        keys: KeyRing::profile(db.clone(), Duration::ZERO),
        secret: secret.clone(),
        origins: AllowedOrigins::Any,
    }));
    let expires = u64::try_from(now_millis() / 1000).unwrap() + 3600;
    for id in &ids {
        let request = Request::get("/v1/inbox?limit=10")
            .header("x-stratus-customer", id.as_str())
            .header("x-stratus-inbox-token", secret.token(id, expires))
            .body(Body::empty())
            .unwrap();
        let response = inbox.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::OK, "{body}");
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 1, "{body}");
        assert_eq!(messages[0]["title"], "Hi Ann");
        assert_eq!(messages[0]["body"], "40 points");
        assert_eq!(messages[0]["deep_link"], "myapp://rewards");
        assert_eq!(messages[0]["campaign_id"], draft.id.as_str());
    }
}
