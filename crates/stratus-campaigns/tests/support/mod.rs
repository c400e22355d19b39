//! Shared by the integration tests: the SNS-compatible test server (moto),
//! databases with customers, and a notifier that injects provider trouble.

#![allow(dead_code, clippy::unwrap_used)]

pub mod proxy;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use stratus_campaigns::customer::{self, Customer};
use stratus_campaigns::notifier::{MessageId, Notifier, NotifyError, OutboundMessage};
use stratus_core::db::Db;

#[allow(unused_imports)]
pub use stratus_core::testing::{endpoint, http_get, moto_push_messages, moto_sms, ENDPOINT_ENV};

pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "stratus-tests",
        ))
        .load()
        .await
}

/// A unique block of phone numbers for one test: `+1202555` + 4 digits is
/// not unique enough across runs against one server, so use a random
/// exchange in +1 415 and let the last two digits vary.
pub fn unique_number_block() -> String {
    let id = uuid::Uuid::now_v7().as_u128();
    format!(
        "+1415{:03}{:02}",
        200 + (id % 800) as u32,
        (id / 800 % 100) as u32
    )
}

/// A customer with an SMS number and consent.
pub fn sms_customer(id: &str, name: &str, phone: &str) -> Customer {
    let mut c = Customer::new(id, name);
    c.phone = Some(phone.to_string());
    c.sms_opt_in = true;
    c
}

pub fn insert(db: &Db, customers: &[Customer]) {
    db.call_blocking(|c| -> stratus_campaigns::Result<_> {
        for cust in customers {
            customer::upsert(c, cust, 1)?;
        }
        Ok(())
    })
    .unwrap();
}

/// What the scripted notifier does on one publish call.
#[derive(Debug, Clone)]
pub enum Step {
    Ok,
    Fail(NotifyError),
}

/// A notifier that answers from a script (per address, in order; then Ok)
/// and records every publish call.
#[derive(Default)]
pub struct ScriptedNotifier {
    pub script: Mutex<std::collections::HashMap<String, VecDeque<Step>>>,
    pub published: Mutex<Vec<OutboundMessage>>,
    pub calls: AtomicU64,
    pub opted_out: Vec<String>,
    /// Each publish waits this long (to let tests pause/cancel mid-run).
    pub delay: std::time::Duration,
    pub concurrent: AtomicU64,
    pub max_concurrent: AtomicU64,
}

impl ScriptedNotifier {
    pub fn with_script(script: Vec<(&str, Vec<Step>)>) -> Arc<Self> {
        Arc::new(ScriptedNotifier {
            script: Mutex::new(
                script
                    .into_iter()
                    .map(|(a, s)| (a.to_string(), s.into()))
                    .collect(),
            ),
            ..Default::default()
        })
    }

    pub fn sent_to(&self, address: &str) -> usize {
        self.published
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.address == address)
            .count()
    }
}

#[async_trait::async_trait]
impl Notifier for ScriptedNotifier {
    async fn publish(&self, message: &OutboundMessage) -> Result<MessageId, NotifyError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.concurrent.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_concurrent.fetch_max(now, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.concurrent.fetch_sub(1, Ordering::SeqCst);
        let step = self
            .script
            .lock()
            .unwrap()
            .get_mut(&message.address)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Step::Ok);
        match step {
            Step::Ok => {
                self.published.lock().unwrap().push(message.clone());
                Ok(format!("msg-{n}"))
            }
            Step::Fail(e) => Err(e),
        }
    }

    async fn is_opted_out(&self, phone: &str) -> Result<bool, NotifyError> {
        Ok(self.opted_out.iter().any(|p| p == phone))
    }
}

/// Statuses of all recipients of a campaign, by customer id.
pub fn statuses(db: &Db, campaign: &str) -> Vec<(String, String, Option<String>, Option<String>)> {
    let campaign = campaign.to_string();
    db.call_blocking(move |c| -> stratus_campaigns::Result<_> {
        let mut stmt = c.prepare("SELECT customer_id, status, reason, error_code FROM recipients WHERE campaign_id = ?1 ORDER BY customer_id")?;
        let rows = stmt.query_map([campaign], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
    .unwrap()
}

/// Creates and launches a campaign; returns its id.
pub async fn launched(db: &Db, spec: stratus_campaigns::campaign::CampaignSpec) -> String {
    let draft = stratus_campaigns::campaign::create_draft(db, spec)
        .await
        .unwrap();
    stratus_campaigns::campaign::launch(db, &draft.id)
        .await
        .unwrap();
    draft.id
}

/// Runs a launched campaign to its end with `settings`, steered by nobody.
pub async fn run_all(
    db: &Db,
    id: &str,
    notifier: Arc<dyn Notifier>,
    settings: stratus_campaigns::run::RunSettings,
) {
    stratus_campaigns::run::run_with_control(
        &stratus_campaigns::run::RunRequest::new(db, id, notifier).with_settings(settings),
        &stratus_campaigns::run::RunControl::new(1_000.0, 2),
        |_| {},
        &stratus_core::jobs::CancellationToken::new(),
    )
    .await
    .unwrap();
}

/// Fast retries for tests.
pub fn fast_settings() -> stratus_campaigns::run::RunSettings {
    stratus_campaigns::run::RunSettings {
        page_size: 7,
        backoff_base: std::time::Duration::from_millis(1),
        backoff_max: std::time::Duration::from_millis(4),
        progress_every: std::time::Duration::from_millis(20),
        ..Default::default()
    }
}

/// Waits (polling) until `check` holds; panics after a generous bound so a
/// broken runner fails the test instead of hanging it.
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..6000 {
        if check() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("gave up waiting for: {what}");
}

pub fn campaign_state(db: &Db, id: &str) -> String {
    let id = id.to_string();
    db.call_blocking(move |c| -> stratus_campaigns::Result<_> {
        Ok(
            c.query_row("SELECT state FROM campaigns WHERE id = ?1", [id], |r| {
                r.get(0)
            })?,
        )
    })
    .unwrap()
}

pub fn phone(n: usize) -> String {
    format!("+1202555{n:04}")
}

pub fn customers(n: usize) -> Vec<Customer> {
    (1..=n)
        .map(|i| {
            let mut c = sms_customer(&format!("c-{i:04}"), &format!("Person {i}"), &phone(i));
            c.points = i as i64 * 10;
            c
        })
        .collect()
}

pub fn spec(template: &str) -> stratus_campaigns::campaign::CampaignSpec {
    let mut s = stratus_campaigns::campaign::CampaignSpec::new(
        "Test",
        stratus_campaigns::campaign::Channel::Sms,
        "",
        template,
    );
    s.rate_per_sec = 5_000.0;
    s.concurrency = 4;
    s
}

pub fn count_status(db: &Db, id: &str, status: &str) -> usize {
    statuses(db, id).iter().filter(|r| r.1 == status).count()
}

/// SMS moto holds whose text carries `tag`, by number.
pub fn sms_with(endpoint: &str, tag: &str) -> std::collections::HashMap<String, usize> {
    let mut by_number = std::collections::HashMap::new();
    for (number, text) in moto_sms(endpoint) {
        if text.contains(tag) {
            *by_number.entry(number).or_default() += 1;
        }
    }
    by_number
}
