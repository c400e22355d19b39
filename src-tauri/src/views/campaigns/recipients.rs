//! After launch: the per-recipient table and its CSV export.

use serde::{Deserialize, Serialize};
use stratus_campaigns::recipients::RecipientStatus;
use stratus_campaigns::recipients::{RecipientPage, RecipientRow};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RecipientStatusView {
    Pending,
    InFlight,
    Sent,
    Failed,
    Skipped,
    Unknown,
}

impl From<RecipientStatus> for RecipientStatusView {
    fn from(s: RecipientStatus) -> Self {
        match s {
            RecipientStatus::Pending => RecipientStatusView::Pending,
            RecipientStatus::InFlight => RecipientStatusView::InFlight,
            RecipientStatus::Sent => RecipientStatusView::Sent,
            RecipientStatus::Failed => RecipientStatusView::Failed,
            RecipientStatus::Skipped => RecipientStatusView::Skipped,
            RecipientStatus::Unknown => RecipientStatusView::Unknown,
        }
    }
}

impl From<RecipientStatusView> for RecipientStatus {
    fn from(s: RecipientStatusView) -> Self {
        match s {
            RecipientStatusView::Pending => RecipientStatus::Pending,
            RecipientStatusView::InFlight => RecipientStatus::InFlight,
            RecipientStatusView::Sent => RecipientStatus::Sent,
            RecipientStatusView::Failed => RecipientStatus::Failed,
            RecipientStatusView::Skipped => RecipientStatus::Skipped,
            RecipientStatusView::Unknown => RecipientStatus::Unknown,
        }
    }
}

/// One recipient: who, where, what happened and why.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RecipientRowView {
    pub customer_id: String,
    pub name: Option<String>,
    pub address: Option<String>,
    pub status: RecipientStatusView,
    pub reason: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub message_id: Option<String>,
    #[ts(type = "number")]
    pub attempts: i64,
    pub rendered: Option<String>,
    #[ts(type = "number")]
    pub updated_at: i64,
}

impl From<RecipientRow> for RecipientRowView {
    fn from(r: RecipientRow) -> Self {
        RecipientRowView {
            customer_id: r.customer_id,
            name: r.name,
            address: r.address,
            status: r.status.into(),
            reason: r.reason,
            error_code: r.error_code,
            error_message: r.error_message,
            message_id: r.message_id,
            attempts: r.attempts,
            rendered: r.rendered,
            updated_at: r.updated_at,
        }
    }
}

/// One keyset page; pass `nextAfter` back for the next one.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RecipientPageView {
    pub rows: Vec<RecipientRowView>,
    pub next_after: Option<String>,
}

impl From<RecipientPage> for RecipientPageView {
    fn from(p: RecipientPage) -> Self {
        RecipientPageView {
            rows: p.rows.into_iter().map(Into::into).collect(),
            next_after: p.next_after,
        }
    }
}

/// Where the CSV went and how many recipients it holds.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RecipientExportView {
    pub path: String,
    #[ts(type = "number")]
    pub rows: u64,
}
