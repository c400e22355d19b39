//! AWS clients for a cloud profile, and the "test connection" check that tells
//! a person exactly what is wrong with a profile.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::profile::{CloudSettings, Profile, ProfileKind};
use crate::store::{ObjectStore, S3Store, StoreError};

/// How hard to try. The app's own calls retry; "test connection" answers fast.
#[derive(Debug, Clone, Copy)]
pub enum Patience {
    Normal,
    Quick,
}

/// Loads the AWS configuration a cloud profile describes: credentials from
/// the named AWS profile or the default chain, never from Stratus's files.
pub async fn sdk_config(settings: &CloudSettings, patience: Patience) -> SdkConfig {
    let (connect, operation, attempts) = match patience {
        Patience::Normal => (Duration::from_secs(5), Duration::from_secs(60), 3),
        Patience::Quick => (Duration::from_secs(3), Duration::from_secs(10), 1),
    };
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(connect)
                .operation_timeout(operation)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(attempts));
    if let Some(name) = &settings.aws_profile {
        // A named profile means exactly that profile: the default chain would
        // let stray environment credentials win over the user's choice.
        loader = loader.profile_name(name).credentials_provider(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(name)
                .build(),
        );
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

pub fn s3_client(sdk: &SdkConfig, settings: &CloudSettings) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(settings.force_path_style)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub fn sns_client(sdk: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(sdk)
}

/// Human name of where a profile's requests go.
pub fn endpoint_label(settings: &CloudSettings) -> String {
    // Shown and logged: never with a `user:password@` an old file may hold.
    settings
        .endpoint_for_display()
        .unwrap_or_else(|| format!("AWS ({})", settings.region))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Ok,
    Failed,
    Skipped,
}

/// One line of a connection test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionCheck {
    /// What was checked: "credentials", "media bucket `x`", …
    pub target: String,
    pub outcome: CheckOutcome,
    /// The error code when it failed (`no_such_bucket`, `unreachable`, …).
    pub code: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionReport {
    pub profile: String,
    pub checks: Vec<ConnectionCheck>,
}

impl ConnectionReport {
    pub fn ok(&self) -> bool {
        self.checks
            .iter()
            .all(|c| c.outcome != CheckOutcome::Failed)
    }

    /// The first failure, for one-line summaries (status bar).
    pub fn first_failure(&self) -> Option<&ConnectionCheck> {
        self.checks
            .iter()
            .find(|c| c.outcome == CheckOutcome::Failed)
    }
}

fn passed(target: String, message: impl Into<String>) -> ConnectionCheck {
    ConnectionCheck {
        target,
        outcome: CheckOutcome::Ok,
        code: None,
        message: message.into(),
    }
}

fn failed(target: String, code: &str, message: impl Into<String>) -> ConnectionCheck {
    ConnectionCheck {
        target,
        outcome: CheckOutcome::Failed,
        code: Some(code.to_string()),
        message: message.into(),
    }
}

fn skipped(target: String, message: impl Into<String>) -> ConnectionCheck {
    ConnectionCheck {
        target,
        outcome: CheckOutcome::Skipped,
        code: None,
        message: message.into(),
    }
}

/// Tests a cloud profile: credentials, each bucket (list one key), the topic
/// (read its attributes). Every failure is named with what to fix. Demo
/// profiles are checked by [`crate::stack::Stack::check`].
pub async fn check_cloud(profile: &Profile) -> ConnectionReport {
    let ProfileKind::Cloud(settings) = &profile.kind else {
        return ConnectionReport {
            profile: profile.name.clone(),
            checks: Vec::new(),
        };
    };
    let mut checks = Vec::new();
    let sdk = sdk_config(settings, Patience::Quick).await;
    let endpoint = endpoint_label(settings);
    let buckets = [
        ("media bucket", settings.media_bucket.as_str()),
        ("events bucket", settings.events_bucket.as_str()),
    ];

    let credentials = match sdk.credentials_provider() {
        None => Err("no credential provider is configured".to_string()),
        Some(provider) => {
            use aws_credential_types::provider::ProvideCredentials;
            match tokio::time::timeout(Duration::from_secs(10), provider.provide_credentials())
                .await
            {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(crate::store::error_chain_of(&e)),
                Err(_) => Err("timed out looking for credentials".to_string()),
            }
        }
    };
    let source = match &settings.aws_profile {
        Some(p) => format!("AWS profile `{p}`"),
        None => "the default credential chain".to_string(),
    };
    match credentials {
        Ok(()) => checks.push(passed("credentials".into(), format!("found in {source}"))),
        Err(reason) => {
            let err = StoreError::NoCredentials {
                message: format!("{source}: {reason}"),
            };
            checks.push(failed("credentials".into(), err.code(), err.to_string()));
            for (label, bucket) in buckets {
                checks.push(skipped(
                    format!("{label} `{bucket}`"),
                    "skipped: no credentials",
                ));
            }
            if let Some(arn) = &settings.topic_arn {
                checks.push(skipped(format!("topic `{arn}`"), "skipped: no credentials"));
            }
            return ConnectionReport {
                profile: profile.name.clone(),
                checks,
            };
        }
    }

    let s3 = s3_client(&sdk, settings);
    // Once the endpoint is unreachable every later check fails the same way:
    // say it once and skip the rest.
    let mut unreachable = false;
    for (label, bucket) in buckets {
        let target = format!("{label} `{bucket}`");
        if unreachable {
            checks.push(skipped(target, "skipped: endpoint unreachable"));
            continue;
        }
        let store = S3Store::new(s3.clone(), bucket, endpoint.clone());
        match store
            .list(crate::store::ListRequest::prefix("").limit(1))
            .await
        {
            Ok(_) => checks.push(passed(target, format!("listed at {endpoint}"))),
            Err(e) => {
                unreachable = matches!(e, StoreError::Unreachable { .. });
                checks.push(failed(target, e.code(), e.to_string()));
            }
        }
    }

    match &settings.topic_arn {
        None => checks.push(skipped("topic".into(), "no SNS topic configured")),
        Some(arn) if unreachable => checks.push(skipped(
            format!("topic `{arn}`"),
            "skipped: endpoint unreachable",
        )),
        Some(arn) => checks.push(check_topic(&sdk, arn, &endpoint).await),
    }
    ConnectionReport {
        profile: profile.name.clone(),
        checks,
    }
}

async fn check_topic(sdk: &SdkConfig, arn: &str, endpoint: &str) -> ConnectionCheck {
    let target = format!("topic `{arn}`");
    let result = sns_client(sdk)
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await;
    match result {
        Ok(_) => passed(target, format!("found at {endpoint}")),
        Err(SdkError::ServiceError(e)) => {
            let code = e.err().code().unwrap_or("Unknown");
            let message = e.err().message().unwrap_or("").to_string();
            match code {
                "NotFound" => failed(
                    target,
                    "topic_not_found",
                    format!("topic `{arn}` does not exist; check the topic ARN in the profile"),
                ),
                "AuthorizationError" | "AccessDenied" | "InvalidClientTokenId" => failed(
                    target,
                    "access_denied",
                    format!("access denied to topic `{arn}`: {message}; check the credentials and the topic policy"),
                ),
                _ => failed(target, "sns_service", format!("SNS answered {code}: {message}")),
            }
        }
        Err(e) => {
            let err = StoreError::Unreachable {
                endpoint: endpoint.to_string(),
                message: crate::store::error_chain_of(&e),
            };
            failed(target, err.code(), err.to_string())
        }
    }
}
