//! Boundary types of the Campaigns section.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use stratus_app::campaign_runs::RunSnapshot;
use stratus_campaigns::campaign::{
    Campaign, CampaignSpec, CampaignState as CoreState, Channel as CoreChannel, FrequencyCap,
    QuietHours, QuietMode as CoreQuietMode, SmsType as CoreSmsType,
};
use stratus_campaigns::push::PushContent;
use stratus_campaigns::run::{self, StatusCounts};
use ts_rs::TS;

mod editing;
mod launch_checks;
mod levels;
mod recipients;

pub use editing::{
    CustomerPick, EventsCacheView, NotificationView, PhoneMessage, PhoneNotificationView,
    SegmentCount, SegmentProblem, SmsLengthView, TemplatePreview,
};

pub use launch_checks::{DryRunView, TestSendInput, TestSendView};
pub use levels::LevelView;
pub use recipients::{RecipientExportView, RecipientPageView, RecipientStatusView};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
#[ts(rename = "CampaignChannel")]
pub enum Channel {
    Sms,
    Push,
    #[serde(rename = "in_app")]
    InApp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum SmsType {
    Transactional,
    Promotional,
}

/// A recipient in quiet hours: delayed to the window's end, or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum QuietMode {
    Wait,
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum CampaignState {
    Draft,
    Scheduled,
    Running,
    Paused,
    Completed,
    Cancelled,
    Failed,
}

impl From<CoreState> for CampaignState {
    fn from(s: CoreState) -> Self {
        match s {
            CoreState::Draft => CampaignState::Draft,
            CoreState::Scheduled => CampaignState::Scheduled,
            CoreState::Running => CampaignState::Running,
            CoreState::Paused => CampaignState::Paused,
            CoreState::Completed => CampaignState::Completed,
            CoreState::Cancelled => CampaignState::Cancelled,
            CoreState::Failed => CampaignState::Failed,
        }
    }
}

/// What the editor sends and shows: a campaign's settings.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CampaignInput {
    pub name: String,
    pub channel: Channel,
    pub segment: String,
    pub template: String,
    pub rate_per_sec: f64,
    pub concurrency: u32,
    /// Unix ms; `null` = as soon as launched.
    #[ts(type = "number | null")]
    pub scheduled_at: Option<i64>,
    /// Quiet hours as minutes of the recipient's local day; both or neither.
    pub quiet_start_minute: Option<u16>,
    pub quiet_end_minute: Option<u16>,
    /// What happens to a recipient in quiet hours (new campaigns: wait).
    pub quiet_mode: QuietMode,
    /// At most this many messages per customer within `cap_days` days,
    /// counting every campaign; both or neither.
    pub cap_messages: Option<u32>,
    pub cap_days: Option<u32>,
    pub sms_type: SmsType,
    pub sender_id: Option<String>,
    /// Push and in-app: the notification's fields (the body is `template`).
    #[serde(default)]
    #[ts(optional = nullable)]
    pub push: Option<PushInput>,
}

/// A push or in-app notification's fields; each text is a template except
/// the sound.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PushInput {
    pub title: String,
    pub deep_link: Option<String>,
    /// Custom key/value data for the app.
    pub data: BTreeMap<String, String>,
    /// Renders to the app icon's badge number.
    pub badge: Option<String>,
    pub sound: Option<String>,
}

fn blank_to_none(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

impl From<PushInput> for PushContent {
    fn from(p: PushInput) -> Self {
        PushContent {
            title: p.title,
            deep_link: blank_to_none(p.deep_link),
            data: p.data,
            badge: blank_to_none(p.badge),
            sound: blank_to_none(p.sound),
        }
    }
}

impl From<&PushContent> for PushInput {
    fn from(p: &PushContent) -> Self {
        PushInput {
            title: p.title.clone(),
            deep_link: p.deep_link.clone(),
            data: p.data.clone(),
            badge: p.badge.clone(),
            sound: p.sound.clone(),
        }
    }
}

impl From<CampaignInput> for CampaignSpec {
    fn from(i: CampaignInput) -> Self {
        CampaignSpec {
            name: i.name.trim().to_string(),
            channel: match i.channel {
                Channel::Sms => CoreChannel::Sms,
                Channel::Push => CoreChannel::Push,
                Channel::InApp => CoreChannel::InApp,
            },
            segment: i.segment,
            template: i.template,
            rate_per_sec: i.rate_per_sec,
            concurrency: i.concurrency,
            scheduled_at: i.scheduled_at,
            quiet_hours: match (i.quiet_start_minute, i.quiet_end_minute) {
                (Some(start_minute), Some(end_minute)) => Some(QuietHours {
                    start_minute,
                    end_minute,
                }),
                _ => None,
            },
            quiet_mode: match i.quiet_mode {
                QuietMode::Wait => CoreQuietMode::Wait,
                QuietMode::Skip => CoreQuietMode::Skip,
            },
            frequency_cap: match (i.cap_messages, i.cap_days) {
                (Some(messages), Some(days)) => Some(FrequencyCap { messages, days }),
                _ => None,
            },
            sms_type: match i.sms_type {
                SmsType::Transactional => CoreSmsType::Transactional,
                SmsType::Promotional => CoreSmsType::Promotional,
            },
            sender_id: i.sender_id.filter(|s| !s.trim().is_empty()),
            push: i.push.map(PushContent::from).unwrap_or_default(),
        }
    }
}

impl From<&CampaignSpec> for CampaignInput {
    fn from(s: &CampaignSpec) -> Self {
        CampaignInput {
            name: s.name.clone(),
            channel: match s.channel {
                CoreChannel::Sms => Channel::Sms,
                CoreChannel::Push => Channel::Push,
                CoreChannel::InApp => Channel::InApp,
            },
            segment: s.segment.clone(),
            template: s.template.clone(),
            rate_per_sec: s.rate_per_sec,
            concurrency: s.concurrency,
            scheduled_at: s.scheduled_at,
            quiet_start_minute: s.quiet_hours.map(|q| q.start_minute),
            quiet_end_minute: s.quiet_hours.map(|q| q.end_minute),
            quiet_mode: match s.quiet_mode {
                CoreQuietMode::Wait => QuietMode::Wait,
                CoreQuietMode::Skip => QuietMode::Skip,
            },
            cap_messages: s.frequency_cap.map(|c| c.messages),
            cap_days: s.frequency_cap.map(|c| c.days),
            sms_type: match s.sms_type {
                CoreSmsType::Transactional => SmsType::Transactional,
                CoreSmsType::Promotional => SmsType::Promotional,
            },
            sender_id: s.sender_id.clone(),
            push: s.channel.has_notification().then(|| (&s.push).into()),
        }
    }
}

/// Recipients per status.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RecipientCounts {
    #[ts(type = "number")]
    pub pending: u64,
    #[ts(type = "number")]
    pub in_flight: u64,
    #[ts(type = "number")]
    pub sent: u64,
    #[ts(type = "number")]
    pub failed: u64,
    #[ts(type = "number")]
    pub skipped: u64,
    #[ts(type = "number")]
    pub unknown: u64,
    /// Everyone in the audience snapshot.
    #[ts(type = "number")]
    pub total: u64,
    /// Recipients with a definite answer (sent, failed, skipped, unknown).
    #[ts(type = "number")]
    pub done: u64,
}

impl From<&StatusCounts> for RecipientCounts {
    fn from(c: &StatusCounts) -> Self {
        RecipientCounts {
            pending: c.pending,
            in_flight: c.in_flight,
            sent: c.sent,
            failed: c.failed,
            skipped: c.skipped,
            unknown: c.unknown,
            total: c.total(),
            done: c.done(),
        }
    }
}

/// A campaign, with whether this app is running it right now.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CampaignView {
    pub id: String,
    pub settings: CampaignInput,
    pub state: CampaignState,
    /// Running or paused in the database but no runner in this app: the
    /// app was closed mid-run. "Resume" continues it.
    pub interrupted: bool,
    pub error: Option<String>,
    pub counts: RecipientCounts,
    #[ts(type = "number")]
    pub created_at: i64,
    #[ts(type = "number")]
    pub updated_at: i64,
    #[ts(type = "number | null")]
    pub launched_at: Option<i64>,
    #[ts(type = "number | null")]
    pub finished_at: Option<i64>,
}

impl CampaignView {
    pub fn new(c: &Campaign, counts: &StatusCounts, live: bool) -> Self {
        CampaignView {
            id: c.id.clone(),
            settings: CampaignInput::from(&c.spec),
            state: c.state.into(),
            interrupted: run::is_interrupted(c.state, live),
            error: c.error.clone(),
            counts: counts.into(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            launched_at: c.launched_at,
            finished_at: c.finished_at,
        }
    }
}

/// A count under a code or reason.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CodeCount {
    pub code: String,
    #[ts(type = "number")]
    pub count: u64,
}

/// A run's progress, derived from the recipient rows: the same numbers
/// while it runs and after the app was reopened.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CampaignProgress {
    pub campaign_id: String,
    pub state: CampaignState,
    pub interrupted: bool,
    /// Whether a runner (in this app or another process) is sending right now.
    pub live: bool,
    pub counts: RecipientCounts,
    /// Failed recipients per provider error code.
    pub errors_by_code: Vec<CodeCount>,
    /// Skipped and unknown recipients per reason.
    pub reasons: Vec<CodeCount>,
    /// Messages sent per second over the last minute.
    pub rate_last_minute: f64,
    /// The rate this app's runner enforces now (lower than configured after
    /// throttling); `null` when this app is not the one sending.
    pub enforced_rate: Option<f64>,
    pub configured_rate: f64,
    #[ts(type = "number | null")]
    pub eta_seconds: Option<u64>,
    /// "waiting for quiet hours to end in N time zones (…)", while some
    /// recipients wait for their window's end.
    pub waiting: Option<String>,
    pub error: Option<String>,
}

impl From<&RunSnapshot> for CampaignProgress {
    fn from(snapshot: &RunSnapshot) -> CampaignProgress {
        let RunSnapshot {
            campaign,
            summary,
            attached: live,
            rates,
        } = snapshot;
        let group = |map: &std::collections::BTreeMap<String, u64>| {
            let mut list: Vec<CodeCount> = map
                .iter()
                .map(|(code, count)| CodeCount {
                    code: code.clone(),
                    count: *count,
                })
                .collect();
            list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
            list
        };
        CampaignProgress {
            campaign_id: campaign.id.clone(),
            state: campaign.state.into(),
            interrupted: snapshot.is_interrupted(),
            live: *live,
            counts: (&summary.counts).into(),
            errors_by_code: group(&summary.errors_by_code),
            reasons: group(&summary.reasons),
            rate_last_minute: summary.rate_last_minute,
            enforced_rate: rates.map(|r| r.enforced),
            configured_rate: rates.map_or(campaign.spec.rate_per_sec, |r| r.configured),
            eta_seconds: summary.eta_seconds,
            waiting: summary.waiting.as_ref().map(|w| w.describe()),
            error: campaign.error.clone(),
        }
    }
}
