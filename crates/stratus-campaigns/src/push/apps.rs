//! The profile's SNS platform applications (`push_apps`, in the profile's
//! own database): one ARN per platform. An application is either created
//! here from a credential (an APNs key or certificate, an FCM key) that goes
//! to SNS and is never stored, or made elsewhere and its ARN set.

use rusqlite::{params, Connection, OptionalExtension};
use stratus_core::clock::now_millis;

use super::Platform;
use crate::{Error, Result};

/// One configured platform application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushApp {
    pub platform: Platform,
    pub arn: String,
    /// Unix ms.
    pub updated_at: i64,
}

/// Every configured application.
pub fn list(conn: &Connection) -> Result<Vec<PushApp>> {
    let mut stmt =
        conn.prepare_cached("SELECT platform, arn, updated_at FROM push_apps ORDER BY platform")?;
    let rows = stmt
        .query_map([], |r| {
            let platform: String = r.get(0)?;
            Ok(PushApp {
                platform: Platform::parse(&platform).unwrap_or(Platform::Other),
                arn: r.get(1)?,
                updated_at: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The application devices of `platform` register with.
pub fn arn_for(conn: &Connection, platform: Platform) -> Result<String> {
    conn.query_row(
        "SELECT arn FROM push_apps WHERE platform = ?1",
        [platform.as_str()],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| Error::NoPushApp(platform.to_string()))
}

/// Sets the application of `platform` (an ARN made elsewhere, or one
/// [`super::register::create_app`] just created).
pub fn set(conn: &Connection, platform: Platform, arn: &str) -> Result<()> {
    if platform == Platform::Other {
        return Err(Error::InvalidPush(
            "choose apns, apns_sandbox or fcm".into(),
        ));
    }
    let arn = arn.trim();
    if !(arn.starts_with("arn:") && arn.contains(":app/")) {
        return Err(Error::InvalidPush(format!(
            "`{arn}` is not a platform application ARN (arn:aws:sns:<region>:<account>:app/<PLATFORM>/<name>)"
        )));
    }
    conn.execute(
        "INSERT INTO push_apps (platform, arn, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (platform) DO UPDATE SET arn = excluded.arn, updated_at = excluded.updated_at",
        params![platform.as_str(), arn, now_millis()],
    )?;
    Ok(())
}
