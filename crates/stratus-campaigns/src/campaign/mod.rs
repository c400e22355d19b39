//! Campaigns and their lifecycle:
//! `draft → scheduled → running ⇄ paused → completed | cancelled | failed`.
//! Launching snapshots the segment into `recipients` rows in one transaction.

mod store;

use std::fmt;

use crate::push::{PushContent, PushTemplate};
use crate::segment::Segment;
use crate::template::MessageTemplate;
use crate::{Error, Result};

pub use store::{
    create_draft, create_draft_blocking, get, get_blocking, launch, launch_blocking, launch_in,
    list, transition, transition_blocking, update_draft, LaunchReport,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    /// Mobile push to every enabled device of the customer.
    Push,
    /// Stored in the customer's in-app inbox for their app to fetch.
    InApp,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Sms, Channel::Push, Channel::InApp];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::InApp => "in_app",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether messages carry notification fields ([`PushContent`]).
    pub fn has_notification(self) -> bool {
        matches!(self, Channel::Push | Channel::InApp)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsType {
    Transactional,
    Promotional,
}

impl SmsType {
    pub fn as_str(self) -> &'static str {
        match self {
            SmsType::Transactional => "transactional",
            SmsType::Promotional => "promotional",
        }
    }

    /// The value of SNS's `AWS.SNS.SMS.SMSType` attribute.
    pub fn sns_value(self) -> &'static str {
        match self {
            SmsType::Transactional => "Transactional",
            SmsType::Promotional => "Promotional",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignState {
    Draft,
    Scheduled,
    Running,
    Paused,
    Completed,
    Cancelled,
    Failed,
}

impl CampaignState {
    pub const ALL: [CampaignState; 7] = [
        CampaignState::Draft,
        CampaignState::Scheduled,
        CampaignState::Running,
        CampaignState::Paused,
        CampaignState::Completed,
        CampaignState::Cancelled,
        CampaignState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Draft => "draft",
            CampaignState::Scheduled => "scheduled",
            CampaignState::Running => "running",
            CampaignState::Paused => "paused",
            CampaignState::Completed => "completed",
            CampaignState::Cancelled => "cancelled",
            CampaignState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The lifecycle's edges. Re-opening a finished campaign to scheduled is
    /// "retry failed" (see `run::retry_failed`).
    pub fn can_become(self, to: CampaignState) -> bool {
        use CampaignState::*;
        matches!(
            (self, to),
            (Draft, Scheduled)
                | (Scheduled, Running)
                | (Scheduled, Cancelled)
                | (Running, Paused)
                | (Paused, Running)
                | (Running | Paused, Completed | Cancelled | Failed)
                | (Completed | Cancelled | Failed, Scheduled)
        )
    }
}

impl fmt::Display for CampaignState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Quiet hours in the recipient's local time, as minutes of the day. May
/// wrap midnight (`21:00–08:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start_minute: u16,
    pub end_minute: u16,
}

impl QuietHours {
    /// Whether `minute` (of the local day) falls inside the quiet hours.
    pub fn contains(self, minute: u16) -> bool {
        if self.start_minute <= self.end_minute {
            minute >= self.start_minute && minute < self.end_minute
        } else {
            minute >= self.start_minute || minute < self.end_minute
        }
    }
}

/// What happens to a recipient whose quiet hours are on when their turn comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QuietMode {
    /// Delayed to the end of the window in their time zone, then sent.
    #[default]
    Wait,
    /// Skipped with reason `quiet_hours`.
    Skip,
}

impl QuietMode {
    pub fn as_str(self) -> &'static str {
        match self {
            QuietMode::Wait => "wait",
            QuietMode::Skip => "skip",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [QuietMode::Wait, QuietMode::Skip]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// At most `messages` messages per customer within `days` days, counting
/// what every campaign actually sent; checked when sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrequencyCap {
    pub messages: u32,
    pub days: u32,
}

impl FrequencyCap {
    /// The window's length in Unix ms.
    pub fn window_millis(self) -> i64 {
        i64::from(self.days) * 86_400_000
    }
}

/// What the marketer edits.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignSpec {
    pub name: String,
    pub channel: Channel,
    pub segment: String,
    pub template: String,
    /// Messages per second.
    pub rate_per_sec: f64,
    pub concurrency: u32,
    /// Unix ms; `None` = as soon as launched.
    pub scheduled_at: Option<i64>,
    pub quiet_hours: Option<QuietHours>,
    /// Wait for the quiet hours to end (default) or skip.
    pub quiet_mode: QuietMode,
    /// `None`: no cap.
    pub frequency_cap: Option<FrequencyCap>,
    pub sms_type: SmsType,
    pub sender_id: Option<String>,
    /// Push and in-app: title, deep link, custom data, badge, sound (the
    /// body is `template`). Ignored for SMS.
    pub push: PushContent,
}

impl CampaignSpec {
    /// A now-campaign with SNS's default SMS quota as its rate.
    pub fn new(name: &str, channel: Channel, segment: &str, template: &str) -> Self {
        CampaignSpec {
            name: name.to_string(),
            channel,
            segment: segment.to_string(),
            template: template.to_string(),
            rate_per_sec: 20.0,
            concurrency: 4,
            scheduled_at: None,
            quiet_hours: None,
            quiet_mode: QuietMode::Wait,
            frequency_cap: None,
            sms_type: SmsType::Transactional,
            sender_id: None,
            push: PushContent::default(),
        }
    }

    /// Checks everything that can be checked without customers.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::InvalidCampaign("the name is empty".into()));
        }
        if !(self.rate_per_sec.is_finite() && self.rate_per_sec > 0.0) {
            return Err(Error::InvalidCampaign(
                "the rate must be above 0 messages per second".into(),
            ));
        }
        if self.concurrency == 0 {
            return Err(Error::InvalidCampaign(
                "the concurrency must be at least 1".into(),
            ));
        }
        if let Some(q) = self.quiet_hours {
            if q.start_minute >= 1440 || q.end_minute >= 1440 {
                return Err(Error::InvalidCampaign(
                    "quiet hours must be times of day (00:00–23:59)".into(),
                ));
            }
        }
        if let Some(cap) = self.frequency_cap {
            if cap.messages == 0 || !(1..=365).contains(&cap.days) {
                return Err(Error::InvalidCampaign(
                    "the frequency cap needs at least 1 message within 1–365 days".into(),
                ));
            }
        }
        if let Some(s) = &self.sender_id {
            // SNS sender IDs: 1–11 alphanumerics, at least one letter.
            let ok = (1..=11).contains(&s.len())
                && s.chars().all(|c| c.is_ascii_alphanumeric())
                && s.chars().any(|c| c.is_ascii_alphabetic());
            if !ok {
                return Err(Error::InvalidCampaign(format!(
                    "sender id `{s}` must be 1–11 letters or digits with at least one letter"
                )));
            }
        }
        Segment::parse(&self.segment)?;
        if self.channel.has_notification() {
            PushTemplate::compile(&self.template, &self.push)?;
        } else {
            MessageTemplate::compile(&self.template)?;
        }
        Ok(())
    }
}

/// A stored campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: String,
    pub spec: CampaignSpec,
    pub state: CampaignState,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub launched_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use CampaignState::*;

    #[test]
    fn lifecycle_edges_are_exactly_the_documented_ones() {
        let allowed = [
            (Draft, Scheduled),
            (Scheduled, Running),
            (Scheduled, Cancelled),
            (Running, Paused),
            (Paused, Running),
            (Running, Completed),
            (Running, Cancelled),
            (Running, Failed),
            (Paused, Completed),
            (Paused, Cancelled),
            (Paused, Failed),
            (Completed, Scheduled),
            (Cancelled, Scheduled),
            (Failed, Scheduled),
        ];
        for from in CampaignState::ALL {
            for to in CampaignState::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from} → {to}"
                );
            }
        }
    }

    #[test]
    fn quiet_hours_may_wrap_midnight() {
        let night = QuietHours {
            start_minute: 21 * 60,
            end_minute: 8 * 60,
        };
        assert!(night.contains(22 * 60));
        assert!(night.contains(7 * 60 + 59));
        assert!(!night.contains(8 * 60));
        assert!(!night.contains(12 * 60));
        let lunch = QuietHours {
            start_minute: 12 * 60,
            end_minute: 13 * 60,
        };
        assert!(lunch.contains(12 * 60 + 30));
        assert!(!lunch.contains(13 * 60));
    }
}
