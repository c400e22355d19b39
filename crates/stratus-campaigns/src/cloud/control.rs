//! The run's control item (`item` = `control` in the marks table): what
//! the desktop steers a cloud run with — state, rate — and what every
//! worker needs besides the manifest (channel, SMS type, sender id). The
//! desktop writes it; workers read it through a short cache, so a pause,
//! cancel or new rate reaches every worker within [`CONTROL_TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use stratus_core::clock::now_millis;

use super::marks::{
    attribute_number, attribute_text, conditional_failed, service_error, MarkTable,
};
use super::rules::Rules;
use crate::campaign::{CampaignState, Channel, SmsType};
use crate::{Error, Result};

/// How long a worker trusts the control item it read.
pub const CONTROL_TTL: Duration = Duration::from_secs(5);

const CONTROL_ITEM: &str = "control";

/// A cloud run's steering and settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub campaign_id: String,
    /// `running`, `paused`, `cancelled` or `completed`.
    pub state: CampaignState,
    /// The campaign's rate: shared by all workers.
    pub rate_per_sec: f64,
    /// Workers that may run at once (the function's reserved concurrency):
    /// each paces itself at `rate_per_sec / workers`.
    pub workers: u32,
    pub channel: Channel,
    pub sms_type: SmsType,
    pub sender_id: Option<String>,
    /// Quiet hours and frequency cap, applied when each message leaves.
    pub rules: Rules,
    pub recipients: u64,
    pub chunks: u32,
    /// Unix ms of the last write (steering from another computer is
    /// told apart from this one's by it).
    pub updated: i64,
}

impl Control {
    /// One worker's share of the campaign's rate.
    pub fn worker_rate(&self) -> f64 {
        self.rate_per_sec / f64::from(self.workers.max(1))
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl MarkTable {
    /// Writes the whole control item (at launch).
    pub async fn put_control(&self, run: &str, control: &Control) -> Result<()> {
        let mut request = self
            .client()
            .put_item()
            .table_name(self.name())
            .item("run", s(run))
            .item("item", s(CONTROL_ITEM))
            .item("campaign", s(&control.campaign_id))
            .item("state", s(control.state.as_str()))
            .item("rate", n(control.rate_per_sec))
            .item("workers", n(control.workers))
            .item("channel", s(control.channel.as_str()))
            .item("sms_type", s(control.sms_type.as_str()))
            .item("recipients", n(control.recipients))
            .item("chunks", n(control.chunks))
            .item("updated", n(now_millis()));
        if let Some(sender) = &control.sender_id {
            request = request.item("sender_id", s(sender));
        }
        for (name, value) in control.rules.attributes() {
            request = request.item(name, value);
        }
        request
            .send()
            .await
            .map_err(|e| service_error("cannot write the run's control item", &e))?;
        Ok(())
    }

    /// The control item, read consistently; `None` if the run has none.
    pub async fn control(&self, run: &str) -> Result<Option<Control>> {
        let out = self
            .client()
            .get_item()
            .table_name(self.name())
            .key("run", s(run))
            .key("item", s(CONTROL_ITEM))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| service_error("cannot read the run's control item", &e))?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let broken = || Error::Cloud(format!("the control item of run {run} is incomplete"));
        let state = attribute_text(item, "state")
            .and_then(|v| CampaignState::parse(&v))
            .ok_or_else(broken)?;
        Ok(Some(Control {
            campaign_id: attribute_text(item, "campaign").ok_or_else(broken)?,
            state,
            rate_per_sec: attribute_number(item, "rate").ok_or_else(broken)?,
            workers: attribute_number(item, "workers").unwrap_or(1.0) as u32,
            // Every channel by its own name: a channel this worker does not
            // know is a broken item (the chunk fails), never an SMS.
            channel: match attribute_text(item, "channel") {
                Some(name) => Channel::parse(&name).ok_or_else(broken)?,
                None => Channel::Sms,
            },
            sms_type: match attribute_text(item, "sms_type").as_deref() {
                Some("promotional") => SmsType::Promotional,
                _ => SmsType::Transactional,
            },
            sender_id: attribute_text(item, "sender_id"),
            rules: Rules::from_item(item),
            recipients: attribute_number(item, "recipients").unwrap_or(0.0) as u64,
            chunks: attribute_number(item, "chunks").unwrap_or(0.0) as u32,
            updated: attribute_number(item, "updated").unwrap_or(0.0) as i64,
        }))
    }

    /// Steers the run: `running`, `paused`, `cancelled` or `completed`.
    /// A finished run (cancelled, completed) is not reopened.
    pub async fn set_state(&self, run: &str, state: CampaignState) -> Result<()> {
        self.update_control(run, "#v = :v", ("state", s(state.as_str())))
            .await
    }

    /// A scheduled run's time has come: `scheduled → running`; `false` if
    /// it was not scheduled any more (started already, or cancelled).
    pub async fn start(&self, run: &str) -> Result<bool> {
        let answer = self
            .client()
            .update_item()
            .table_name(self.name())
            .key("run", s(run))
            .key("item", s(CONTROL_ITEM))
            .update_expression("SET #st = :running, #u = :u")
            .condition_expression("#st = :scheduled")
            .expression_attribute_names("#st", "state")
            .expression_attribute_names("#u", "updated")
            .expression_attribute_values(":running", s("running"))
            .expression_attribute_values(":scheduled", s("scheduled"))
            .expression_attribute_values(":u", n(now_millis()))
            .send()
            .await;
        match answer {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(service_error("cannot start the scheduled run", &e)),
        }
    }

    /// The campaign's new rate, shared by the workers from their next read.
    pub async fn set_rate(&self, run: &str, rate_per_sec: f64) -> Result<()> {
        self.update_control(run, "#v = :v", ("rate", n(rate_per_sec)))
            .await
    }

    async fn update_control(
        &self,
        run: &str,
        set: &str,
        (name, value): (&str, AttributeValue),
    ) -> Result<()> {
        self.client()
            .update_item()
            .table_name(self.name())
            .key("run", s(run))
            .key("item", s(CONTROL_ITEM))
            .update_expression(format!("SET {set}, #u = :u"))
            .condition_expression(
                "attribute_exists(#i) AND #st <> :cancelled AND #st <> :completed",
            )
            .expression_attribute_names("#v", name)
            .expression_attribute_names("#u", "updated")
            .expression_attribute_names("#i", "item")
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":v", value)
            .expression_attribute_values(":u", n(now_millis()))
            .expression_attribute_values(":cancelled", s("cancelled"))
            .expression_attribute_values(":completed", s("completed"))
            .send()
            .await
            .map_err(|e| service_error("cannot steer the cloud run", &e))?;
        Ok(())
    }
}

/// The control items a worker read, each trusted for [`CONTROL_TTL`].
pub struct ControlCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Control)>>,
}

impl ControlCache {
    pub fn new(ttl: Duration) -> Self {
        ControlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The run's control item, from the cache while it is fresh.
    pub async fn get(&self, table: &MarkTable, run: &str) -> Result<Control> {
        if let Some((at, control)) = self.lock().get(run) {
            if at.elapsed() < self.ttl {
                return Ok(control.clone());
            }
        }
        let control = table
            .control(run)
            .await?
            .ok_or_else(|| Error::Cloud(format!("run {run} has no control item")))?;
        self.lock()
            .insert(run.to_string(), (Instant::now(), control.clone()));
        Ok(control)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Control)>> {
        // A poisoned map holds whole entries: still usable.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
