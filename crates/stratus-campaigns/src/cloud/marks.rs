//! The cloud run's marks in DynamoDB: one item per recipient (partition
//! `run` = the run id, sort `item` = `r#<customer id>`) and the run's
//! control item (`item` = `control`, see [`super::control`]). Marks carry
//! `changed` (Unix ms), the sort key of the `by_change` index the desktop
//! catches up through; the control item has none, so it stays out of it.
//!
//! The exactly-once-or-unknown rule lives in the conditions: a recipient
//! is claimed (`in_flight`) only from absent or `pending`, so a redelivered
//! chunk never publishes to someone already claimed; a claim that finds
//! `in_flight` means a worker died or lost track mid-publish: `unknown`.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use stratus_core::clock::now_millis;

use crate::push::DeviceNote;
use crate::recipients::RecipientStatus;
use crate::{Error, Result};

/// The index the desktop reads changed marks through.
pub const CHANGE_INDEX: &str = "by_change";

/// A recipient's mark as the table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub customer_id: String,
    pub status: RecipientStatus,
    pub reason: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub message_id: Option<String>,
    pub attempts: i64,
    /// Unix ms of the last change.
    pub changed: i64,
    /// The token of the claim that made it `in_flight` last.
    pub claim: Option<String>,
    /// Push: what SNS said about the customer's devices on the last try
    /// (a disabled endpoint); the catch-up writes it to `push_devices`.
    pub devices: Vec<DeviceNote>,
    /// Badges the sent message announced; the catch-up marks them
    /// announced when it applies a `sent` mark.
    pub badges: Vec<String>,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The mark is now `in_flight` and ours: publish.
    Claimed,
    /// Someone claimed it and never settled it (a worker killed or timed
    /// out mid-publish): the message may be out.
    WasInFlight,
    /// It already has an answer (or was settled by a cancel).
    Settled(RecipientStatus),
}

/// From which states a settle may move a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromState {
    /// Absent or `pending`: nobody has claimed it (cancel, opt-out before
    /// a claim).
    Untouched,
    /// `in_flight`: the claimant's answer.
    InFlight,
    /// Whatever it is: a publish the provider accepted is `sent` even if
    /// a redelivery meanwhile gave up on it as `unknown`.
    Any,
}

/// A mark's new state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settle {
    pub reason: Option<String>,
    pub error: Option<(String, String)>,
    pub message_id: Option<String>,
    /// Push: what the publishes said about devices (replaces the mark's).
    pub devices: Vec<DeviceNote>,
    /// Badges a `sent` message announced.
    pub badges: Vec<String>,
}

impl Settle {
    /// A new state with only a reason (skipped, unknown).
    pub fn because(reason: &str) -> Settle {
        Settle {
            reason: Some(reason.to_string()),
            ..Settle::default()
        }
    }
}

/// The marks table.
#[derive(Debug, Clone)]
pub struct MarkTable {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn item_key(customer: &str) -> String {
    format!("r#{customer}")
}

/// One line for a DynamoDB failure (code and message, never a dump).
pub(super) fn service_error<E, R>(what: &str, e: &SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let detail = match e.as_service_error() {
        Some(s) => format!(
            "{}: {}",
            s.code().unwrap_or("error"),
            s.message().unwrap_or("")
        ),
        None => stratus_core::store::error_chain(e),
    };
    Error::Cloud(format!("{what}: {detail}"))
}

pub(super) fn conditional_failed<E: ProvideErrorMetadata>(
    e: &SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool {
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "ConditionalCheckFailedException")
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<f64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

fn texts(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().map(|v| s(v.as_str())).collect())
}

fn device_notes(notes: &[DeviceNote]) -> AttributeValue {
    AttributeValue::L(
        notes
            .iter()
            .map(|note| {
                AttributeValue::M(HashMap::from([
                    ("endpoint".to_string(), s(note.endpoint_arn.as_str())),
                    ("disabled".to_string(), AttributeValue::Bool(note.disabled)),
                    ("note".to_string(), s(note.note.as_str())),
                ]))
            })
            .collect(),
    )
}

fn list<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a [AttributeValue] {
    item.get(name)
        .and_then(|v| v.as_l().ok())
        .map_or(&[], Vec::as_slice)
}

fn to_device_note(value: &AttributeValue) -> Option<DeviceNote> {
    let map = value.as_m().ok()?;
    Some(DeviceNote {
        endpoint_arn: text(map, "endpoint")?,
        disabled: map
            .get("disabled")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false),
        note: text(map, "note").unwrap_or_default(),
    })
}

fn to_mark(item: &HashMap<String, AttributeValue>) -> Option<Mark> {
    let customer_id = text(item, "item")?.strip_prefix("r#")?.to_string();
    Some(Mark {
        customer_id,
        status: RecipientStatus::parse(&text(item, "status")?)?,
        reason: text(item, "reason"),
        error_code: text(item, "error_code"),
        error_message: text(item, "error_message"),
        message_id: text(item, "message_id"),
        attempts: number(item, "attempts").unwrap_or(0.0) as i64,
        changed: number(item, "changed").unwrap_or(0.0) as i64,
        claim: text(item, "claim"),
        devices: list(item, "devices")
            .iter()
            .filter_map(to_device_note)
            .collect(),
        badges: list(item, "badges")
            .iter()
            .filter_map(|v| v.as_s().ok().cloned())
            .collect(),
    })
}

impl MarkTable {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        MarkTable {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    pub fn name(&self) -> &str {
        &self.table
    }

    /// `in_flight` from absent or `pending`, one more attempt. Written
    /// before the publish: a worker that dies after it leaves the mark
    /// behind, and the next delivery of the chunk makes it `unknown`.
    /// `token` names this claim: if the SDK repeats the call after a lost
    /// answer, the mark it finds `in_flight` with its own token is still
    /// this claim, not a dead worker's.
    pub async fn claim(&self, run: &str, customer: &str, token: &str) -> Result<Claim> {
        let answer = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("run", s(run))
            .key("item", s(item_key(customer)))
            .update_expression("SET #s = :in_flight, #c = :now, #t = :token ADD #n :one")
            .condition_expression("attribute_not_exists(#i) OR #s = :pending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#c", "changed")
            .expression_attribute_names("#i", "item")
            .expression_attribute_names("#n", "attempts")
            .expression_attribute_names("#t", "claim")
            .expression_attribute_values(":token", s(token))
            .expression_attribute_values(":in_flight", s("in_flight"))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":now", n(now_millis()))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match answer {
            Ok(_) => Ok(Claim::Claimed),
            Err(e) if conditional_failed(&e) => match self.get(run, customer).await? {
                Some(mark) if mark.status == RecipientStatus::InFlight => {
                    if mark.claim.as_deref() == Some(token) {
                        Ok(Claim::Claimed)
                    } else {
                        Ok(Claim::WasInFlight)
                    }
                }
                Some(mark) => Ok(Claim::Settled(mark.status)),
                // Gone between the two calls: nobody removes marks, so
                // this is a broken table; let the chunk be retried.
                None => Err(Error::Cloud(format!(
                    "the mark of {customer} in run {run} vanished"
                ))),
            },
            Err(e) => Err(service_error("cannot claim a recipient", &e)),
        }
    }

    /// One mark, read consistently.
    pub async fn get(&self, run: &str, customer: &str) -> Result<Option<Mark>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("run", s(run))
            .key("item", s(item_key(customer)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| service_error("cannot read a mark", &e))?;
        Ok(out.item().and_then(to_mark))
    }

    /// Moves a mark to `status` if it is in one of the `from` states;
    /// `false` when it was not (someone else settled it).
    pub async fn settle(
        &self,
        run: &str,
        customer: &str,
        status: RecipientStatus,
        from: FromState,
        detail: Settle,
    ) -> Result<bool> {
        let mut set = vec!["#s = :status", "#c = :now"];
        let mut remove = Vec::new();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("run", s(run))
            .key("item", s(item_key(customer)))
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#c", "changed")
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":now", n(now_millis()));
        // Every name through a placeholder: DynamoDB reserves hundreds of words.
        let optional = [
            ("#a0", ":a0", "reason", detail.reason),
            (
                "#a1",
                ":a1",
                "error_code",
                detail.error.as_ref().map(|e| e.0.clone()),
            ),
            ("#a2", ":a2", "error_message", detail.error.map(|e| e.1)),
            ("#a3", ":a3", "message_id", detail.message_id),
        ];
        let mut sets = Vec::new();
        for (name, placeholder, attribute, value) in optional {
            request = request.expression_attribute_names(name, attribute);
            match value {
                Some(v) => {
                    sets.push(format!("{name} = {placeholder}"));
                    request = request.expression_attribute_values(placeholder, s(v));
                }
                None => remove.push(name),
            }
        }
        // Lists: what this answer says, or nothing (an older try's notes
        // do not outlive it).
        let lists = [
            (
                "#a4",
                ":a4",
                "devices",
                detail.devices.is_empty(),
                device_notes(&detail.devices),
            ),
            (
                "#a5",
                ":a5",
                "badges",
                detail.badges.is_empty(),
                texts(&detail.badges),
            ),
        ];
        for (name, placeholder, attribute, empty, value) in lists {
            request = request.expression_attribute_names(name, attribute);
            if empty {
                remove.push(name);
            } else {
                sets.push(format!("{name} = {placeholder}"));
                request = request.expression_attribute_values(placeholder, value);
            }
        }
        set.extend(sets.iter().map(String::as_str));
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        request = request.update_expression(expression);
        request = match from {
            FromState::Untouched => request
                .condition_expression("attribute_not_exists(#i) OR #s = :pending")
                .expression_attribute_names("#i", "item")
                .expression_attribute_values(":pending", s("pending")),
            FromState::InFlight => request
                .condition_expression("#s = :in_flight")
                .expression_attribute_values(":in_flight", s("in_flight")),
            FromState::Any => request,
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(service_error("cannot record a recipient's answer", &e)),
        }
    }

    /// `in_flight → pending` after a publish that certainly did not reach
    /// the provider (refused, throttled): the chunk's next delivery sends it.
    pub async fn release(&self, run: &str, customer: &str, error: (String, String)) -> Result<()> {
        self.settle(
            run,
            customer,
            RecipientStatus::Pending,
            FromState::InFlight,
            Settle {
                reason: Some("retrying".into()),
                error: Some(error),
                ..Settle::default()
            },
        )
        .await
        .map(|_| ())
    }

    /// Marks of `run` changed at or after `since` (Unix ms), one page
    /// (`start` = the previous page's `next`).
    pub async fn changed_since(
        &self,
        run: &str,
        since: i64,
        start: Option<HashMap<String, AttributeValue>>,
    ) -> Result<(Vec<Mark>, Option<HashMap<String, AttributeValue>>)> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(CHANGE_INDEX)
            .key_condition_expression("#r = :run AND #c >= :since")
            .expression_attribute_names("#r", "run")
            .expression_attribute_names("#c", "changed")
            .expression_attribute_values(":run", s(run))
            .expression_attribute_values(":since", n(since))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| service_error("cannot read the run's marks", &e))?;
        let marks = out.items().iter().filter_map(to_mark).collect();
        Ok((marks, out.last_evaluated_key().cloned()))
    }
}

pub(super) fn attribute_text(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    text(item, name)
}

pub(super) fn attribute_number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<f64> {
    number(item, name)
}
