//! Who may be sent a campaign's message, and why not: the rules launch, the
//! dry run and the runner all apply, in one order.
//!
//! 1. [`check`] — Stratus's own rules, on the customer row: consent for
//!    the channel, an address (both already at launch), then quiet hours in
//!    the customer's time zone (at the moment of sending only). A campaign
//!    whose quiet mode is `wait` delays such a recipient to the window's
//!    end ([`quiet_hours_end`]) instead of skipping them;
//! 2. the frequency cap ([`check_cap`]), against what was actually sent to
//!    the customer by any campaign within the cap's window
//!    ([`sent_within_blocking`]), when sending;
//! 3. the message renders (a failure is a `failed` row, not a skip);
//! 4. the provider's answers: opted out, invalid number, disabled endpoint.
//!    The runner asks the provider; the dry run predicts them with
//!    [`predict_provider`].
//!
//! The stored reason strings ([`SkipReason::as_str`]) never change: old
//! databases, exports and the UI read them.

use std::fmt;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike};
use rusqlite::{params, Connection};

use crate::campaign::{CampaignSpec, Channel, FrequencyCap, QuietHours, QuietMode};
use crate::customer::Customer;
use crate::notifier::OptOutFilter;
use crate::phone;

/// Why a recipient is `skipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// No consent for the campaign's channel.
    NotOptedIn,
    /// No phone number (SMS) or endpoint (push).
    NoAddress,
    /// Inside the campaign's quiet hours, in the customer's time zone.
    QuietHours,
    /// The provider's opt-out list has the number.
    OptedOut,
    /// The provider (or, in the dry run, libphonenumber) refuses the number.
    InvalidNumber,
    /// The provider says the push endpoint is disabled.
    EndpointDisabled,
    /// The customer was deleted after launch.
    CustomerDeleted,
    /// The campaign was cancelled before this recipient's turn.
    Cancelled,
    /// The customer already got as many messages as the campaign's
    /// frequency cap allows within its window (any campaign's).
    FrequencyCap,
}

impl SkipReason {
    pub const ALL: [SkipReason; 9] = [
        SkipReason::NotOptedIn,
        SkipReason::NoAddress,
        SkipReason::QuietHours,
        SkipReason::OptedOut,
        SkipReason::InvalidNumber,
        SkipReason::EndpointDisabled,
        SkipReason::CustomerDeleted,
        SkipReason::Cancelled,
        SkipReason::FrequencyCap,
    ];

    /// The `reason` stored on the recipient row.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NotOptedIn => "not_opted_in",
            SkipReason::NoAddress => "no_address",
            SkipReason::QuietHours => "quiet_hours",
            SkipReason::OptedOut => "opted_out",
            SkipReason::InvalidNumber => "invalid_number",
            SkipReason::EndpointDisabled => "endpoint_disabled",
            SkipReason::CustomerDeleted => "customer_deleted",
            SkipReason::Cancelled => "cancelled",
            SkipReason::FrequencyCap => "frequency_cap",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Decided when the audience is snapshotted: such customers get a
    /// `skipped` row at launch and never take a send slot.
    pub fn found_at_launch(self) -> bool {
        matches!(self, SkipReason::NotOptedIn | SkipReason::NoAddress)
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When the rules are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// The audience snapshot: when the messages go is not known yet.
    Launch,
    /// Sending (or, in the dry run, as if sending) at Unix ms `now`.
    Send { now: i64 },
}

/// The address a launch snapshots for `channel`: the phone number; for
/// push the newest enabled device's endpoint ARN (none when no device is
/// enabled; the send goes to every enabled device, `push::deliver`); for
/// in-app the customer's own inbox, named by their id.
pub fn address(customer: &Customer, channel: Channel) -> Option<&str> {
    match channel {
        Channel::Sms => customer.phone.as_deref(),
        Channel::Push => customer.push_endpoint_arn.as_deref(),
        Channel::InApp => Some(customer.id.as_str()),
    }
}

/// Stratus's own rules for one customer, in order; `Ok` is the address to
/// send to. `address` is where the message would go: the customer's at
/// launch and in the dry run, the launch snapshot when sending. Consent is
/// the customer's current one, so a customer who withdrew it after launch
/// is skipped at send.
pub fn check<'a>(
    customer: &Customer,
    address: Option<&'a str>,
    campaign: &CampaignSpec,
    moment: Moment,
) -> Result<&'a str, SkipReason> {
    let consent = match campaign.channel {
        Channel::Sms => customer.sms_opt_in,
        Channel::Push => customer.push_opt_in,
        // Read inside the customer's own signed-in app, like any screen of it.
        Channel::InApp => true,
    };
    if !consent {
        return Err(SkipReason::NotOptedIn);
    }
    let Some(address) = address else {
        return Err(SkipReason::NoAddress);
    };
    if let (Moment::Send { now }, Some(quiet)) = (moment, campaign.quiet_hours) {
        if in_quiet_hours(quiet, &customer.time_zone, now) {
            return Err(SkipReason::QuietHours);
        }
    }
    Ok(address)
}

/// When a recipient the campaign would skip for quiet hours (at `now`)
/// may be sent instead: the end of their window in their time zone.
/// `None` when the campaign skips them (quiet mode `skip`) or they are not
/// in quiet hours.
pub fn quiet_hours_end(campaign: &CampaignSpec, time_zone: &str, now: i64) -> Option<i64> {
    let quiet = campaign.quiet_hours?;
    if campaign.quiet_mode != QuietMode::Wait || !in_quiet_hours(quiet, time_zone, now) {
        return None;
    }
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    let local = DateTime::from_timestamp_millis(now)?.with_timezone(&tz);
    let end = NaiveTime::from_hms_opt(
        u32::from(quiet.end_minute / 60),
        u32::from(quiet.end_minute % 60),
        0,
    )?;
    let mut day = local.date_naive();
    if local.time() >= end {
        day = day.succ_opt()?;
    }
    // A window ending in a daylight-saving gap (02:30 that never comes)
    // ends at the first minute that exists after it.
    let mut at = day.and_time(end);
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&at).earliest() {
            return Some(t.timestamp_millis());
        }
        at += Duration::minutes(30);
    }
    None
}

/// The frequency cap: `Err(FrequencyCap)` when the customer already got
/// `cap.messages` messages within its window (`sent_recently`, from
/// [`sent_within_blocking`]).
pub fn check_cap(cap: Option<FrequencyCap>, sent_recently: u64) -> Result<(), SkipReason> {
    match cap {
        Some(cap) if sent_recently >= u64::from(cap.messages) => Err(SkipReason::FrequencyCap),
        _ => Ok(()),
    }
}

/// Messages sent to `customer` by any campaign since Unix ms `since`:
/// rows `sent` (and `in_flight`: on their way, from a run sending right
/// now), by the time their status last changed. `unknown` rows do not
/// count: they may never have arrived.
pub fn sent_within_blocking(conn: &Connection, customer: &str, since: i64) -> crate::Result<u64> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM recipients
             WHERE customer_id = ?1 AND status IN ('sent', 'in_flight') AND updated_at > ?2",
        )?
        .query_row(params![customer, since], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The dry run's guess at what the provider will answer for `address`:
/// an invalid number (libphonenumber's rules, as at import; the provider
/// refuses it already in the opt-out check), then the opt-out list (when
/// it could be read). Push endpoints are only known disabled at send.
pub fn predict_provider(
    channel: Channel,
    address: &str,
    opt_outs: Option<&OptOutFilter>,
) -> Result<(), SkipReason> {
    if channel != Channel::Sms {
        return Ok(());
    }
    if phone::normalize(address, None).is_err() {
        return Err(SkipReason::InvalidNumber);
    }
    if opt_outs.is_some_and(|o| o.is_opted_out(address)) {
        return Err(SkipReason::OptedOut);
    }
    Ok(())
}

/// Whether `now_millis` falls in the quiet hours of `time_zone` (UTC if unknown).
pub fn in_quiet_hours(quiet: QuietHours, time_zone: &str, now_millis: i64) -> bool {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    match DateTime::from_timestamp_millis(now_millis) {
        Some(t) => {
            let local = t.with_timezone(&tz);
            let minute = local.hour() * 60 + local.minute();
            quiet.contains(u16::try_from(minute).unwrap_or(0))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::notifier::NotifyError;

    /// 2026-01-15 03:00 UTC: 22:00 the evening before in New York.
    const NIGHT_IN_NEW_YORK: i64 = 1_768_446_000_000;

    fn sms_campaign() -> CampaignSpec {
        let mut spec = CampaignSpec::new("c", Channel::Sms, "", "hi");
        spec.quiet_hours = Some(QuietHours {
            start_minute: 21 * 60,
            end_minute: 8 * 60,
        });
        spec
    }

    fn reachable() -> Customer {
        let mut c = Customer::new("c-1", "Ann");
        c.phone = Some("+12025550101".into());
        c.push_endpoint_arn = Some("arn:aws:sns:us-east-1:1:endpoint/APNS/app/1".into());
        c.sms_opt_in = true;
        c.push_opt_in = true;
        c.time_zone = "America/New_York".into();
        c
    }

    fn checked(customer: &Customer, spec: &CampaignSpec, moment: Moment) -> Result<(), SkipReason> {
        check(customer, address(customer, spec.channel), spec, moment).map(|_| ())
    }

    #[test]
    fn stored_reasons_keep_their_spelling() {
        let stored: Vec<&str> = SkipReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            stored,
            [
                "not_opted_in",
                "no_address",
                "quiet_hours",
                "opted_out",
                "invalid_number",
                "endpoint_disabled",
                "customer_deleted",
                "cancelled",
                "frequency_cap"
            ]
        );
        for reason in SkipReason::ALL {
            assert_eq!(SkipReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(SkipReason::parse("retrying"), None, "not a skip reason");
    }

    #[test]
    fn a_reachable_customer_outside_quiet_hours_is_eligible() {
        let spec = sms_campaign();
        let noon_in_new_york = NIGHT_IN_NEW_YORK + 14 * 3_600_000;
        assert_eq!(checked(&reachable(), &spec, Moment::Launch), Ok(()));
        assert_eq!(
            checked(
                &reachable(),
                &spec,
                Moment::Send {
                    now: noon_in_new_york
                }
            ),
            Ok(())
        );
    }

    #[test]
    fn not_opted_in_is_consent_for_the_campaigns_channel() {
        let mut no_sms = reachable();
        no_sms.sms_opt_in = false;
        let sms = sms_campaign();
        let push = CampaignSpec::new("c", Channel::Push, "", "hi");
        for moment in [
            Moment::Launch,
            Moment::Send {
                now: NIGHT_IN_NEW_YORK,
            },
        ] {
            assert_eq!(checked(&no_sms, &sms, moment), Err(SkipReason::NotOptedIn));
        }
        assert_eq!(checked(&no_sms, &push, Moment::Launch), Ok(()));
        let mut no_push = reachable();
        no_push.push_opt_in = false;
        assert_eq!(
            checked(&no_push, &push, Moment::Launch),
            Err(SkipReason::NotOptedIn)
        );
        assert!(SkipReason::NotOptedIn.found_at_launch());
    }

    #[test]
    fn no_address_is_the_channels_address_missing_and_comes_after_consent() {
        let mut no_phone = reachable();
        no_phone.phone = None;
        let spec = sms_campaign();
        assert_eq!(
            checked(&no_phone, &spec, Moment::Launch),
            Err(SkipReason::NoAddress)
        );
        let push = CampaignSpec::new("c", Channel::Push, "", "hi");
        assert_eq!(checked(&no_phone, &push, Moment::Launch), Ok(()));
        no_phone.sms_opt_in = false;
        assert_eq!(
            checked(&no_phone, &spec, Moment::Launch),
            Err(SkipReason::NotOptedIn),
            "consent is asked first"
        );
        assert!(SkipReason::NoAddress.found_at_launch());
    }

    #[test]
    fn quiet_hours_are_judged_when_sending_in_the_customers_time_zone() {
        let spec = sms_campaign();
        let customer = reachable();
        let sending_at_night = Moment::Send {
            now: NIGHT_IN_NEW_YORK,
        };
        assert_eq!(
            checked(&customer, &spec, sending_at_night),
            Err(SkipReason::QuietHours)
        );
        assert_eq!(
            checked(&customer, &spec, Moment::Launch),
            Ok(()),
            "a launch does not know when the message goes"
        );
        let mut in_tokyo = customer.clone();
        in_tokyo.time_zone = "Asia/Tokyo".into();
        assert_eq!(
            checked(&in_tokyo, &spec, sending_at_night),
            Ok(()),
            "noon in Tokyo"
        );
        assert!(!SkipReason::QuietHours.found_at_launch());
    }

    #[test]
    fn waiting_recipients_wait_until_their_window_ends_in_their_time_zone() {
        let mut spec = sms_campaign();
        // 22:00 in New York; the window ends at 08:00 local = 13:00 UTC.
        let ends = quiet_hours_end(&spec, "America/New_York", NIGHT_IN_NEW_YORK);
        assert_eq!(ends, Some(NIGHT_IN_NEW_YORK + 10 * 3_600_000));
        // After midnight the same night still ends that morning.
        let later = NIGHT_IN_NEW_YORK + 3 * 3_600_000;
        assert_eq!(
            quiet_hours_end(&spec, "America/New_York", later),
            Some(NIGHT_IN_NEW_YORK + 10 * 3_600_000)
        );
        assert_eq!(
            quiet_hours_end(&spec, "Asia/Tokyo", NIGHT_IN_NEW_YORK),
            None,
            "noon in Tokyo: no wait"
        );
        spec.quiet_mode = QuietMode::Skip;
        assert_eq!(
            quiet_hours_end(&spec, "America/New_York", NIGHT_IN_NEW_YORK),
            None,
            "skip mode never waits"
        );
    }

    #[test]
    fn the_cap_allows_up_to_its_count() {
        let cap = Some(FrequencyCap {
            messages: 2,
            days: 7,
        });
        assert_eq!(check_cap(cap, 1), Ok(()));
        assert_eq!(check_cap(cap, 2), Err(SkipReason::FrequencyCap));
        assert_eq!(check_cap(None, 100), Ok(()));
        assert!(!SkipReason::FrequencyCap.found_at_launch());
    }

    #[test]
    fn opted_out_and_invalid_numbers_are_the_providers_answers_predicted_by_the_dry_run() {
        let opt_outs = OptOutFilter::new(|p| p.ends_with("99"));
        let predict = |address: &str| predict_provider(Channel::Sms, address, Some(&opt_outs));
        assert_eq!(predict("+12025550101"), Ok(()));
        assert_eq!(predict("+12025550199"), Err(SkipReason::OptedOut));
        assert_eq!(predict("+1555"), Err(SkipReason::InvalidNumber));
        assert_eq!(
            predict_provider(Channel::Sms, "+12025550199", None),
            Ok(()),
            "no list, no prediction"
        );
        assert_eq!(
            predict_provider(Channel::Push, "not an arn", Some(&opt_outs)),
            Ok(()),
            "push endpoints are judged at send"
        );
        assert_eq!(
            NotifyError::OptedOut.skip_reason(),
            Some(SkipReason::OptedOut)
        );
        assert_eq!(
            NotifyError::InvalidNumber("bad".into()).skip_reason(),
            Some(SkipReason::InvalidNumber)
        );
    }

    #[test]
    fn a_disabled_endpoint_is_the_providers_answer() {
        assert_eq!(
            NotifyError::EndpointDisabled.skip_reason(),
            Some(SkipReason::EndpointDisabled)
        );
        assert_eq!(NotifyError::Throttled("slow".into()).skip_reason(), None);
        assert!(!SkipReason::EndpointDisabled.found_at_launch());
    }
}
