//! The push platforms SNS knows as platform applications.

use std::fmt;

use crate::{Error, Result};

/// Where a device's token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    /// Apple Push Notification service, production.
    Apns,
    /// APNs for development builds.
    ApnsSandbox,
    /// Firebase Cloud Messaging (SNS's `GCM` platform).
    Fcm,
    /// An endpoint ARN imported without its platform in a known form.
    Other,
}

impl Platform {
    /// The platforms an application can be configured for.
    pub const CONFIGURABLE: [Platform; 3] = [Platform::Apns, Platform::ApnsSandbox, Platform::Fcm];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Apns => "apns",
            Platform::ApnsSandbox => "apns_sandbox",
            Platform::Fcm => "fcm",
            Platform::Other => "other",
        }
    }

    /// Parses a stored or typed name (`apns`, `apns_sandbox`, `fcm`; `gcm`
    /// and `android` are FCM, `ios` APNs).
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "apns" | "ios" => Ok(Platform::Apns),
            "apns_sandbox" | "sandbox" => Ok(Platform::ApnsSandbox),
            "fcm" | "gcm" | "android" => Ok(Platform::Fcm),
            "other" => Ok(Platform::Other),
            other => Err(Error::InvalidPush(format!(
                "unknown push platform `{other}`; use apns, apns_sandbox or fcm"
            ))),
        }
    }

    /// SNS's name of the platform (`CreatePlatformApplication`'s `Platform`).
    pub fn sns_name(self) -> Option<&'static str> {
        match self {
            Platform::Apns => Some("APNS"),
            Platform::ApnsSandbox => Some("APNS_SANDBOX"),
            Platform::Fcm => Some("GCM"),
            Platform::Other => None,
        }
    }

    /// The platform an SNS endpoint ARN names (`…:endpoint/APNS/app/id`).
    pub fn of_endpoint(arn: &str) -> Platform {
        let kind = arn
            .split_once(":endpoint/")
            .and_then(|(_, rest)| rest.split('/').next());
        match kind {
            Some("APNS") => Platform::Apns,
            Some("APNS_SANDBOX") => Platform::ApnsSandbox,
            Some("GCM") => Platform::Fcm,
            _ => Platform::Other,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_arns_name_their_platform_as_the_migration_does() {
        let arn = |p: &str| format!("arn:aws:sns:us-east-1:123:endpoint/{p}/app/0a1b");
        assert_eq!(Platform::of_endpoint(&arn("APNS")), Platform::Apns);
        assert_eq!(
            Platform::of_endpoint(&arn("APNS_SANDBOX")),
            Platform::ApnsSandbox
        );
        assert_eq!(Platform::of_endpoint(&arn("GCM")), Platform::Fcm);
        assert_eq!(Platform::of_endpoint("arn:aws:sns:x"), Platform::Other);
        assert_eq!(Platform::parse("Android").unwrap(), Platform::Fcm);
        assert!(Platform::parse("pager").is_err());
    }
}
