//! The campaign rules a cloud worker applies when a message leaves:
//! quiet hours (wait or skip) and the frequency cap. They travel in the
//! run's control item; the recipient's time zone travels in the manifest
//! entry. The same functions as the desktop runner's decide
//! (`eligibility::in_quiet_hours`, `quiet_hours_end`), so a message never
//! leaves inside a customer's quiet hours, whoever sends it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::marks::attribute_number;
use crate::campaign::{CampaignSpec, FrequencyCap, QuietHours, QuietMode};
use crate::eligibility;

/// What a cloud run must honour besides the manifest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rules {
    pub quiet_hours: Option<QuietHours>,
    pub quiet_mode: QuietMode,
    pub frequency_cap: Option<FrequencyCap>,
}

impl Rules {
    pub fn of(spec: &CampaignSpec) -> Rules {
        Rules {
            quiet_hours: spec.quiet_hours,
            quiet_mode: spec.quiet_mode,
            frequency_cap: spec.frequency_cap,
        }
    }

    /// A spec holding only the rules: what `eligibility`'s functions read.
    fn spec(self) -> CampaignSpec {
        let mut spec = CampaignSpec::new("", crate::campaign::Channel::Sms, "", "");
        spec.quiet_hours = self.quiet_hours;
        spec.quiet_mode = self.quiet_mode;
        spec.frequency_cap = self.frequency_cap;
        spec
    }

    /// Whether a recipient in `time_zone` may be sent now (Unix ms).
    pub fn quiet(self, time_zone: &str, now: i64) -> Quiet {
        let Some(quiet) = self.quiet_hours else {
            return Quiet::Send;
        };
        if !eligibility::in_quiet_hours(quiet, time_zone, now) {
            return Quiet::Send;
        }
        match eligibility::quiet_hours_end(&self.spec(), time_zone, now) {
            Some(end) => Quiet::Wait(end),
            None => Quiet::Skip,
        }
    }

    /// The control item's attributes for these rules.
    pub(super) fn attributes(self) -> Vec<(&'static str, AttributeValue)> {
        let n = |v: u32| AttributeValue::N(v.to_string());
        let mut out = Vec::new();
        if let Some(q) = self.quiet_hours {
            out.push(("quiet_start", n(u32::from(q.start_minute))));
            out.push(("quiet_end", n(u32::from(q.end_minute))));
            out.push((
                "quiet_mode",
                AttributeValue::S(self.quiet_mode.as_str().into()),
            ));
        }
        if let Some(cap) = self.frequency_cap {
            out.push(("cap_messages", n(cap.messages)));
            out.push(("cap_days", n(cap.days)));
        }
        out
    }

    /// The rules a control item carries (none for a run launched before
    /// the workers knew them: such a run had none, the launch refused them).
    pub(super) fn from_item(item: &HashMap<String, AttributeValue>) -> Rules {
        let minute = |name| attribute_number(item, name).map(|v| v as u16);
        let quiet_hours = match (minute("quiet_start"), minute("quiet_end")) {
            (Some(start_minute), Some(end_minute)) => Some(QuietHours {
                start_minute,
                end_minute,
            }),
            _ => None,
        };
        let quiet_mode = item
            .get("quiet_mode")
            .and_then(|v| v.as_s().ok())
            .and_then(|v| QuietMode::parse(v))
            .unwrap_or_default();
        let count = |name| attribute_number(item, name).map(|v| v as u32);
        let frequency_cap = match (count("cap_messages"), count("cap_days")) {
            (Some(messages), Some(days)) => Some(FrequencyCap { messages, days }),
            _ => None,
        };
        Rules {
            quiet_hours,
            quiet_mode,
            frequency_cap,
        }
    }
}

/// A recipient's quiet hours, judged when their message would leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quiet {
    /// Not in quiet hours (or the campaign has none).
    Send,
    /// In quiet hours, the campaign waits: not before this Unix ms.
    Wait(i64),
    /// In quiet hours, the campaign skips: `skipped` (`quiet_hours`).
    Skip,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-15 03:00 UTC: 22:00 the evening before in New York.
    const NIGHT_IN_NEW_YORK: i64 = 1_768_446_000_000;

    fn rules(mode: QuietMode) -> Rules {
        Rules {
            quiet_hours: Some(QuietHours {
                start_minute: 21 * 60,
                end_minute: 8 * 60,
            }),
            quiet_mode: mode,
            frequency_cap: Some(FrequencyCap {
                messages: 2,
                days: 7,
            }),
        }
    }

    #[test]
    fn quiet_hours_are_judged_in_the_recipients_zone_at_the_moment_of_sending() {
        let waits = rules(QuietMode::Wait);
        let morning_in_new_york = NIGHT_IN_NEW_YORK + 10 * 3_600_000;
        assert_eq!(
            waits.quiet("America/New_York", NIGHT_IN_NEW_YORK),
            Quiet::Wait(morning_in_new_york)
        );
        assert_eq!(
            waits.quiet("America/New_York", morning_in_new_york),
            Quiet::Send
        );
        assert_eq!(waits.quiet("Asia/Tokyo", NIGHT_IN_NEW_YORK), Quiet::Send);
        assert_eq!(
            rules(QuietMode::Skip).quiet("America/New_York", NIGHT_IN_NEW_YORK),
            Quiet::Skip
        );
        assert_eq!(
            Rules::default().quiet("America/New_York", NIGHT_IN_NEW_YORK),
            Quiet::Send
        );
    }

    #[test]
    fn the_rules_round_trip_through_the_control_items_attributes() {
        for r in [
            rules(QuietMode::Wait),
            rules(QuietMode::Skip),
            Rules::default(),
        ] {
            let item: HashMap<String, AttributeValue> = r
                .attributes()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            assert_eq!(Rules::from_item(&item), r);
        }
    }
}
