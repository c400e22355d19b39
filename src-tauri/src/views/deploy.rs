//! Boundary types of Settings' "Deploy to AWS" card.

use serde::{Deserialize, Serialize};
use stratus_app::deploy::{
    artifact, Action, Change, DeployOptions, DeployStatus, DeploymentRecord, PlannedDeploy,
    Replacement, TeardownNotice, Wiring,
};
use ts_rs::TS;

use crate::error::AppError;

/// How variants reach browsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum WiringChoice {
    Cloudfront,
    Website,
}

impl From<Wiring> for WiringChoice {
    fn from(w: Wiring) -> Self {
        match w {
            Wiring::CloudFront => WiringChoice::Cloudfront,
            Wiring::Website => WiringChoice::Website,
        }
    }
}

/// The card's form.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeployOptionsInput {
    /// Empty: the last deploy's prefix, else the profile's name.
    pub prefix: String,
    pub wiring: WiringChoice,
    pub firehose: bool,
    /// Comma-separated; empty: any origin.
    pub allowed_origins: String,
    /// `null`: the default (10).
    pub collector_concurrency: Option<u32>,
}

impl From<DeployOptionsInput> for DeployOptions {
    fn from(input: DeployOptionsInput) -> Self {
        DeployOptions {
            prefix: Some(input.prefix),
            wiring: match input.wiring {
                WiringChoice::Cloudfront => Wiring::CloudFront,
                WiringChoice::Website => Wiring::Website,
            },
            firehose: input.firehose,
            allowed_origins: DeployOptions::origins_from(&input.allowed_origins),
            artifact_bucket: None,
            collector_concurrency: input.collector_concurrency,
        }
    }
}

/// What happens to one resource, in the card's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ChangeKind {
    Add,
    Change,
    Replace,
    MaybeReplace,
    Remove,
    Other,
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PlannedChangeView {
    pub kind: ChangeKind,
    pub logical_id: String,
    pub resource_type: String,
    /// Removes or (maybe) replaces the resource: warned first.
    pub destructive: bool,
}

impl From<&Change> for PlannedChangeView {
    fn from(c: &Change) -> Self {
        let kind = match (c.action, c.replacement) {
            (Action::Add, _) => ChangeKind::Add,
            (Action::Remove, _) => ChangeKind::Remove,
            (Action::Modify, Replacement::Yes) => ChangeKind::Replace,
            (Action::Modify, Replacement::Conditional) => ChangeKind::MaybeReplace,
            (Action::Modify, Replacement::No) => ChangeKind::Change,
            (Action::Other, _) => ChangeKind::Other,
        };
        PlannedChangeView {
            kind,
            logical_id: c.logical_id.clone(),
            resource_type: c.resource_type.clone(),
            destructive: matches!(
                kind,
                ChangeKind::Remove | ChangeKind::Replace | ChangeKind::MaybeReplace
            ),
        }
    }
}

/// A change set waiting for Apply or Discard.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeployPlanView {
    pub profile: String,
    pub stack_name: String,
    pub change_set_name: String,
    pub creates_stack: bool,
    pub account: String,
    pub prefix: String,
    pub wiring: WiringChoice,
    pub firehose: bool,
    pub allowed_origins: Vec<String>,
    pub collector_concurrency: u32,
    /// Removals and replacements first.
    pub changes: Vec<PlannedChangeView>,
    pub destructive: u32,
}

impl From<&PlannedDeploy> for DeployPlanView {
    fn from(p: &PlannedDeploy) -> Self {
        let changes: Vec<PlannedChangeView> =
            p.plan.ordered().into_iter().map(Into::into).collect();
        DeployPlanView {
            profile: p.profile.clone(),
            stack_name: p.plan.stack_name.clone(),
            change_set_name: p.plan.change_set_name.clone(),
            creates_stack: p.plan.creates_stack,
            account: p.account.clone(),
            prefix: p.settings.name_prefix.clone(),
            wiring: p.settings.wiring.into(),
            firehose: p.settings.use_firehose,
            allowed_origins: p.settings.allowed_origins.clone(),
            collector_concurrency: p.settings.collector_concurrency,
            destructive: changes.iter().filter(|c| c.destructive).count() as u32,
            changes,
        }
    }
}

/// What the last deploy made.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeploymentView {
    pub stack_name: String,
    pub prefix: String,
    pub region: String,
    pub wiring: Option<WiringChoice>,
    /// Unix milliseconds.
    #[ts(type = "number")]
    pub deployed_at: u64,
    pub image_base_url: Option<String>,
    pub image_function_url: Option<String>,
    pub collector_url: Option<String>,
    pub media_bucket: Option<String>,
    pub events_bucket: Option<String>,
    pub distribution_id: Option<String>,
}

impl From<DeploymentRecord> for DeploymentView {
    fn from(r: DeploymentRecord) -> Self {
        DeploymentView {
            stack_name: r.stack_name,
            prefix: r.name_prefix,
            region: r.region,
            wiring: r.wiring.map(Into::into),
            deployed_at: r.deployed_at.saturating_mul(1000),
            image_base_url: r.image_base_url,
            image_function_url: r.image_function_url,
            collector_url: r.collector_url,
            media_bucket: r.media_bucket,
            events_bucket: r.events_bucket,
            distribution_id: r.distribution_id,
        }
    }
}

/// The card's state for the active profile.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeployStatusView {
    pub profile: String,
    /// `false` for the demo profile: nothing to deploy to.
    pub cloud: bool,
    /// The prefix an empty prefix field means.
    pub default_prefix: Option<String>,
    /// The function zip a plan would upload; `None`: not built yet.
    pub artifact: Option<String>,
    /// The command that builds it.
    pub artifact_command: String,
    pub deployment: Option<DeploymentView>,
    /// CloudFormation's status of the recorded stack (`None`: gone).
    pub stack_status: Option<String>,
    pub stack_reason: Option<String>,
    /// Why the status could not be read (the record is still shown).
    pub stack_error: Option<AppError>,
    /// A plan shown and not yet applied or discarded.
    pub pending: Option<DeployPlanView>,
    /// What a teardown would keep (empty when nothing is deployed).
    pub teardown_keeps: Vec<String>,
}

impl DeployStatusView {
    pub fn demo(profile: &str) -> Self {
        DeployStatusView {
            profile: profile.to_string(),
            cloud: false,
            default_prefix: None,
            artifact: None,
            artifact_command: artifact::BUILD_COMMAND.to_string(),
            deployment: None,
            stack_status: None,
            stack_reason: None,
            stack_error: None,
            pending: None,
            teardown_keeps: Vec::new(),
        }
    }

    /// A cloud profile's state: the record always, the stack's status when
    /// CloudFormation answered.
    pub fn cloud(
        profile: &str,
        default_prefix: String,
        record: Option<DeploymentRecord>,
        status: Result<DeployStatus, AppError>,
        pending: Option<&PlannedDeploy>,
    ) -> Self {
        let (stack_status, stack_reason, stack_error) = match status {
            Ok(s) => (
                s.stack_status,
                Some(s.stack_reason).filter(|r| !r.is_empty()),
                None,
            ),
            Err(e) => (None, None, Some(e)),
        };
        DeployStatusView {
            profile: profile.to_string(),
            cloud: true,
            default_prefix: Some(default_prefix),
            artifact: artifact::find().map(|p| p.display().to_string()),
            artifact_command: artifact::BUILD_COMMAND.to_string(),
            teardown_keeps: record
                .as_ref()
                .map(|r| TeardownNotice::of(r).keeps)
                .unwrap_or_default(),
            deployment: record.map(Into::into),
            stack_status,
            stack_reason,
            stack_error,
            pending: pending.map(Into::into),
        }
    }
}
