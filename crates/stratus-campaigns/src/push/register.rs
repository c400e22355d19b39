//! Talking to SNS about devices: creating a platform application from a
//! credential, registering a token as a platform endpoint
//! (`CreatePlatformEndpoint`, idempotent for the same token), and asking SNS
//! which endpoints it has disabled (`GetEndpointAttributes`).

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_sns::error::ProvideErrorMetadata;
use rusqlite::OptionalExtension;
use stratus_core::db::Db;

use super::{apps, devices, Device, Platform};
use crate::notifier::NotifyError;
use crate::{Error, Result};

/// SNS's platform endpoint calls for one profile.
#[derive(Debug, Clone)]
pub struct Registrar {
    client: aws_sdk_sns::Client,
}

/// What [`Registrar::check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Enabled devices asked about.
    pub checked: u64,
    /// Of those, now recorded as disabled (SNS says `Enabled=false`, or
    /// no longer knows the endpoint).
    pub disabled: u64,
}

fn provider(e: NotifyError) -> Error {
    Error::PushProvider {
        code: e.code(),
        message: e.to_string(),
    }
}

impl Registrar {
    pub fn new(sdk: &SdkConfig) -> Self {
        Registrar {
            client: aws_sdk_sns::Client::new(sdk),
        }
    }

    pub fn from_client(client: aws_sdk_sns::Client) -> Self {
        Registrar { client }
    }

    /// Creates a platform application named `name` for `platform` with
    /// SNS's attributes (`PlatformCredential`, and for APNs tokens
    /// `PlatformPrincipal`, `ApplePlatformTeamID`, `ApplePlatformBundleID`)
    /// and stores its ARN as the profile's application of that platform.
    /// The credential goes to SNS only.
    pub async fn create_app(
        &self,
        db: &Db,
        name: &str,
        platform: Platform,
        attributes: BTreeMap<String, String>,
    ) -> Result<String> {
        let Some(sns_platform) = platform.sns_name() else {
            return Err(Error::InvalidPush(
                "choose apns, apns_sandbox or fcm".into(),
            ));
        };
        if !attributes.contains_key("PlatformCredential") {
            return Err(Error::InvalidPush(
                "a platform application needs its credential (PlatformCredential)".into(),
            ));
        }
        let out = self
            .client
            .create_platform_application()
            .name(name)
            .platform(sns_platform)
            .set_attributes(Some(attributes.into_iter().collect()))
            .send()
            .await
            .map_err(|e| provider(crate::notifier::sns_classify(e)))?;
        let arn = out
            .platform_application_arn()
            .unwrap_or_default()
            .to_string();
        let stored = arn.clone();
        db.call(move |c| apps::set(c, platform, &stored)).await?;
        Ok(arn)
    }

    /// Registers `token` as a device of `customer`: creates (or finds) its
    /// platform endpoint, enables it and sets its token if SNS had it
    /// disabled or stale, and stores the device enabled.
    pub async fn register(
        &self,
        db: &Db,
        customer: &str,
        platform: Platform,
        token: &str,
    ) -> Result<Device> {
        let token = token.trim().to_string();
        if token.is_empty() {
            return Err(Error::InvalidPush("the device token is empty".into()));
        }
        let app = db.call(move |c| apps::arn_for(c, platform)).await?;
        let endpoint = self.endpoint_for(&app, customer, &token).await?;
        self.make_current(&endpoint, &token).await?;
        let (customer, stored_token) = (customer.to_string(), token.clone());
        db.call(move |c| devices::save_registered(c, &customer, platform, &stored_token, &endpoint))
            .await
    }

    /// `CreatePlatformEndpoint` returns the existing endpoint for a token
    /// it knows with the same attributes; with other attributes (another
    /// customer, or disabled) it refuses and names that endpoint, which is
    /// then the one to update.
    async fn endpoint_for(&self, app: &str, customer: &str, token: &str) -> Result<String> {
        let created = self
            .client
            .create_platform_endpoint()
            .platform_application_arn(app)
            .token(token)
            .custom_user_data(customer)
            .send()
            .await;
        match created {
            Ok(out) => Ok(out.endpoint_arn().unwrap_or_default().to_string()),
            Err(e) => {
                let named = e
                    .as_service_error()
                    .and_then(|s| s.message())
                    .and_then(existing_endpoint);
                match named {
                    Some(arn) => Ok(arn),
                    None => Err(provider(crate::notifier::sns_classify(e))),
                }
            }
        }
    }

    /// Enabled with this token, as a re-registration must leave it.
    async fn make_current(&self, endpoint: &str, token: &str) -> Result<()> {
        let attributes = self
            .client
            .get_endpoint_attributes()
            .endpoint_arn(endpoint)
            .send()
            .await
            .map_err(|e| provider(crate::notifier::sns_classify(e)))?
            .attributes
            .unwrap_or_default();
        let enabled = attributes
            .get("Enabled")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let same_token = attributes.get("Token").map(String::as_str) == Some(token);
        if enabled && same_token {
            return Ok(());
        }
        self.client
            .set_endpoint_attributes()
            .endpoint_arn(endpoint)
            .attributes("Token", token)
            .attributes("Enabled", "true")
            .send()
            .await
            .map_err(|e| provider(crate::notifier::sns_classify(e)))?;
        Ok(())
    }

    /// Asks SNS about every enabled device (of `customer`, or all) and
    /// records the ones it has disabled or forgotten.
    pub async fn check(&self, db: &Db, customer: Option<String>) -> Result<CheckReport> {
        let endpoints: Vec<String> = db
            .call(move |c| -> Result<_> {
                let mut stmt = c.prepare(
                    "SELECT endpoint_arn FROM push_devices
                      WHERE enabled = 1 AND endpoint_arn IS NOT NULL
                        AND (?1 IS NULL OR customer_id = ?1) ORDER BY customer_id, id",
                )?;
                let rows = stmt
                    .query_map([customer], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        let mut report = CheckReport::default();
        for endpoint in endpoints {
            report.checked += 1;
            let reason = match self
                .client
                .get_endpoint_attributes()
                .endpoint_arn(&endpoint)
                .send()
                .await
            {
                Ok(out) => {
                    let disabled = out
                        .attributes()
                        .and_then(|a| a.get("Enabled"))
                        .is_some_and(|v| v.eq_ignore_ascii_case("false"));
                    disabled.then(|| "EndpointDisabled: SNS reports Enabled=false".to_string())
                }
                Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("NotFound") => {
                    Some("NotFound: SNS no longer knows this endpoint".to_string())
                }
                Err(e) => return Err(provider(crate::notifier::sns_classify(e))),
            };
            if let Some(reason) = reason {
                let arn = endpoint.clone();
                if db
                    .call(move |c| devices::record_disabled(c, &arn, &reason))
                    .await?
                {
                    report.disabled += 1;
                }
            }
        }
        Ok(report)
    }
}

/// Registers `token` through the profile: with SNS for a cloud profile;
/// in demo mode (no AWS) as a local endpoint the demo outbox delivers to,
/// the same token keeping its endpoint.
pub async fn register_device(
    stack: &stratus_core::stack::Stack,
    customer: &str,
    platform: Platform,
    token: &str,
) -> Result<Device> {
    if let Some(sdk) = &stack.sdk {
        return Registrar::new(sdk)
            .register(&stack.db, customer, platform, token)
            .await;
    }
    let Some(sns_platform) = platform.sns_name() else {
        return Err(Error::InvalidPush(
            "choose apns, apns_sandbox or fcm".into(),
        ));
    };
    let (customer, token) = (customer.to_string(), token.trim().to_string());
    if token.is_empty() {
        return Err(Error::InvalidPush("the device token is empty".into()));
    }
    stack
        .db
        .call(move |c| -> Result<_> {
            let known: Option<String> = c
                .query_row(
                    "SELECT endpoint_arn FROM push_devices WHERE platform = ?1 AND token = ?2",
                    [platform.as_str(), token.as_str()],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            let endpoint = known.unwrap_or_else(|| {
                format!(
                    "arn:aws:sns:demo:000000000000:endpoint/{sns_platform}/stratus-demo/{}",
                    uuid::Uuid::now_v7()
                )
            });
            devices::save_registered(c, &customer, platform, &token, &endpoint)
        })
        .await
}

/// Registers every device stored with a token but no endpoint yet (tokens
/// from an import), through the profile as [`register_device`] does.
/// Returns how many were registered; the first failure stops it (the rest
/// stay pending for the next call).
pub async fn register_pending(stack: &stratus_core::stack::Stack) -> Result<u64> {
    let pending: Vec<(String, String, String)> = stack
        .db
        .call(|c| -> Result<_> {
            let mut stmt = c.prepare(
                "SELECT customer_id, platform, token FROM push_devices
                  WHERE endpoint_arn IS NULL AND token IS NOT NULL ORDER BY customer_id, id",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await?;
    let mut registered = 0;
    for (customer, platform, token) in pending {
        register_device(stack, &customer, Platform::parse(&platform)?, &token).await?;
        registered += 1;
    }
    Ok(registered)
}

/// The endpoint ARN in SNS's "Endpoint <arn> already exists with the same
/// Token, but different attributes." refusal.
fn existing_endpoint(message: &str) -> Option<String> {
    message
        .split_whitespace()
        .find(|w| w.starts_with("arn:") && w.contains(":endpoint/"))
        .map(|w| {
            w.trim_matches(|c: char| c == '(' || c == ')' || c == ',')
                .to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_existing_endpoint_is_read_from_snss_refusal() {
        let msg = "Invalid parameter: Token Reason: Endpoint arn:aws:sns:us-east-1:123:endpoint/GCM/app/ab-cd already exists with the same Token, but different attributes.";
        assert_eq!(
            existing_endpoint(msg).as_deref(),
            Some("arn:aws:sns:us-east-1:123:endpoint/GCM/app/ab-cd")
        );
        assert_eq!(existing_endpoint("Invalid parameter: Token"), None);
    }
}
