//! What was deployed for a profile: kept next to its database so teardown
//! and the app know the stack, and written into the profile's settings
//! (image URL base, buckets) so the app and CLI use the deployed stack.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use stratus_core::home::AppHome;
use stratus_core::profile::{Profile, ProfileKind};

use crate::error::{DeployError, Result};
use crate::settings::{DeployOutputs, Wiring};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRecord {
    pub stack_name: String,
    pub name_prefix: String,
    pub region: String,
    /// Unix seconds of the last successful deploy.
    pub deployed_at: u64,
    pub image_base_url: Option<String>,
    pub image_function_url: Option<String>,
    pub collector_url: Option<String>,
    pub media_bucket: Option<String>,
    pub events_bucket: Option<String>,
    pub distribution_id: Option<String>,
    /// The URL-signing keys' secret (`stratus keys rotate`).
    #[serde(default)]
    pub signing_key_secret: Option<String>,
    /// Cloud runs of campaigns: the marks table, the chunk queue and how
    /// many workers share a campaign's rate.
    #[serde(default)]
    pub campaign_table: Option<String>,
    #[serde(default)]
    pub campaign_queue_url: Option<String>,
    #[serde(default)]
    pub campaign_workers: Option<u32>,
    /// The role scheduled cloud runs start with (EventBridge Scheduler).
    #[serde(default)]
    pub campaign_scheduler_role: Option<String>,
    /// How variants reach browsers; `None` in records written before it
    /// was kept (treated as unknown: no `.auto` URLs are offered).
    #[serde(default)]
    pub wiring: Option<Wiring>,
}

fn path(home: &AppHome, profile: &str) -> PathBuf {
    home.profile_dir(profile).join("deployment.json")
}

impl DeploymentRecord {
    pub fn new(
        stack_name: String,
        name_prefix: String,
        region: String,
        wiring: Wiring,
        outputs: &DeployOutputs,
    ) -> Self {
        DeploymentRecord {
            stack_name,
            name_prefix,
            wiring: Some(wiring),
            region,
            deployed_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default(),
            image_base_url: outputs.image_base_url.clone(),
            image_function_url: outputs.image_function_url.clone(),
            collector_url: outputs.collector_url.clone(),
            media_bucket: outputs.media_bucket.clone(),
            events_bucket: outputs.events_bucket.clone(),
            distribution_id: outputs.distribution_id.clone(),
            signing_key_secret: outputs.signing_key_secret.clone(),
            campaign_table: outputs.campaign_table.clone(),
            campaign_queue_url: outputs.campaign_queue_url.clone(),
            campaign_workers: outputs.campaign_workers,
            campaign_scheduler_role: outputs.campaign_scheduler_role.clone(),
        }
    }

    pub fn load(home: &AppHome, profile: &str) -> Result<Option<Self>> {
        let file = path(home, profile);
        match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| unreadable(&file, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unreadable(&file, e)),
        }
    }

    pub fn save(&self, home: &AppHome, profile: &str) -> Result<()> {
        let file = path(home, profile);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| unreadable(dir, e))?;
        }
        let json = serde_json::to_vec_pretty(self).map_err(|e| unreadable(&file, e))?;
        std::fs::write(&file, json).map_err(|e| unreadable(&file, e))
    }

    pub fn remove(home: &AppHome, profile: &str) -> Result<()> {
        match std::fs::remove_file(path(home, profile)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(unreadable(&path(home, profile), e)),
        }
    }
}

fn unreadable(file: &Path, e: impl std::fmt::Display) -> DeployError {
    DeployError::Unexpected(format!("{}: {e}", file.display()))
}

/// The profile pointed at the deployed stack: its buckets, and the image
/// URL base the editor copies (the CDN, which also routes `/img/*` to the
/// function; with website wiring the function itself, since the website
/// endpoint only knows `variants/`).
pub fn profile_after_deploy(profile: &Profile, outputs: &DeployOutputs, wiring: Wiring) -> Profile {
    let mut profile = profile.clone();
    if let ProfileKind::Cloud(c) = &mut profile.kind {
        if let Some(bucket) = &outputs.media_bucket {
            c.media_bucket = bucket.clone();
        }
        if let Some(bucket) = &outputs.events_bucket {
            c.events_bucket = bucket.clone();
        }
        let base = match wiring {
            Wiring::CloudFront => outputs.image_base_url.clone(),
            Wiring::Website => outputs.image_function_url.clone(),
        };
        if let Some(url) = base {
            c.image_function_url = Some(url.trim_end_matches('/').to_string());
        }
    }
    profile
}
