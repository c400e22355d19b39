//! The campaign worker as Lambda runs it: the packaged `bootstrap`
//! (`STRATUS_CAMPAIGN_TABLE` set) behind the Runtime API emulator, fed SQS
//! events from a real queue (moto) the way the event source mapping feeds
//! it, sending a cloud run launched by the desktop side. Midway, the
//! function is SIGKILLed while a publish SNS has acted on is unanswered
//! (the fault proxy holds the answer back), and the chunk is delivered
//! again to a fresh instance: nobody gets two messages, the in-doubt one
//! is `unknown`, and the desktop's rows catch up to the final table.

#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used)]

mod package;
mod runtime_api;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use package::{answer, package, sdk, sqs_event, start_function, unpack};
use runtime_api::RuntimeApi;
use stratus_campaigns::campaign::{self, CampaignSpec, CampaignState, Channel};
use stratus_campaigns::cloud::{self, scratch, CloudServices};
use stratus_campaigns::customer::{self, Customer};
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_core::store::{ObjectStore, S3Store};
use stratus_core::testing;
use stratus_faultproxy::{Fault, FaultProxy, Match, Rule};

const PATIENCE: Duration = Duration::from_secs(300);
const RECIPIENTS: usize = 2000;
/// The publish whose answer is held back when the function is killed.
const HELD_PUBLISH: u64 = 700;

/// Texts moto's SNS accepted that carry `tag`, counted per phone number.
fn sms_with(endpoint: &str, tag: &str) -> HashMap<String, usize> {
    let mut by_number = HashMap::new();
    for (number, text) in testing::moto_sms(endpoint) {
        if text.contains(tag) {
            *by_number.entry(number).or_default() += 1;
        }
    }
    by_number
}

/// `RECIPIENTS` SMS customers, a campaign whose text carries a tag of its own.
async fn campaign(db: &Db) -> (String, String) {
    let customers: Vec<Customer> = (0..RECIPIENTS)
        .map(|i| {
            let mut c = Customer::new(format!("w-{i:05}"), format!("Worker{i} Test"));
            c.phone = Some(format!("+1303555{i:04}"));
            c.sms_opt_in = true;
            c
        })
        .collect();
    db.call_blocking(move |c| -> stratus_campaigns::Result<()> {
        for cust in &customers {
            customer::upsert(c, cust, 1)?;
        }
        Ok(())
    })
    .unwrap();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let mut spec = CampaignSpec::new(
        "Cloud",
        Channel::Sms,
        "",
        &format!("Hi {{{{ first_name }}}} {tag}"),
    );
    spec.rate_per_sec = 100_000.0;
    let draft = campaign::create_draft(db, spec).await.unwrap();
    (draft.id, tag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_worker_sends_a_cloud_run_once_per_recipient_through_a_kill() {
    let Some(zip) = package() else {
        return;
    };
    let Some(endpoint) = testing::endpoint() else {
        return;
    };
    let task = tempfile::tempdir().unwrap();
    unpack(&zip, task.path());
    let log = task.path().join("function.log");

    // The desktop's side, straight to moto.
    let desktop = sdk(&endpoint).await;
    let name = testing::unique_bucket("worker");
    let target = scratch::provision(&desktop, &name, 1).await.unwrap();
    let queue_url = target.queue_url.clone();
    let s3 = testing::s3_client(&endpoint);
    s3.create_bucket().bucket(&name).send().await.unwrap();
    let manifests: Arc<dyn ObjectStore> = Arc::new(S3Store::new(s3, name.clone(), &endpoint));
    let services = CloudServices::new(&desktop, &target, manifests);
    let db = Db::open_in_memory().unwrap();
    let (id, tag) = campaign(&db).await;
    let launched = cloud::launch(&db, &services, &id, now_millis())
        .await
        .unwrap();
    assert_eq!(launched.recipients, RECIPIENTS as u64);

    // The function's side goes through the fault proxy.
    let proxy = FaultProxy::start(&endpoint).await.unwrap();
    proxy.add_rule(
        Rule::every(
            HELD_PUBLISH,
            Fault::DelayAfterForward(Duration::from_secs(3600)),
            Match::body_contains("Action=Publish"),
        )
        .limit(1),
    );
    let env = [
        ("STRATUS_CAMPAIGN_TABLE", name.as_str()),
        ("STRATUS_CAMPAIGN_QUEUE_URL", queue_url.as_str()),
        ("STRATUS_CAMPAIGN_BUCKET", name.as_str()),
    ];
    let api = Arc::new(RuntimeApi::start().await);
    let mut function = Some(start_function(task.path(), &api, &proxy.url(), &env));

    // What the event source mapping does: receive, invoke, delete on success.
    let mut pending: Vec<(String, String)> = Vec::new();
    loop {
        let batch = services
            .queue
            .receive(Duration::from_secs(900))
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        pending.extend(batch);
    }
    assert_eq!(pending.len(), launched.chunks as usize);
    let mut killed = false;
    for (n, (body, receipt)) in pending.iter().enumerate() {
        let event = sqs_event(&format!("m-{n}"), receipt, body);
        let invocation = tokio::spawn({
            let (api, event) = (Arc::clone(&api), event.clone());
            async move { api.invoke(&event, PATIENCE).await }
        });
        if !killed && proxy.faulted() == 0 {
            // Either this chunk finishes, or it reaches the held publish:
            // SNS has the message, the worker waits for the answer.
            for _ in 0..6000 {
                if invocation.is_finished() {
                    break;
                }
                if proxy.faulted() == 1 && sms_with(&endpoint, &tag).len() as u64 == HELD_PUBLISH {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        if proxy.faulted() == 1 && !killed {
            // SIGKILL mid-publish, then the queue delivers the chunk again
            // (after its visibility timeout) to a fresh instance.
            drop(function.take());
            invocation.abort();
            killed = true;
            proxy.clear_rules();
            function = Some(start_function(task.path(), &api, &proxy.url(), &env));
            let again = answer(api.invoke(&event, PATIENCE).await, &log);
            assert_eq!(again["batchItemFailures"], serde_json::json!([]), "{again}");
        } else {
            let done = answer(invocation.await.unwrap(), &log);
            assert_eq!(done["batchItemFailures"], serde_json::json!([]), "{done}");
        }
        services.queue.delete(receipt).await.unwrap();
    }
    assert!(killed, "the held publish was reached");
    assert_eq!(api.init_error(), None);

    // Nobody got two messages; moto's numbers ending in 99 have opted out.
    let sent = sms_with(&endpoint, &tag);
    let opted_out = RECIPIENTS / 100;
    assert_eq!(sent.len(), RECIPIENTS - opted_out);
    let twice: Vec<_> = sent.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "duplicates: {twice:?}");

    // The desktop catches up: the held one is unknown (its message went
    // out, nobody could know), everyone else has their answer.
    let caught = cloud::catch_up(&db, &desktop, &id).await.unwrap().unwrap();
    assert!(caught.finished);
    assert_eq!(caught.state, CampaignState::Completed);
    let counts = stratus_campaigns::run::progress_summary(&db, &id)
        .await
        .unwrap()
        .counts;
    assert_eq!(
        (counts.sent, counts.skipped, counts.unknown, counts.pending),
        ((RECIPIENTS - opted_out - 1) as u64, opted_out as u64, 1, 0)
    );
    let unknown = stratus_campaigns::recipients::page(
        &db,
        &id,
        stratus_campaigns::recipients::RecipientFilter {
            status: Some(stratus_campaigns::recipients::RecipientStatus::Unknown),
            error_code: None,
        },
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(unknown.rows[0].reason.as_deref(), Some("interrupted"));
    let phone = unknown.rows[0].address.clone().unwrap();
    assert_eq!(
        sent.get(&phone),
        Some(&1),
        "the unknown one's message did go out"
    );
}
