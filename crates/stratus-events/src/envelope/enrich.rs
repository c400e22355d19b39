//! What the collector adds to an event: the skew-corrected `ts` and a
//! truncated client IP.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::envelope::parse_millis;

/// A `ts` further than this after `received_at` is a broken clock, not skew.
pub const MAX_FUTURE_MS: i64 = 23 * 3600 * 1000;

/// Clock-skew correction as Segment, PostHog and Snowplow do it:
/// `ts = received_at − (sent_at − client_ts)`. The client's clock may be off,
/// but the *interval* between the event and the send is measured on that one
/// clock, so it survives. Missing or unparseable `client_ts` or `sent_at`, an
/// overflow, or a result more than 23 h after `received_at` → `received_at`.
pub fn corrected_ts(received_at: i64, sent_at: Option<&str>, client_ts: Option<&str>) -> i64 {
    let (Some(sent), Some(client)) = (
        sent_at.and_then(parse_millis),
        client_ts.and_then(parse_millis),
    ) else {
        return received_at;
    };
    let corrected = sent
        .checked_sub(client)
        .and_then(|delay| received_at.checked_sub(delay));
    match corrected {
        Some(ts) if ts - received_at <= MAX_FUTURE_MS && ts >= 0 => ts,
        _ => received_at,
    }
}

/// The time the client claims for an event, for the collector's time
/// bounds: skew-corrected (`received_at − (sent_at − client_ts)`) when both
/// times parse, else `client_ts` as sent; `None` without a parseable
/// `client_ts` (the event then takes `received_at`, always in bounds).
pub fn claimed_ts(received_at: i64, sent_at: Option<&str>, client_ts: Option<&str>) -> Option<i64> {
    let client = client_ts.and_then(parse_millis)?;
    match sent_at.and_then(parse_millis) {
        Some(sent) => sent
            .checked_sub(client)
            .and_then(|delay| received_at.checked_sub(delay))
            .or(Some(i64::MIN)),
        None => Some(client),
    }
}

/// Truncates a client address so it no longer names one device: IPv4 to /24
/// (last octet zeroed), IPv6 to /48. Unparseable input gives `None`: an
/// address we cannot truncate is not stored at all.
pub fn truncate_ip(ip: &str) -> Option<String> {
    match ip.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(Ipv4Addr::new(a, b, c, 0).to_string())
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return truncate_ip(&v4.to_string());
            }
            let s = v6.segments();
            Some(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::format_millis;

    const RECEIVED: i64 = 1_795_705_200_000; // 2026-11-26T15:00:00Z

    fn t(ms: i64) -> String {
        format_millis(ms)
    }

    #[test]
    fn a_fast_client_clock_is_corrected_by_the_send_delay() {
        // Client clock 1 h fast; event 5 s before sending; request took no time.
        let client = RECEIVED + 3_600_000 - 5_000;
        let sent = RECEIVED + 3_600_000;
        assert_eq!(
            corrected_ts(RECEIVED, Some(&t(sent)), Some(&t(client))),
            RECEIVED - 5_000
        );
    }

    #[test]
    fn missing_or_malformed_times_fall_back_to_received_at() {
        let ok = t(RECEIVED - 1000);
        assert_eq!(corrected_ts(RECEIVED, None, Some(&ok)), RECEIVED);
        assert_eq!(corrected_ts(RECEIVED, Some(&ok), None), RECEIVED);
        assert_eq!(
            corrected_ts(RECEIVED, Some("not a time"), Some(&ok)),
            RECEIVED
        );
        assert_eq!(
            corrected_ts(RECEIVED, Some(&ok), Some("2026-13-45T99:00:00Z")),
            RECEIVED
        );
    }

    #[test]
    fn more_than_23_hours_in_the_future_falls_back_but_23_hours_is_kept() {
        // client_ts after sent_at: the event claims to happen after its send.
        let sent = RECEIVED;
        let at_limit = corrected_ts(RECEIVED, Some(&t(sent)), Some(&t(sent + MAX_FUTURE_MS)));
        assert_eq!(at_limit, RECEIVED + MAX_FUTURE_MS);
        let beyond = corrected_ts(RECEIVED, Some(&t(sent)), Some(&t(sent + MAX_FUTURE_MS + 1)));
        assert_eq!(beyond, RECEIVED);
    }

    #[test]
    fn the_claimed_time_is_skew_corrected_when_it_can_be() {
        // A clock a day fast, the event 5 s before its send: 5 s ago.
        let day = 24 * 3_600_000;
        let claimed = claimed_ts(
            RECEIVED,
            Some(&t(RECEIVED + day)),
            Some(&t(RECEIVED + day - 5_000)),
        );
        assert_eq!(claimed, Some(RECEIVED - 5_000));
        // No sent_at: the client's time as sent; no client_ts: nothing claimed.
        assert_eq!(
            claimed_ts(RECEIVED, None, Some(&t(RECEIVED - 8 * day))),
            Some(RECEIVED - 8 * day)
        );
        assert_eq!(claimed_ts(RECEIVED, Some(&t(RECEIVED)), None), None);
        assert_eq!(claimed_ts(RECEIVED, None, Some("yesterday")), None);
    }

    #[test]
    fn ips_are_truncated_and_garbage_is_dropped() {
        assert_eq!(truncate_ip("203.0.113.77").as_deref(), Some("203.0.113.0"));
        assert_eq!(
            truncate_ip("2001:db8:abcd:12:1:2:3:4").as_deref(),
            Some("2001:db8:abcd::")
        );
        assert_eq!(
            truncate_ip("::ffff:198.51.100.9").as_deref(),
            Some("198.51.100.0")
        );
        assert_eq!(truncate_ip("localhost"), None);
    }
}
