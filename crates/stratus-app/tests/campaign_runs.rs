//! The run registry against real stacks, without WebKit: reopening
//! mid-run, double starts, and which provider a profile sends through.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use stratus_app::campaign_runs::CampaignRuns;
use stratus_campaigns::campaign::{self, CampaignSpec, CampaignState, Channel};
use stratus_campaigns::customer::{self, Customer};
use stratus_campaigns::run;
use stratus_core::home::AppHome;
use stratus_core::jobs::JobRegistry;
use stratus_core::profile::Profile;
use stratus_core::stack::Stack;
use stratus_core::CodedError;

mod support;

/// A demo stack with `n` SMS customers and a launched campaign to all of them.
async fn launched(n: usize) -> (tempfile::TempDir, Arc<Stack>, String) {
    let dir = tempfile::tempdir().unwrap();
    let stack = Stack::open(&AppHome::new(dir.path()), Profile::demo())
        .await
        .unwrap();
    stack
        .db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            for i in 0..n {
                let mut cust = Customer::new(format!("c-{i:03}"), format!("Person {i}"));
                cust.phone = Some(format!("+1202555{:04}", 100 + i));
                cust.sms_opt_in = true;
                customer::upsert(c, &cust, 1)?;
            }
            Ok(())
        })
        .unwrap();
    let mut spec = CampaignSpec::new("Reopen", Channel::Sms, "", "Hi {{ first_name }}");
    spec.rate_per_sec = 1000.0;
    let draft = campaign::create_draft(&stack.db, spec).await.unwrap();
    campaign::launch(&stack.db, &draft.id).await.unwrap();
    (dir, Arc::new(stack), draft.id)
}

async fn outbox_count(stack: &Stack) -> i64 {
    support::count_rows(stack, "outbox").await
}

#[tokio::test]
async fn a_run_left_running_by_a_closed_app_shows_interrupted_and_resumes_without_resending() {
    let (_dir, stack, id) = launched(12).await;
    // What a closed app leaves: the campaign running, two rows in flight
    // (maybe sent), three already sent.
    stack
        .db
        .call({
            let id = id.clone();
            move |c| -> stratus_core::Result<_> {
                c.execute("UPDATE campaigns SET state = 'running' WHERE id = ?1", [&id])?;
                c.execute(
                    "UPDATE recipients SET status = 'in_flight' WHERE campaign_id = ?1 AND customer_id IN ('c-000', 'c-001')",
                    [&id],
                )?;
                c.execute(
                    "UPDATE recipients SET status = 'sent', message_id = 'm' WHERE campaign_id = ?1 AND customer_id IN ('c-002', 'c-003', 'c-004')",
                    [&id],
                )?;
                Ok(())
            }
        })
        .await
        .unwrap();

    // The reopened app: no runner, so the run is shown as interrupted,
    // with the numbers the rows hold.
    let runs = CampaignRuns::default();
    let before = runs.snapshot(&stack, &id).await.unwrap();
    assert!(before.is_interrupted() && !before.attached);
    let counts = &before.summary.counts;
    assert_eq!((counts.sent, counts.in_flight), (3, 2));

    // Resume: the job continues it to the end.
    let jobs = JobRegistry::new();
    runs.start(&jobs, Arc::clone(&stack), &id).await.unwrap();
    let mut state = CampaignState::Running;
    for _ in 0..400 {
        state = campaign::get(&stack.db, &id).await.unwrap().state;
        if state == CampaignState::Completed && !runs.is_running_here(&id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(state, CampaignState::Completed);
    let after = runs.snapshot(&stack, &id).await.unwrap();
    assert!(!after.is_interrupted() && !after.attached);
    let counts = &after.summary.counts;
    assert_eq!(counts.unknown, 2, "in-flight rows become unknown");
    assert_eq!(counts.pending + counts.in_flight, 0);
    assert_eq!(counts.done(), 12);
    // Only the seven pending ones went out (minus simulated refusals);
    // the unknown and already-sent ones were not sent again.
    let sent_now = outbox_count(&stack).await;
    assert_eq!(sent_now as u64, counts.sent - 3, "nothing sent twice");
    assert!(sent_now <= 7);
}

#[tokio::test]
async fn a_second_start_of_the_same_campaign_is_refused() {
    let (_dir, stack, id) = launched(3).await;
    let runs = CampaignRuns::default();
    let jobs = JobRegistry::new();
    // Scheduled an hour ahead: the first run waits, so the second start meets it.
    stack
        .db
        .call({
            let id = id.clone();
            move |c| -> stratus_core::Result<_> {
                c.execute(
                    "UPDATE campaigns SET scheduled_at = ?2 WHERE id = ?1",
                    (id.as_str(), stratus_core::clock::now_millis() + 3_600_000),
                )?;
                Ok(())
            }
        })
        .await
        .unwrap();
    runs.start(&jobs, Arc::clone(&stack), &id).await.unwrap();
    let again = runs
        .start(&jobs, Arc::clone(&stack), &id)
        .await
        .unwrap_err();
    assert_eq!(again.code(), "already_running");
    run::cancel(&stack.db, &id).await.unwrap();
}

/// Every SMS moto accepted: (phone number, message).
fn moto_sms(endpoint: &str) -> Vec<(String, String)> {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /moto-api/data.json HTTP/1.0\r\nHost: {host}\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    json["sns"]["SMS"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|m| {
                    (
                        m["phone_number"].as_str().unwrap_or_default().to_string(),
                        m["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_cloud_profile_sends_through_sns_not_the_outbox() {
    let Some(endpoint) = stratus_core::testing::endpoint() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::cloud(
        "moto",
        stratus_core::profile::CloudSettings {
            aws_profile: None,
            region: "us-east-1".into(),
            endpoint_url: Some(endpoint.clone()),
            force_path_style: true,
            allow_insecure_http: false,
            media_bucket: "unused-media".into(),
            events_bucket: "unused-events".into(),
            topic_arn: None,
            image_function_url: None,
        },
    );
    let stack = Arc::new(
        Stack::open(&AppHome::new(dir.path()), profile)
            .await
            .unwrap(),
    );
    // Numbers and a token no other test uses: moto's record is shared.
    let token = format!("{:x}", stratus_core::clock::now_millis());
    stack
        .db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            for i in 0..3 {
                let mut cust = Customer::new(format!("c-{i}"), format!("Person {i}"));
                cust.phone = Some(format!("+1202555{:04}", 7100 + i));
                cust.sms_opt_in = true;
                customer::upsert(c, &cust, 1)?;
            }
            Ok(())
        })
        .unwrap();
    let mut spec = CampaignSpec::new(
        "Cloud",
        Channel::Sms,
        "",
        &format!("Hi {{{{ first_name }}}} {token}"),
    );
    spec.rate_per_sec = 100.0;
    let draft = campaign::create_draft(&stack.db, spec).await.unwrap();
    campaign::launch(&stack.db, &draft.id).await.unwrap();

    let runs = CampaignRuns::default();
    runs.start(&JobRegistry::new(), Arc::clone(&stack), &draft.id)
        .await
        .unwrap();
    let mut state = CampaignState::Scheduled;
    for _ in 0..400 {
        state = campaign::get(&stack.db, &draft.id).await.unwrap().state;
        if state == CampaignState::Completed && !runs.is_running_here(&draft.id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(state, CampaignState::Completed);
    let mut received: Vec<String> = moto_sms(&endpoint)
        .into_iter()
        .filter(|(_, m)| m.ends_with(&token))
        .map(|(to, _)| to)
        .collect();
    received.sort();
    assert_eq!(
        received,
        ["+12025557100", "+12025557101", "+12025557102"],
        "one SMS each, through SNS"
    );
    assert_eq!(outbox_count(&stack).await, 0, "the outbox is demo-only");
}
