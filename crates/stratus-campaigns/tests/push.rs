#![allow(clippy::unwrap_used)]
//! Mobile push against moto (SNS platform applications and endpoints): a
//! platform application created from a credential, devices registered as
//! endpoints (the same token twice is one endpoint), every enabled device
//! of a customer messaged with per-platform JSON on the SDK's real
//! `Publish` requests, a disabled endpoint skipped and recorded (and the
//! next campaign skipping it at launch), a re-registration enabling it
//! again, `GetEndpointAttributes` finding a disabled endpoint, and the dry
//! run counting devices at the push price.
//!
//! moto's state is global: names and tokens are unique per test.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use stratus_campaigns::campaign::{CampaignSpec, Channel};
use stratus_campaigns::customer::Customer;
use stratus_campaigns::dry_run::{self, DryRunOptions};
use stratus_campaigns::notifier::SnsNotifier;
use stratus_campaigns::prices;
use stratus_campaigns::push::{apps, devices, Platform, PushContent, Registrar};
use stratus_campaigns::run::{self, RunControl, RunRequest};
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;

mod support;

use support::moto_push_messages;

fn unique() -> String {
    let s = uuid::Uuid::now_v7().simple().to_string();
    s[s.len() - 12..].to_string()
}

fn push_customer(id: &str, name: &str) -> Customer {
    let mut c = Customer::new(id, name);
    c.push_opt_in = true;
    c.points = 120;
    c
}

fn push_spec() -> CampaignSpec {
    let mut spec = CampaignSpec::new("Push", Channel::Push, "", "{{ points }} points waiting");
    spec.push = PushContent {
        title: "{{ first_name }}, your rewards".into(),
        deep_link: Some("myapp://rewards/{{ id }}".into()),
        data: BTreeMap::from([("campaign".into(), "spring".into())]),
        badge: Some("2".into()),
        sound: Some("default".into()),
    };
    spec.rate_per_sec = 100.0;
    spec
}

/// Registers a token (and fails the test if SNS refuses).
async fn device(
    registrar: &Registrar,
    db: &Db,
    customer: &str,
    platform: Platform,
    token: &str,
) -> stratus_campaigns::push::Device {
    registrar
        .register(db, customer, platform, token)
        .await
        .unwrap()
}

/// A platform application made from a stand-in credential.
async fn app(
    registrar: &Registrar,
    db: &Db,
    name: String,
    platform: Platform,
    principal: bool,
) -> String {
    let mut attributes =
        BTreeMap::from([("PlatformCredential".to_string(), "stand-in key".to_string())]);
    if principal {
        attributes.insert("PlatformPrincipal".into(), "KEYID12345".into());
    }
    registrar
        .create_app(db, &name, platform, attributes)
        .await
        .unwrap()
}

async fn run_to_end(db: &Db, id: &str, sdk: &aws_config::SdkConfig) -> run::RunOutcome {
    run::run_with_control(
        &RunRequest::new(db, id, Arc::new(SnsNotifier::new(sdk))),
        &RunControl::new(100.0, 2),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn push_reaches_every_enabled_device_with_per_platform_payloads() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let sdk = support::sdk_config(&endpoint).await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let registrar = Registrar::new(&sdk);
    let db = Db::open_in_memory().unwrap();
    let u = unique();
    support::insert(
        &db,
        &[
            push_customer("ann", "Ann Lee"),
            push_customer("bob", "Bob Stone"),
            push_customer("cy", "Cy Young"),
        ],
    );

    // Platform applications from a credential (kept by SNS, not by us).
    let apns = app(&registrar, &db, format!("ios-{u}"), Platform::Apns, true).await;
    let fcm = app(
        &registrar,
        &db,
        format!("android-{u}"),
        Platform::Fcm,
        false,
    )
    .await;
    let configured = db.call_blocking(|c| apps::list(c)).unwrap();
    assert_eq!(configured.len(), 2);
    assert!(
        apns.contains(":app/APNS/") && fcm.contains(":app/GCM/"),
        "{apns} {fcm}"
    );

    // Ann: a phone and a tablet; Bob: one phone; Cy: one phone SNS will disable.
    let ann_ios = device(
        &registrar,
        &db,
        "ann",
        Platform::Apns,
        &format!("ann-ios-{u}"),
    )
    .await;
    let ann_android = device(
        &registrar,
        &db,
        "ann",
        Platform::Fcm,
        &format!("ann-android-{u}"),
    )
    .await;
    let bob = device(&registrar, &db, "bob", Platform::Fcm, &format!("bob-{u}")).await;
    let cy = device(&registrar, &db, "cy", Platform::Apns, &format!("cy-{u}")).await;
    // The same token again: the same endpoint, one device.
    let again = device(
        &registrar,
        &db,
        "ann",
        Platform::Apns,
        &format!("ann-ios-{u}"),
    )
    .await;
    assert_eq!(again.endpoint_arn, ann_ios.endpoint_arn);
    assert_eq!(
        db.call_blocking(|c| devices::list(c, "ann")).unwrap().len(),
        2
    );
    let in_moto = sns
        .list_endpoints_by_platform_application()
        .platform_application_arn(&apns)
        .send()
        .await
        .unwrap();
    assert_eq!(in_moto.endpoints().len(), 2, "ann's phone and cy's phone");

    let cy_arn = cy.endpoint_arn.clone().unwrap();
    sns.set_endpoint_attributes()
        .endpoint_arn(&cy_arn)
        .attributes("Enabled", "false")
        .send()
        .await
        .unwrap();

    // The dry run counts devices, not SMS parts, at the push price.
    let report = dry_run::dry_run_spec(&db, push_spec(), None, DryRunOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (report.eligible, report.devices, report.total_parts),
        (3, 4, 0)
    );
    assert!((report.price_per_part - prices::PUSH_PER_MILLION / 1e6).abs() < 1e-12);
    assert!((report.estimated_cost - 4.0 * prices::PUSH_PER_MILLION / 1e6).abs() < 1e-12);
    let sample = report
        .samples
        .iter()
        .find(|s| s.customer_id == "ann")
        .unwrap();
    assert_eq!(sample.devices, 2);
    assert_eq!(
        sample.notification.as_ref().unwrap().title,
        "Ann, your rewards"
    );

    let id = support::launched(&db, push_spec()).await;
    let outcome = run_to_end(&db, &id, &sdk).await;
    assert_eq!((outcome.counts.sent, outcome.counts.skipped), (2, 1));
    let rows = support::statuses(&db, &id);
    assert_eq!(
        rows.iter()
            .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("ann", "sent", None),
            ("bob", "sent", None),
            ("cy", "skipped", Some("endpoint_disabled"))
        ]
    );

    // What SNS got: one message per enabled device, per-platform JSON.
    for device in [&ann_ios, &ann_android, &bob] {
        let messages = moto_push_messages(&endpoint, device.endpoint_arn.as_deref().unwrap());
        assert_eq!(messages.len(), 1, "{device:?}");
    }
    let ann_message = &moto_push_messages(&endpoint, ann_ios.endpoint_arn.as_deref().unwrap())[0];
    assert_eq!(ann_message["default"], "120 points waiting");
    let aps: Value = serde_json::from_str(ann_message["APNS"].as_str().unwrap()).unwrap();
    assert_eq!(
        aps,
        serde_json::json!({
            "aps": {"alert": {"title": "Ann, your rewards", "body": "120 points waiting"},
                    "badge": 2, "sound": "default"},
            "deep_link": "myapp://rewards/ann",
            "campaign": "spring"
        })
    );
    assert_eq!(ann_message["APNS_SANDBOX"], ann_message["APNS"]);
    let gcm: Value = serde_json::from_str(ann_message["GCM"].as_str().unwrap()).unwrap();
    assert_eq!(gcm["notification"]["title"], "Ann, your rewards");
    assert_eq!(gcm["data"]["deep_link"], "myapp://rewards/ann");
    assert!(moto_push_messages(&endpoint, &cy_arn).is_empty());

    // SNS's answer about Cy's phone is recorded on the device...
    let cy_device = db.call_blocking(|c| devices::list(c, "cy")).unwrap();
    assert!(!cy_device[0].enabled);
    assert!(
        cy_device[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("endpoint_disabled"),
        "{cy_device:?}"
    );
    // ...so the next campaign skips it at launch, without asking SNS.
    let next = support::launched(&db, push_spec()).await;
    let rows = support::statuses(&db, &next);
    assert_eq!(rows[2].1, "skipped");
    assert_eq!(rows[2].2.as_deref(), Some("endpoint_disabled"));

    // The app registers Cy's token again: enabled in SNS and here.
    let back = device(&registrar, &db, "cy", Platform::Apns, &format!("cy-{u}")).await;
    assert!(back.enabled && back.last_error.is_none());
    assert_eq!(back.endpoint_arn.as_deref(), Some(cy_arn.as_str()));
    let attributes = sns
        .get_endpoint_attributes()
        .endpoint_arn(&cy_arn)
        .send()
        .await
        .unwrap();
    let enabled = attributes.attributes().unwrap().get("Enabled").unwrap();
    assert!(enabled.eq_ignore_ascii_case("true"), "{enabled}");
}

#[tokio::test]
async fn endpoints_sns_disabled_are_found_by_asking_it() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let sdk = support::sdk_config(&endpoint).await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let registrar = Registrar::new(&sdk);
    let db = Db::open_in_memory().unwrap();
    let u = unique();
    support::insert(&db, &[push_customer("dee", "Dee Park")]);
    app(&registrar, &db, format!("check-{u}"), Platform::Fcm, false).await;
    let phone = device(
        &registrar,
        &db,
        "dee",
        Platform::Fcm,
        &format!("dee-phone-{u}"),
    )
    .await;
    let tablet = device(
        &registrar,
        &db,
        "dee",
        Platform::Fcm,
        &format!("dee-tablet-{u}"),
    )
    .await;
    sns.set_endpoint_attributes()
        .endpoint_arn(tablet.endpoint_arn.as_deref().unwrap())
        .attributes("Enabled", "false")
        .send()
        .await
        .unwrap();

    let report = registrar.check(&db, Some("dee".into())).await.unwrap();
    assert_eq!((report.checked, report.disabled), (2, 1));
    let list = db.call_blocking(|c| devices::sendable(c, "dee")).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].endpoint_arn, phone.endpoint_arn);

    // A push now goes to the phone only.
    let id = support::launched(&db, push_spec()).await;
    let outcome = run_to_end(&db, &id, &sdk).await;
    assert_eq!(outcome.counts.sent, 1);
    assert_eq!(
        moto_push_messages(&endpoint, phone.endpoint_arn.as_deref().unwrap()).len(),
        1
    );
    assert!(moto_push_messages(&endpoint, tablet.endpoint_arn.as_deref().unwrap()).is_empty());
}

#[tokio::test]
async fn a_device_needs_the_platforms_application() {
    let Some(endpoint) = support::endpoint() else {
        return;
    };
    let sdk = support::sdk_config(&endpoint).await;
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &[push_customer("eve", "Eve")]);
    let err = Registrar::new(&sdk)
        .register(&db, "eve", Platform::ApnsSandbox, "tok")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "no_push_app");
}
