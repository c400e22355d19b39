//! The shapes the UI sees. Generated into TypeScript by ts-rs (`cargo test`
//! writes `ui/src/lib/backend/bindings/`); the core's types stay free of
//! serialization for the UI.

use serde::{Deserialize, Serialize};
use stratus_core::cloud::{self, ConnectionReport as CoreReport};
use stratus_core::jobs::{JobSnapshot, JobState as CoreJobState};
use stratus_core::profile::{CloudSettings, Profile, ProfileKind as CoreKind};
use stratus_core::stack::BucketRole as CoreBucketRole;
use stratus_core::store::{ListPage, ObjectMeta};
use stratus_media::key::{variant_key, variant_url};
use stratus_media::placeholder::Placeholder;
use stratus_media::{
    Fit, FocalPoint, Format, Gravity, MediaError, Outcome, PresetCatalog, Variant, VariantSpec,
};
use ts_rs::TS;

use crate::error::AppError;

pub mod campaigns;
pub mod deploy;
pub mod events;
pub mod person;
pub mod privacy;

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ProfileKind {
    Demo,
    Cloud,
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProfileView {
    pub name: String,
    pub kind: ProfileKind,
    pub active: bool,
    pub aws_profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub force_path_style: bool,
    /// A plain http:// endpoint on another computer was explicitly allowed.
    pub allow_insecure_http: bool,
    pub media_bucket: String,
    pub events_bucket: String,
    pub topic_arn: Option<String>,
    pub image_function_url: Option<String>,
}

impl ProfileView {
    pub fn new(p: &Profile, active: bool) -> Self {
        let (kind, cloud) = match &p.kind {
            CoreKind::Demo => (ProfileKind::Demo, None),
            CoreKind::Cloud(c) => (ProfileKind::Cloud, Some(c)),
        };
        ProfileView {
            name: p.name.clone(),
            kind,
            active,
            aws_profile: cloud.and_then(|c| c.aws_profile.clone()),
            region: cloud.map(|c| c.region.clone()),
            endpoint_url: cloud.and_then(CloudSettings::endpoint_for_display),
            force_path_style: cloud.is_some_and(|c| c.force_path_style),
            allow_insecure_http: cloud.is_some_and(|c| c.allow_insecure_http),
            media_bucket: p.media_bucket().to_string(),
            events_bucket: p.events_bucket().to_string(),
            topic_arn: cloud.and_then(|c| c.topic_arn.clone()),
            image_function_url: p.image_function_url().map(str::to_string),
        }
    }
}

/// A cloud profile as the Settings form sends it.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProfileInput {
    pub name: String,
    pub aws_profile: Option<String>,
    pub region: String,
    pub endpoint_url: Option<String>,
    pub force_path_style: bool,
    /// Allow a plain http:// endpoint on another computer (unencrypted).
    #[serde(default)]
    pub allow_insecure_http: bool,
    pub media_bucket: String,
    pub events_bucket: String,
    pub topic_arn: Option<String>,
    /// Base URL of the deployed image function; see `CloudSettings`.
    #[serde(default)]
    pub image_function_url: Option<String>,
}

impl From<ProfileInput> for Profile {
    fn from(i: ProfileInput) -> Self {
        Profile::cloud(
            i.name.trim(),
            CloudSettings {
                aws_profile: i.aws_profile,
                region: i.region,
                endpoint_url: i.endpoint_url,
                force_path_style: i.force_path_style,
                allow_insecure_http: i.allow_insecure_http,
                media_bucket: i.media_bucket,
                events_bucket: i.events_bucket,
                topic_arn: i.topic_arn,
                image_function_url: i.image_function_url,
            },
        )
    }
}

#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum CheckOutcome {
    Ok,
    Failed,
    Skipped,
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConnectionCheck {
    pub target: String,
    pub outcome: CheckOutcome,
    pub code: Option<String>,
    pub message: String,
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConnectionReport {
    pub profile: String,
    pub ok: bool,
    pub checks: Vec<ConnectionCheck>,
}

impl From<CoreReport> for ConnectionReport {
    fn from(r: CoreReport) -> Self {
        ConnectionReport {
            ok: r.ok(),
            profile: r.profile,
            checks: r
                .checks
                .into_iter()
                .map(|c| ConnectionCheck {
                    target: c.target,
                    outcome: match c.outcome {
                        cloud::CheckOutcome::Ok => CheckOutcome::Ok,
                        cloud::CheckOutcome::Failed => CheckOutcome::Failed,
                        cloud::CheckOutcome::Skipped => CheckOutcome::Skipped,
                    },
                    code: c.code,
                    message: c.message,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Reachability {
    Offline,
    Reachable,
    Unreachable,
}

/// What the status bar shows.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProfileStatus {
    pub name: String,
    pub kind: ProfileKind,
    pub reachability: Reachability,
    pub message: String,
}

impl ProfileStatus {
    pub fn demo(name: &str) -> Self {
        ProfileStatus {
            name: name.to_string(),
            kind: ProfileKind::Demo,
            reachability: Reachability::Offline,
            message: "Offline demo: local folders and a local outbox".to_string(),
        }
    }

    pub fn from_report(report: &CoreReport) -> Self {
        let (reachability, message) = match report.first_failure() {
            None => (Reachability::Reachable, "Cloud reachable".to_string()),
            Some(f) => (Reachability::Unreachable, f.message.clone()),
        };
        ProfileStatus {
            name: report.profile.clone(),
            kind: ProfileKind::Cloud,
            reachability,
            message,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Interrupted,
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub state: JobState,
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number | null")]
    pub total: Option<u64>,
    pub message: String,
    /// Why a failed job failed, with the code of the error that stopped it.
    pub error: Option<AppError>,
    #[ts(type = "number")]
    pub started_at: i64,
    #[ts(type = "number | null")]
    pub finished_at: Option<i64>,
}

impl From<JobSnapshot> for JobView {
    fn from(s: JobSnapshot) -> Self {
        JobView {
            id: s.id,
            kind: s.kind,
            title: s.title,
            state: match s.state {
                CoreJobState::Queued => JobState::Queued,
                CoreJobState::Running => JobState::Running,
                CoreJobState::Succeeded => JobState::Succeeded,
                CoreJobState::Failed => JobState::Failed,
                CoreJobState::Cancelled => JobState::Cancelled,
                CoreJobState::Interrupted => JobState::Interrupted,
            },
            done: s.progress.done,
            total: s.progress.total,
            message: s.progress.message,
            error: s.error.map(|f| AppError::new(&f.code, f.message)),
            started_at: s.started_at,
            finished_at: s.finished_at,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum BucketRole {
    Media,
    Events,
}

impl From<BucketRole> for CoreBucketRole {
    fn from(b: BucketRole) -> Self {
        match b {
            BucketRole::Media => CoreBucketRole::Media,
            BucketRole::Events => CoreBucketRole::Events,
        }
    }
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectView {
    pub key: String,
    #[ts(type = "number")]
    pub size: u64,
    #[ts(type = "number | null")]
    pub last_modified: Option<i64>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ObjectListing {
    pub bucket: String,
    pub prefix: String,
    pub folders: Vec<String>,
    pub objects: Vec<ObjectView>,
    pub next_after: Option<String>,
}

impl ObjectListing {
    pub fn new(bucket: &str, prefix: String, page: ListPage) -> Self {
        ObjectListing {
            bucket: bucket.to_string(),
            prefix,
            folders: page.common_prefixes,
            objects: page.objects.into_iter().map(ObjectView::from).collect(),
            next_after: page.next_continuation,
        }
    }
}

impl From<ObjectMeta> for ObjectView {
    fn from(o: ObjectMeta) -> Self {
        ObjectView {
            key: o.key,
            size: o.size,
            last_modified: o.last_modified,
            etag: o.etag,
            content_type: o.content_type,
        }
    }
}

/// A preset as the editor shows it: what it edits plus the canonical
/// spelling (flattened, so the UI sees one flat object).
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PresetView {
    /// The canonical spelling, e.g. `480x320-cover-q80.jpeg`.
    pub spec: String,
    #[serde(flatten)]
    #[ts(flatten)]
    pub preset: PresetInput,
}

/// A preset as the editor sends it.
#[derive(Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PresetInput {
    pub name: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: String,
    /// Which part a `cover` crop keeps: `centre`, a compass point
    /// (`north`, `northeast`, …), `focus`, `entropy` or `attention`.
    pub gravity: String,
    /// Enlarge an original smaller than the box (off: never enlarge).
    pub enlarge: bool,
    pub format: String,
    pub quality: Option<u8>,
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImageCatalog {
    pub presets: Vec<PresetView>,
    pub allowed_specs: Vec<String>,
    /// Every gravity a preset may have, the default first: the editor's
    /// choices, from the one list the spec parser knows.
    pub gravities: Vec<String>,
}

impl From<&PresetCatalog> for ImageCatalog {
    fn from(c: &PresetCatalog) -> Self {
        ImageCatalog {
            presets: c
                .presets()
                .iter()
                .map(|(name, spec)| PresetView {
                    spec: spec.to_string(),
                    preset: PresetInput {
                        name: name.clone(),
                        width: spec.width,
                        height: spec.height,
                        fit: spec.fit.as_str().to_string(),
                        gravity: spec.gravity.as_str().to_string(),
                        enlarge: spec.enlarge,
                        format: spec.format.as_str().to_string(),
                        quality: spec.quality,
                    },
                })
                .collect(),
            allowed_specs: c.extra_specs().iter().cloned().collect(),
            gravities: Gravity::ALL
                .iter()
                .map(|g| g.as_str().to_string())
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CatalogInput {
    pub presets: Vec<PresetInput>,
    pub allowed_specs: Vec<String>,
}

impl CatalogInput {
    /// Checks every preset (named in the error) and builds the catalog.
    pub fn into_catalog(self) -> Result<PresetCatalog, MediaError> {
        let mut presets = Vec::new();
        for p in self.presets {
            let bad = |reason: &str| MediaError::InvalidSpec {
                spec: p.name.clone(),
                reason: reason.to_string(),
            };
            let fit = Fit::parse(&p.fit)
                .ok_or_else(|| bad("fit must be cover, contain, fill or inside"))?;
            let format = Format::parse(&p.format)
                .ok_or_else(|| bad("format must be jpeg, png, webp, avif or auto"))?;
            let gravity = Gravity::parse(&p.gravity).ok_or_else(|| {
                bad("gravity must be centre, a compass point (north, northeast, …), focus, entropy or attention")
            })?;
            let spec = VariantSpec::new(
                p.width, p.height, fit, gravity, p.enlarge, format, p.quality,
            )
            .map_err(|e| match e {
                MediaError::InvalidSpec { reason, .. } => bad(&reason),
                other => other,
            })?;
            presets.push((p.name, spec));
        }
        PresetCatalog::from_parts(presets, self.allowed_specs)
    }
}

/// An original's focal point: fractions (0–1) of its width and height
/// from the top-left corner, as the editor clicked it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FocusPoint {
    pub x: f64,
    pub y: f64,
}

impl From<FocalPoint> for FocusPoint {
    fn from(p: FocalPoint) -> Self {
        FocusPoint { x: p.x(), y: p.y() }
    }
}

/// An original's placeholders for lazy loading, for the editor to copy.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PlaceholderView {
    /// ThumbHash, standard base64.
    pub thumbhash: String,
    /// A tiny WebP as a `data:` URI.
    pub lqip: String,
    pub lqip_width: u32,
    pub lqip_height: u32,
}

impl From<Placeholder> for PlaceholderView {
    fn from(p: Placeholder) -> Self {
        PlaceholderView {
            thumbhash: p.thumbhash,
            lqip: p.lqip,
            lqip_width: p.lqip_width,
            lqip_height: p.lqip_height,
        }
    }
}

/// A made (or found) variant, for the editor's side-by-side view.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VariantView {
    pub preset: String,
    pub key: String,
    /// Where the webview loads it from (the app's `stratus-img` protocol).
    pub url: String,
    /// Where the world gets it: `<image URL base>/<variant key>` (a plain
    /// CDN/S3 hit once made; `stratus serve` answers it too); `None` when
    /// the profile names no base.
    pub public_url: Option<String>,
    /// For an `auto` preset behind CloudFront wiring: the `.auto` path,
    /// which the CDN's function turns into the best format each browser
    /// takes (what a page should use); `None` otherwise.
    pub auto_url: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    #[ts(type = "number")]
    pub bytes: u64,
    pub format: String,
    /// `hit` or `made`.
    pub outcome: String,
    #[ts(type = "number | null")]
    pub millis: Option<u64>,
}

impl VariantView {
    /// `auto_base`: the image URL base when the preset's format is `auto`
    /// and the CDN negotiates formats, else `None`.
    pub fn new(
        preset: &str,
        original: &str,
        function_base: Option<&str>,
        auto_base: Option<&str>,
        v: Variant,
    ) -> Self {
        let (outcome, millis) = match v.outcome {
            Outcome::Hit => ("hit", None),
            Outcome::Made { millis } => ("made", Some(millis)),
        };
        VariantView {
            preset: preset.to_string(),
            url: crate::protocol::variant_url(preset, original),
            public_url: function_base.map(|base| variant_url(base, &v.key)),
            auto_url: auto_base.and_then(|base| {
                let key = variant_key(preset, original, Format::Auto.as_str()).ok()?;
                Some(variant_url(base, &key))
            }),
            key: v.key,
            width: v.width,
            height: v.height,
            bytes: v.bytes.len() as u64,
            format: v.format.ext().to_string(),
            outcome: outcome.to_string(),
            millis,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webp(key: &str) -> Variant {
        Variant {
            key: key.to_string(),
            bytes: bytes::Bytes::from_static(b"RIFF"),
            format: stratus_media::OutputFormat::Webp,
            width: Some(320),
            height: Some(200),
            etag: None,
            outcome: Outcome::Hit,
        }
    }

    #[test]
    fn an_auto_preset_behind_the_cdn_offers_its_auto_path_beside_the_served_format() {
        let base = "https://d111.cloudfront.net";
        let key = "variants/photos/summer sale/a.jpg/hero.webp";
        let view = VariantView::new(
            "hero",
            "photos/summer sale/a.jpg",
            Some(base),
            Some(base),
            webp(key),
        );
        assert_eq!(
            view.public_url.as_deref(),
            Some("https://d111.cloudfront.net/variants/photos/summer%20sale/a.jpg/hero.webp")
        );
        assert_eq!(
            view.auto_url.as_deref(),
            Some("https://d111.cloudfront.net/variants/photos/summer%20sale/a.jpg/hero.auto")
        );
        // Website wiring or a concrete preset: no `.auto` path to offer.
        let plain = VariantView::new(
            "hero",
            "photos/summer sale/a.jpg",
            Some(base),
            None,
            webp(key),
        );
        assert_eq!(plain.auto_url, None);
    }
}
