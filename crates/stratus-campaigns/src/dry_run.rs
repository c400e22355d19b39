//! The dry run: what launching a campaign would do — who gets a message,
//! who is skipped and why, what a few messages look like, how many SMS
//! parts, what it costs and how long it takes — without sending or writing
//! anything.
//!
//! Cost: SNS bills SMS per part, at a price that depends on the destination
//! country and the SMS type. The estimate uses one flat
//! [`DryRunOptions::price_per_part`]. The default, [`DEFAULT_PRICE_PER_PART`]
//! USD, is an assumption of the order of one US SMS part with carrier fees,
//! not a quote: set the price of your destinations (SNS pricing page). Push
//! is billed per notification delivered to a device, so a push dry run
//! counts devices (every enabled device of each eligible customer) and
//! prices them at [`DryRunOptions::push_price_per_million`]; in-app messages
//! at the inbox's price per message. The defaults and their sources are in
//! [`crate::prices`].

use std::collections::BTreeMap;

use rusqlite::{params_from_iter, Connection};
use stratus_core::clock::now_millis;
use stratus_core::db::Db;

use crate::campaign::{self, CampaignSpec, Channel};
use crate::customer;
use crate::eligibility::{self, Moment, SkipReason};
use crate::gamify;
use crate::message::CampaignMessage;
use crate::notifier::{Notifier, OptOutFilter};
use crate::prices;
use crate::push::{devices, RenderedPush};
use crate::segment::{self, EventsCacheAge, Segment};
use crate::sms::{self, SmsLength};
use crate::template::TemplateContext;
use crate::Result;

/// USD per SMS part assumed when none is given.
pub const DEFAULT_PRICE_PER_PART: f64 = prices::SMS_PER_PART;

#[derive(Debug, Clone)]
pub struct DryRunOptions {
    /// How many rendered messages to show.
    pub samples: usize,
    /// Price of one SMS part, in `currency`.
    pub price_per_part: f64,
    /// Price of a million push notifications (one per device), in `currency`.
    pub push_price_per_million: f64,
    /// Price of a million in-app messages, in `currency`.
    pub in_app_price_per_million: f64,
    pub currency: String,
    /// "Launched now" for segments (`within`) and quiet hours, Unix ms.
    pub now: i64,
}

impl Default for DryRunOptions {
    fn default() -> Self {
        DryRunOptions {
            samples: 3,
            price_per_part: DEFAULT_PRICE_PER_PART,
            push_price_per_million: prices::PUSH_PER_MILLION,
            in_app_price_per_million: prices::IN_APP_PER_MILLION,
            currency: "USD".into(),
            now: now_millis(),
        }
    }
}

/// One rendered message as a recipient would get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleMessage {
    pub customer_id: String,
    pub name: String,
    /// Phone number or endpoint ARN.
    pub address: String,
    /// The SMS, or the notification's body.
    pub text: String,
    pub sms: SmsLength,
    /// Push and in-app: the notification as the phone shows it.
    pub notification: Option<RenderedPush>,
    /// Push: the enabled devices it goes to.
    pub devices: u64,
}

/// A customer whose message cannot be rendered (it would fail at send time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderFailure {
    pub customer_id: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DryRunReport {
    pub channel: Channel,
    /// Customers the segment matches.
    pub audience: u64,
    /// Of those, customers who would be sent a message.
    pub eligible: u64,
    /// Customers left out, by reason ([`SkipReason::as_str`]):
    /// `not_opted_in`, `no_address`, `quiet_hours`, `frequency_cap`,
    /// `invalid_number`, `opted_out`, each counted once, under the first
    /// rule that applies in the runner's order ([`crate::eligibility`]).
    pub skipped: BTreeMap<String, u64>,
    /// Of the eligible and skipped, customers in quiet hours "if sent now"
    /// whom a `wait` campaign delays to the window's end (they are judged
    /// by the other rules as of that moment).
    pub waiting: u64,
    /// Whether the provider's opt-out list was consulted (`opted_out` is
    /// otherwise only found at send time).
    pub opt_outs_checked: bool,
    /// Eligible customers whose message does not render.
    pub render_errors: u64,
    pub first_render_error: Option<RenderFailure>,
    pub samples: Vec<SampleMessage>,
    /// SMS parts over all eligible customers (0 for other channels).
    pub total_parts: u64,
    /// Push: notifications to send, one per enabled device of each
    /// eligible customer (0 for other channels).
    pub devices: u64,
    /// What one billed unit (an SMS part, a push to one device, an in-app
    /// message) costs for this channel.
    pub price_per_part: f64,
    pub currency: String,
    pub estimated_cost: f64,
    pub rate_per_sec: f64,
    /// At the configured rate; every recipient row takes one send slot,
    /// including those skipped at send time.
    pub estimated_seconds: u64,
    /// When the last message is expected to go, Unix ms: the send slots at
    /// the rate from `now`, or, when recipients wait for their quiet hours,
    /// after the last window ends (those wake together and queue at the rate).
    pub estimated_finish_at: i64,
    /// For a segment with `did`: how old the events cache it read is.
    pub events_cache: Option<EventsCacheAge>,
}

/// Dry run of a stored campaign (any state; drafts are the usual case).
pub async fn dry_run(
    db: &Db,
    campaign_id: &str,
    notifier: Option<&dyn Notifier>,
    options: DryRunOptions,
) -> Result<DryRunReport> {
    let spec = campaign::get(db, campaign_id).await?.spec;
    dry_run_spec(db, spec, notifier, options).await
}

/// Dry run of unsaved settings (the editor's "what if").
pub async fn dry_run_spec(
    db: &Db,
    spec: CampaignSpec,
    notifier: Option<&dyn Notifier>,
    options: DryRunOptions,
) -> Result<DryRunReport> {
    spec.validate()?;
    let opt_outs = match (spec.channel, notifier) {
        (Channel::Sms, Some(n)) => match n.opt_out_filter().await {
            Ok(filter) => filter,
            Err(e) => {
                tracing::warn!("the opt-out list cannot be read, skipping that check: {e}");
                None
            }
        },
        _ => None,
    };
    db.read(move |c| dry_run_blocking(c, &spec, opt_outs.as_ref(), &options))
        .await
}

/// Streams the segment's customers once; memory stays flat.
pub fn dry_run_blocking(
    conn: &Connection,
    spec: &CampaignSpec,
    opt_outs: Option<&OptOutFilter>,
    options: &DryRunOptions,
) -> Result<DryRunReport> {
    let template = CampaignMessage::compile(spec)?;
    let levels = gamify::levels_blocking(conn)?;
    let segment = Segment::parse(&spec.segment)?;
    let events_cache = if segment.reads_events() {
        Some(segment::cache_age(conn)?)
    } else {
        None
    };
    let filter = segment.to_sql(options.now, &levels);
    let rank = if template.uses("rank") {
        "(SELECT count(*) FROM customers x WHERE x.points > customers.points) + 1"
    } else {
        "0"
    };
    let device_count = match spec.channel {
        Channel::Push => devices::SENDABLE_COUNT_SQL,
        _ => "0",
    };
    let sql = format!(
        "SELECT {}, {rank}, {device_count} FROM customers WHERE {} ORDER BY id",
        customer::COLUMNS,
        filter.condition
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(filter.params.iter()))?;
    let mut report = DryRunReport {
        channel: spec.channel,
        audience: 0,
        eligible: 0,
        skipped: BTreeMap::new(),
        opt_outs_checked: opt_outs.is_some(),
        render_errors: 0,
        first_render_error: None,
        samples: Vec::new(),
        total_parts: 0,
        devices: 0,
        price_per_part: match spec.channel {
            Channel::Sms => options.price_per_part,
            Channel::Push => options.push_price_per_million / 1e6,
            Channel::InApp => options.in_app_price_per_million / 1e6,
        },
        currency: options.currency.clone(),
        estimated_cost: 0.0,
        rate_per_sec: spec.rate_per_sec,
        estimated_seconds: 0,
        waiting: 0,
        estimated_finish_at: options.now,
        events_cache,
    };
    let mut send_slots = 0u64;
    // The last quiet-hours end and how many wake then.
    let mut last_wake = (options.now, 0u64);
    while let Some(row) = rows.next()? {
        let customer = customer::from_row(row, 0)?;
        let rank: i64 = row.get(15)?;
        let device_count: u64 = row.get(16)?;
        report.audience += 1;
        // The runner's rules in the runner's order: its own checks, the
        // render, then what the provider would answer.
        let address = eligibility::address(&customer, spec.channel);
        // A recipient in quiet hours that the campaign waits for is judged
        // as of the window's end, as the runner will.
        let wake = eligibility::quiet_hours_end(spec, &customer.time_zone, options.now);
        let sent_at = wake.unwrap_or(options.now);
        let moment = Moment::Send { now: sent_at };
        let address = match eligibility::check(&customer, address, spec, moment) {
            Ok(address) => address.to_string(),
            Err(reason) => {
                let reason = devices::launch_reason(conn, &customer.id, spec.channel, reason)?;
                if !reason.found_at_launch() {
                    send_slots += 1;
                }
                skip(&mut report, reason);
                continue;
            }
        };
        send_slots += 1;
        if let Some(wake) = wake {
            report.waiting += 1;
            match wake.cmp(&last_wake.0) {
                std::cmp::Ordering::Greater => last_wake = (wake, 1),
                std::cmp::Ordering::Equal => last_wake.1 += 1,
                std::cmp::Ordering::Less => {}
            }
        }
        if let Some(cap) = spec.frequency_cap {
            let recent = eligibility::sent_within_blocking(
                conn,
                &customer.id,
                sent_at - cap.window_millis(),
            )?;
            if let Err(reason) = eligibility::check_cap(spec.frequency_cap, recent) {
                skip(&mut report, reason);
                continue;
            }
        }
        let rendered = match template.render_all(&TemplateContext::new(&customer, rank, &levels)) {
            Ok(rendered) => rendered,
            Err(e) => {
                report.render_errors += 1;
                report.first_render_error.get_or_insert(RenderFailure {
                    customer_id: customer.id.clone(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        if let Err(reason) = eligibility::predict_provider(spec.channel, &address, opt_outs) {
            skip(&mut report, reason);
            continue;
        }
        let length = sms::measure(&rendered.text);
        report.eligible += 1;
        let units = match spec.channel {
            Channel::Sms => {
                report.total_parts += length.parts as u64;
                length.parts as u64
            }
            Channel::Push => {
                report.devices += device_count;
                device_count
            }
            Channel::InApp => 1,
        };
        report.estimated_cost += units as f64 * report.price_per_part;
        if report.samples.len() < options.samples {
            report.samples.push(SampleMessage {
                customer_id: customer.id,
                name: customer.name,
                address,
                text: rendered.text,
                sms: length,
                notification: rendered.notification,
                devices: device_count,
            });
        }
    }
    report.estimated_seconds = (send_slots as f64 / spec.rate_per_sec).ceil() as u64;
    let at_rate = |slots: u64| (slots as f64 * 1000.0 / spec.rate_per_sec).ceil() as i64;
    report.estimated_finish_at =
        (options.now + at_rate(send_slots)).max(last_wake.0 + at_rate(last_wake.1));
    Ok(report)
}

fn skip(report: &mut DryRunReport, reason: SkipReason) {
    *report
        .skipped
        .entry(reason.as_str().to_string())
        .or_default() += 1;
}
