//! What a deploy is asked to make (the template's parameters) and what it
//! made (the stack's outputs, written into the profile).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How variants reach browsers (see docs/production.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wiring {
    /// A distribution serving variants from the bucket, failing over to
    /// the function on a miss (the default).
    CloudFront,
    /// S3 website routing rules redirecting a miss to the function.
    Website,
}

impl Wiring {
    pub fn as_str(self) -> &'static str {
        match self {
            Wiring::CloudFront => "cloudfront",
            Wiring::Website => "website",
        }
    }

    /// Whether pages can ask for `.auto` (the CloudFront function picks the
    /// format): not with website wiring, which has no function at the edge.
    pub fn negotiates_format(self) -> bool {
        self == Wiring::CloudFront
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploySettings {
    /// Lower-case prefix of every named resource; the stack is
    /// `stratus-<prefix>`.
    pub name_prefix: String,
    pub wiring: Wiring,
    pub use_firehose: bool,
    /// Origins that may send events from a browser (empty: any).
    pub allowed_origins: Vec<String>,
    /// Where the function zip is uploaded before the stack reads it.
    pub artifact_bucket: String,
    /// Collector instances Lambda may run at once (reserved concurrency),
    /// so a write key's rate limit holds account-wide at rate × this; 0
    /// reserves none (no ceiling). See docs/security.md.
    pub collector_concurrency: u32,
}

impl DeploySettings {
    /// The collector's reserved concurrency when none is asked for: enough
    /// for a small site's traffic, and a ceiling of 10 × a key's rate.
    pub const DEFAULT_COLLECTOR_CONCURRENCY: u32 = 10;

    pub fn stack_name(&self) -> String {
        format!("stratus-{}", self.name_prefix)
    }

    /// The artifact bucket a deploy creates when none is named.
    pub fn default_artifact_bucket(name_prefix: &str, account: &str, region: &str) -> String {
        format!("{name_prefix}-artifacts-{account}-{region}")
    }

    /// Whether `prefix` is one the template accepts (3–25 lower-case
    /// letters, digits and `-`, starting with a letter), checked before
    /// anything is uploaded.
    pub fn valid_prefix(prefix: &str) -> bool {
        (3..=25).contains(&prefix.len())
            && prefix.starts_with(|c: char| c.is_ascii_lowercase())
            && prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }

    /// The template's parameters, by name.
    pub fn parameters(&self, artifact_key: &str) -> Vec<(String, String)> {
        [
            ("NamePrefix", self.name_prefix.clone()),
            ("ArtifactBucket", self.artifact_bucket.clone()),
            ("ArtifactKey", artifact_key.to_string()),
            ("Wiring", self.wiring.as_str().to_string()),
            ("UseFirehose", self.use_firehose.to_string()),
            ("AllowedOrigins", self.allowed_origins.join(",")),
            (
                "CollectorConcurrency",
                self.collector_concurrency.to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// The stack's outputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeployOutputs {
    /// Where pages load variants from (the CDN, or the bucket's website).
    pub image_base_url: Option<String>,
    /// The image function itself (signed URLs, previews).
    pub image_function_url: Option<String>,
    pub collector_url: Option<String>,
    pub media_bucket: Option<String>,
    pub events_bucket: Option<String>,
    pub signing_key_secret: Option<String>,
    pub distribution_id: Option<String>,
    /// Cloud runs: the marks table, the chunk queue, the worker count.
    pub campaign_table: Option<String>,
    pub campaign_queue_url: Option<String>,
    pub campaign_workers: Option<u32>,
    pub campaign_scheduler_role: Option<String>,
}

impl DeployOutputs {
    pub fn from_pairs(pairs: BTreeMap<String, String>) -> Self {
        let get = |k: &str| pairs.get(k).cloned().filter(|v| !v.is_empty());
        DeployOutputs {
            image_base_url: get("ImageBaseUrl"),
            image_function_url: get("ImageFunctionUrl"),
            collector_url: get("CollectorUrl"),
            media_bucket: get("MediaBucketName"),
            events_bucket: get("EventsBucketName"),
            signing_key_secret: get("SigningKeySecretArn"),
            distribution_id: get("DistributionId"),
            campaign_table: get("CampaignTable"),
            campaign_queue_url: get("CampaignQueueUrl"),
            campaign_workers: get("CampaignWorkers").and_then(|v| v.parse().ok()),
            campaign_scheduler_role: get("CampaignSchedulerRoleArn"),
        }
    }

    /// The outputs as `name: value` lines (what the CLI prints).
    pub fn lines(&self) -> Vec<String> {
        [
            ("Image URL base", &self.image_base_url),
            ("Image function", &self.image_function_url),
            ("Collector", &self.collector_url),
            ("Media bucket", &self.media_bucket),
            ("Events bucket", &self.events_bucket),
            ("Signing keys (secret)", &self.signing_key_secret),
            ("CloudFront distribution", &self.distribution_id),
            ("Campaign marks (table)", &self.campaign_table),
            ("Campaign queue", &self.campaign_queue_url),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}: {v}")))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_the_template_would_refuse_are_refused_first() {
        for ok in ["shop", "acme-prod", "a12"] {
            assert!(DeploySettings::valid_prefix(ok), "{ok}");
        }
        for bad in [
            "",
            "ab",
            "Shop",
            "1shop",
            "shop_prod",
            "a-very-long-prefix-over-25c",
        ] {
            assert!(!DeploySettings::valid_prefix(bad), "{bad}");
        }
    }
}
