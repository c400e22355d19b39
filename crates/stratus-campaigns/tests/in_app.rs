#![allow(clippy::unwrap_used)]
//! The in-app channel: each recipient's notification lands in their inbox
//! in the events bucket (a local bucket here, as in demo mode), one object
//! per campaign, with every field rendered; the dry run prices it per
//! message and needs no consent or device.

use std::sync::Arc;

use stratus_campaigns::campaign::{CampaignSpec, Channel};
use stratus_campaigns::customer::Customer;
use stratus_campaigns::dry_run::{self, DryRunOptions};
use stratus_campaigns::notifier::{ByChannel, InboxNotifier, OutboxConfig, OutboxNotifier};
use stratus_campaigns::push::PushContent;
use stratus_campaigns::run::{self, RunControl, RunRequest};
use stratus_core::db::Db;
use stratus_core::inbox::{self, InboxMessage};
use stratus_core::jobs::CancellationToken;
use stratus_core::store::{ListRequest, LocalStore, ObjectStore};

mod support;

#[tokio::test]
async fn an_in_app_campaign_fills_each_customers_inbox_once() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.path()).unwrap());
    let db = Db::open_in_memory().unwrap();
    let mut ann = Customer::new("ann/1", "Ann Lee");
    ann.points = 40;
    support::insert(&db, &[ann, Customer::new("bob", "Bob Stone")]);
    let mut spec = CampaignSpec::new("Inbox", Channel::InApp, "", "You have {{ points }} points");
    spec.push = PushContent {
        title: "Hi {{ first_name }}".into(),
        deep_link: Some("myapp://points".into()),
        ..PushContent::default()
    };

    let report = dry_run::dry_run_spec(&db, spec.clone(), None, DryRunOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (report.eligible, report.devices),
        (2, 0),
        "no consent or device needed"
    );
    assert!(report.estimated_cost > 0.0 && report.estimated_cost < 1e-4);

    let id = support::launched(&db, spec).await;
    let notifier = Arc::new(ByChannel {
        provider: Arc::new(OutboxNotifier::new(db.clone(), OutboxConfig::instant())),
        inbox: InboxNotifier::new(Arc::clone(&store)),
    });
    let outcome = run::run_with_control(
        &RunRequest::new(&db, &id, notifier.clone()),
        &RunControl::new(100.0, 2),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.counts.sent, 2);

    let page = store
        .list(ListRequest::prefix(inbox::customer_prefix("ann/1")))
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 1);
    assert_eq!(page.objects[0].key, inbox::key("ann/1", &id));
    let message: InboxMessage =
        serde_json::from_slice(&store.get_bytes(&page.objects[0].key).await.unwrap()).unwrap();
    assert_eq!(
        (
            message.title.as_str(),
            message.body.as_str(),
            message.deep_link.as_deref()
        ),
        ("Hi Ann", "You have 40 points", Some("myapp://points"))
    );
    assert_eq!(message.campaign_id, id);
    // The recipient row records where it went.
    let rows = support::statuses(&db, &id);
    assert_eq!(rows[0].1, "sent");

    // The demo phone preview shows it in Ann's inbox, beside a push to her
    // phone (stored by the demo outbox as the SNS message it would be).
    db.call_blocking(|c| -> stratus_campaigns::Result<_> {
        Ok(c.execute(
            "UPDATE customers SET push_endpoint_arn = 'arn:aws:sns:demo:0:endpoint/APNS/app/ann', push_opt_in = 1 WHERE id = 'ann/1'",
            [],
        )?)
    })
    .unwrap();
    let mut push = CampaignSpec::new(
        "Push",
        Channel::Push,
        "push_opt_in = true",
        "Tap for {{ points }}",
    );
    push.push.title = "Ann's rewards".into();
    let push_id = support::launched(&db, push).await;
    run::run_with_control(
        &RunRequest::new(&db, &push_id, notifier),
        &RunControl::new(100.0, 2),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let phone = stratus_campaigns::inbox::notifications(&db, store.as_ref(), "ann/1", 10)
        .await
        .unwrap();
    let seen: Vec<(&str, &str, &str)> = phone
        .iter()
        .map(|n| (n.channel, n.title.as_str(), n.body.as_str()))
        .collect();
    assert!(
        seen.contains(&("in_app", "Hi Ann", "You have 40 points")),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("push", "Ann's rewards", "Tap for 40")),
        "{seen:?}"
    );
}
