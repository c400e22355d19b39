//! Boundary types of the person card: the events cache's card of one
//! person and the campaigns they received (two capabilities, joined here).

use serde::Serialize;
use stratus_campaigns::received::ReceivedCampaign;
use stratus_events::browse::person::{
    ConsentFlag, DirectoryEntry, PersonCard, PersonDevice, PersonId, PersonLink, PersonTrait,
};
use ts_rs::TS;

/// Everything the support screen shows of one person.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PersonCardView {
    /// The person id; the timeline takes it or any other id.
    pub person: String,
    pub ids: Vec<PersonIdView>,
    /// Identify, alias and group links, oldest first.
    pub links: Vec<PersonLinkView>,
    pub traits: Vec<PersonTraitView>,
    pub devices: Vec<PersonDeviceView>,
    #[ts(type = "number")]
    pub events: u64,
    #[ts(type = "number")]
    pub sessions: u64,
    #[ts(type = "number | null")]
    pub first_ts: Option<i64>,
    #[ts(type = "number | null")]
    pub last_ts: Option<i64>,
    pub consent: Vec<ConsentView>,
    pub directory: Option<DirectoryView>,
    /// Newest first.
    pub campaigns: Vec<ReceivedCampaignView>,
}

impl PersonCardView {
    pub fn new(card: PersonCard, campaigns: Vec<ReceivedCampaign>) -> Self {
        PersonCardView {
            person: card.person,
            ids: card.ids.into_iter().map(PersonIdView::from).collect(),
            links: card.links.into_iter().map(PersonLinkView::from).collect(),
            traits: card.traits.into_iter().map(PersonTraitView::from).collect(),
            devices: card
                .devices
                .into_iter()
                .map(PersonDeviceView::from)
                .collect(),
            events: card.events,
            sessions: card.sessions,
            first_ts: card.first_ts,
            last_ts: card.last_ts,
            consent: card.consent.into_iter().map(ConsentView::from).collect(),
            directory: card.directory.map(DirectoryView::from),
            campaigns: campaigns
                .into_iter()
                .map(ReceivedCampaignView::from)
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct PersonIdView {
    pub id: String,
    /// A user id, not only an anonymous one.
    pub user: bool,
}

impl From<PersonId> for PersonIdView {
    fn from(p: PersonId) -> Self {
        PersonIdView {
            id: p.id,
            user: p.user,
        }
    }
}

/// "`id` ← `other`: linked by `kind` on `at`".
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PersonLinkView {
    /// `identify`, `alias` or `group`.
    pub kind: String,
    pub id: String,
    pub other: String,
    #[ts(type = "number")]
    pub at: i64,
    pub event_id: String,
}

impl From<PersonLink> for PersonLinkView {
    fn from(l: PersonLink) -> Self {
        PersonLinkView {
            kind: l.kind,
            id: l.id,
            other: l.other,
            at: l.at,
            event_id: l.event_id,
        }
    }
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PersonTraitView {
    pub name: String,
    /// JSON text of the value.
    pub value: String,
    #[ts(type = "number")]
    pub set_at: i64,
    pub event_id: String,
}

impl From<PersonTrait> for PersonTraitView {
    fn from(t: PersonTrait) -> Self {
        PersonTraitView {
            name: t.name,
            value: t.value,
            set_at: t.set_at,
            event_id: t.event_id,
        }
    }
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PersonDeviceView {
    pub id: String,
    pub library: Option<String>,
    pub os: Option<String>,
    pub browser: Option<String>,
    pub device_type: Option<String>,
    #[ts(type = "number")]
    pub events: u64,
    #[ts(type = "number")]
    pub first_ts: i64,
    #[ts(type = "number")]
    pub last_ts: i64,
}

impl From<PersonDevice> for PersonDeviceView {
    fn from(d: PersonDevice) -> Self {
        PersonDeviceView {
            id: d.id,
            library: d.library,
            os: d.os,
            browser: d.browser,
            device_type: d.device_type,
            events: d.events,
            first_ts: d.first_ts,
            last_ts: d.last_ts,
        }
    }
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConsentView {
    pub name: String,
    /// JSON text of the value.
    pub value: String,
    /// `directory` or `trait`.
    pub source: String,
    #[ts(type = "number | null")]
    pub set_at: Option<i64>,
}

impl From<ConsentFlag> for ConsentView {
    fn from(c: ConsentFlag) -> Self {
        ConsentView {
            name: c.name,
            value: c.value,
            source: c.source.to_string(),
            set_at: c.set_at,
        }
    }
}

/// The customer list's row.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DirectoryView {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub level: Option<String>,
    #[ts(type = "number | null")]
    pub points: Option<i64>,
    #[ts(type = "number | null")]
    pub streak: Option<i64>,
    pub sms_opt_in: bool,
    pub push_opt_in: bool,
}

impl From<DirectoryEntry> for DirectoryView {
    fn from(d: DirectoryEntry) -> Self {
        DirectoryView {
            id: d.id,
            name: d.name,
            email: d.email,
            locale: d.locale,
            time_zone: d.time_zone,
            level: d.level,
            points: d.points,
            streak: d.streak,
            sms_opt_in: d.sms_opt_in,
            push_opt_in: d.push_opt_in,
        }
    }
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReceivedCampaignView {
    pub campaign_id: String,
    pub name: String,
    /// `sms` or `push`.
    pub channel: String,
    /// The id it was sent to (one of the person's ids).
    pub customer_id: String,
    pub status: String,
    pub reason: Option<String>,
    pub rendered: Option<String>,
    #[ts(type = "number")]
    pub updated_at: i64,
}

impl From<ReceivedCampaign> for ReceivedCampaignView {
    fn from(r: ReceivedCampaign) -> Self {
        ReceivedCampaignView {
            campaign_id: r.campaign_id,
            name: r.name,
            channel: r.channel,
            customer_id: r.customer_id,
            status: r.status,
            reason: r.reason,
            rendered: r.rendered,
            updated_at: r.updated_at,
        }
    }
}
