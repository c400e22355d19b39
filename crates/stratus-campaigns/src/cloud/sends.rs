//! What each customer was sent, across campaigns, for the frequency cap
//! in the cloud: one item per customer in the marks table (partition
//! `run` = `customer#<id>`, sort `item` = `sends`; no `changed`, so it
//! stays out of the `by_change` index), holding one attribute per
//! campaign that sent to them (`s#<campaign id>` = Unix ms), a version
//! `v` and `expires` (Unix s, the table's TTL).
//!
//! Keyed by campaign, not by send: a redelivered chunk or a retry round
//! of the same campaign finds its own key and never counts twice, and
//! the desktop's seed of what it knows was sent (below) lands on the
//! same keys as the cloud's own sends of a caught-up run.
//!
//! A capped send **reserves** its place before the publish with an
//! optimistic, versioned write (read the item, count the other
//! campaigns' sends in the window, write ours with the condition that
//! nobody wrote in between; retry if someone did), so two workers
//! sending two campaigns to one customer at once cannot both pass a cap
//! of one. A send that then does not happen (skipped, failed, retried
//! later, in doubt: `unknown` does not count, as locally) **forgets** its
//! key; an uncapped send **records** its key after SNS accepted it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use rusqlite::{params, Connection};

use super::marks::{conditional_failed, service_error, MarkTable};
use crate::campaign::FrequencyCap;
use crate::{Error, Result};

/// How long a send is kept: the longest cap window (365 days) and a day.
pub const KEEP_MS: i64 = 366 * 86_400_000;

/// Reserving gives up after this many writes lost to other writers.
const RESERVE_TRIES: u32 = 8;

const ITEM: &str = "sends";
const PREFIX: &str = "s#";

fn partition(customer: &str) -> String {
    format!("customer#{customer}")
}

fn key(campaign: &str) -> String {
    format!("{PREFIX}{campaign}")
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn expires(now: i64) -> AttributeValue {
    n((now + KEEP_MS) / 1000)
}

/// The sends an item holds: campaign key → Unix ms.
fn sends_of(item: &HashMap<String, AttributeValue>) -> HashMap<String, i64> {
    item.iter()
        .filter(|(k, _)| k.starts_with(PREFIX))
        .filter_map(|(k, v)| Some((k.clone(), v.as_n().ok()?.parse().ok()?)))
        .collect()
}

/// A customer's sends item as one read saw it.
#[derive(Debug, Clone, Default)]
pub struct SendsSeen {
    /// Campaign key → Unix ms.
    pub sends: HashMap<String, i64>,
    /// The item's version (`None`: no item yet).
    pub version: Option<AttributeValue>,
}

/// What one reservation attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserve {
    Reserved,
    /// The cap is reached: skip.
    Full,
    /// Someone wrote the item after it was read: read again.
    Lost,
}

/// Whether `campaign` may send once more under `cap` at `now`, given the
/// customer's sends: the other campaigns' within the window are counted.
pub fn allows(sends: &HashMap<String, i64>, campaign: &str, cap: FrequencyCap, now: i64) -> bool {
    let own = key(campaign);
    let since = now - cap.window_millis();
    let recent = sends
        .iter()
        .filter(|(k, &at)| **k != own && at > since)
        .count();
    recent < cap.messages as usize
}

impl MarkTable {
    /// An update of `customer`'s sends item.
    fn sends_update(
        &self,
        customer: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client()
            .update_item()
            .table_name(self.name())
            .key("run", AttributeValue::S(partition(customer)))
            .key("item", AttributeValue::S(ITEM.into()))
    }

    /// Reserves `campaign`'s send to `customer` under `cap`: `false` when
    /// the customer had as many messages within the window already.
    pub async fn reserve_send(
        &self,
        customer: &str,
        campaign: &str,
        cap: FrequencyCap,
        now: i64,
    ) -> Result<bool> {
        for _ in 0..RESERVE_TRIES {
            let seen = self.sends(customer).await?;
            match self
                .try_reserve(customer, campaign, cap, now, &seen)
                .await?
            {
                Reserve::Reserved => return Ok(true),
                Reserve::Full => return Ok(false),
                Reserve::Lost => continue,
            }
        }
        Err(Error::Cloud(format!(
            "the sends of customer {customer} kept changing: try again"
        )))
    }

    /// The customer's sends item as it is now (read consistently).
    pub async fn sends(&self, customer: &str) -> Result<SendsSeen> {
        let out = self
            .client()
            .get_item()
            .table_name(self.name())
            .key("run", AttributeValue::S(partition(customer)))
            .key("item", AttributeValue::S(ITEM.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| service_error("cannot read a customer's sends", &e))?;
        let item = out.item().cloned().unwrap_or_default();
        Ok(SendsSeen {
            sends: sends_of(&item),
            version: item.get("v").cloned(),
        })
    }

    /// One reservation on what was `seen`: written only if nobody wrote
    /// the item since (else `Lost`: read again).
    pub async fn try_reserve(
        &self,
        customer: &str,
        campaign: &str,
        cap: FrequencyCap,
        now: i64,
        seen: &SendsSeen,
    ) -> Result<Reserve> {
        if !allows(&seen.sends, campaign, cap, now) {
            return Ok(Reserve::Full);
        }
        let mut request = self
            .sends_update(customer)
            .expression_attribute_names("#own", key(campaign))
            .expression_attribute_names("#v", "v")
            .expression_attribute_names("#e", "expires")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", expires(now));
        // Sends older than any window are dropped on the way.
        let old: Vec<&String> = seen
            .sends
            .iter()
            .filter(|(_, &at)| at <= now - KEEP_MS)
            .map(|(k, _)| k)
            .collect();
        let mut expression = "SET #own = :now, #e = :exp ADD #v :one".to_string();
        if !old.is_empty() {
            let names: Vec<String> = (0..old.len()).map(|i| format!("#o{i}")).collect();
            for (name, k) in names.iter().zip(&old) {
                request = request.expression_attribute_names(name, *k);
            }
            expression.push_str(&format!(" REMOVE {}", names.join(", ")));
        }
        request = request.update_expression(expression);
        request = match &seen.version {
            Some(v) => request
                .condition_expression("#v = :seen")
                .expression_attribute_values(":seen", v.clone()),
            None => request.condition_expression("attribute_not_exists(#v)"),
        };
        match request.send().await {
            Ok(_) => Ok(Reserve::Reserved),
            Err(e) if conditional_failed(&e) => Ok(Reserve::Lost),
            Err(e) => Err(service_error("cannot reserve a customer's send", &e)),
        }
    }

    /// Records a send SNS accepted (a campaign without a cap: later capped
    /// campaigns count it).
    pub async fn record_send(&self, customer: &str, campaign: &str, now: i64) -> Result<()> {
        self.sends_update(customer)
            .update_expression("SET #own = :now, #e = :exp ADD #v :one")
            .expression_attribute_names("#own", key(campaign))
            .expression_attribute_names("#v", "v")
            .expression_attribute_names("#e", "expires")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", expires(now))
            .send()
            .await
            .map_err(|e| service_error("cannot record a customer's send", &e))?;
        Ok(())
    }

    /// Forgets a reserved or recorded send that did not happen (or whose
    /// fate is unknown). Nothing to forget is fine.
    pub async fn forget_send(&self, customer: &str, campaign: &str) -> Result<()> {
        let answer = self
            .sends_update(customer)
            .update_expression("REMOVE #own ADD #v :one")
            .condition_expression("attribute_exists(#own)")
            .expression_attribute_names("#own", key(campaign))
            .expression_attribute_names("#v", "v")
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(e) if conditional_failed(&e) => Ok(()),
            Err(e) => Err(service_error("cannot forget a customer's send", &e)),
        }
    }

    /// Adds what the desktop knows was sent to `customer` (campaign id →
    /// Unix ms), so a capped cloud run counts local runs too.
    pub async fn seed_sends(
        &self,
        customer: &str,
        sends: &[(String, i64)],
        now: i64,
    ) -> Result<()> {
        if sends.is_empty() {
            return Ok(());
        }
        let mut request = self
            .sends_update(customer)
            .expression_attribute_names("#v", "v")
            .expression_attribute_names("#e", "expires")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", expires(now));
        let mut sets = vec!["#e = :exp".to_string()];
        for (i, (campaign, at)) in sends.iter().enumerate() {
            request = request
                .expression_attribute_names(format!("#k{i}"), key(campaign))
                .expression_attribute_values(format!(":t{i}"), n(at));
            sets.push(format!("#k{i} = :t{i}"));
        }
        request
            .update_expression(format!("SET {} ADD #v :one", sets.join(", ")))
            .send()
            .await
            .map_err(|e| service_error("cannot seed a customer's sends", &e))?;
        Ok(())
    }
}

/// A campaign's send to a customer this computer knows of: (campaign id,
/// Unix ms).
pub type LocalSend = (String, i64);

/// What this computer's rows say was sent to `customer` since `since`
/// (Unix ms), by campaign: rows `sent`, and `in_flight` of a run sending
/// now — the rows the local cap counts (`eligibility::sent_within_blocking`).
pub fn local_sends_blocking(
    conn: &Connection,
    customer: &str,
    since: i64,
) -> Result<Vec<LocalSend>> {
    let mut stmt = conn.prepare_cached(
        "SELECT campaign_id, max(updated_at) FROM recipients
         WHERE customer_id = ?1 AND status IN ('sent', 'in_flight') AND updated_at > ?2
         GROUP BY campaign_id",
    )?;
    let rows = stmt
        .query_map(params![customer, since], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn the_cap_counts_the_other_campaigns_sends_within_its_window() {
        let cap = FrequencyCap {
            messages: 2,
            days: 7,
        };
        let now = 100 * DAY;
        let mut sends = HashMap::new();
        assert!(allows(&sends, "spring", cap, now));
        sends.insert(key("a"), now - DAY);
        assert!(allows(&sends, "spring", cap, now));
        sends.insert(key("b"), now - 2 * DAY);
        assert!(!allows(&sends, "spring", cap, now), "two within 7 days");
        // Its own reservation (a redelivery) does not count against it.
        sends.insert(key("spring"), now);
        sends.remove(&key("b"));
        assert!(allows(&sends, "spring", cap, now));
        // Out of the window.
        sends.insert(key("b"), now - 8 * DAY);
        assert!(allows(&sends, "spring", cap, now));
    }
}
