//! A customer's devices (`push_devices`): each app install with its
//! platform, token and SNS endpoint, enabled or not, and the last error SNS
//! gave for it. `customers.push_endpoint_arn` is kept in step by triggers
//! (migration 0013): it names the newest enabled device, so launch's "has
//! an address" stays one column read.

use rusqlite::{params, Connection, OptionalExtension, Row};
use stratus_core::clock::now_millis;

use super::Platform;
use crate::campaign::Channel;
use crate::eligibility::SkipReason;
use crate::{Error, Result};

/// One app install of one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub customer_id: String,
    pub platform: Platform,
    /// The APNs/FCM token; `None` for an endpoint imported without one.
    pub token: Option<String>,
    /// The SNS platform endpoint; `None` until registered.
    pub endpoint_arn: Option<String>,
    pub enabled: bool,
    /// Why SNS disabled it, or the last failure sending to it.
    pub last_error: Option<String>,
    /// Unix ms.
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, customer_id, platform, token, endpoint_arn, enabled, last_error, updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Device> {
    let platform: String = r.get(2)?;
    Ok(Device {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        // The CHECK constraint admits only known names.
        platform: Platform::parse(&platform).unwrap_or(Platform::Other),
        token: r.get(3)?,
        endpoint_arn: r.get(4)?,
        enabled: r.get(5)?,
        last_error: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

/// Every device of `customer`, newest first.
pub fn list(conn: &Connection, customer: &str) -> Result<Vec<Device>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM push_devices WHERE customer_id = ?1 ORDER BY updated_at DESC, id"
    ))?;
    let rows = stmt
        .query_map([customer], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The devices a campaign sends to: enabled and registered.
pub fn sendable(conn: &Connection, customer: &str) -> Result<Vec<Device>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM push_devices
          WHERE customer_id = ?1 AND enabled = 1 AND endpoint_arn IS NOT NULL
          ORDER BY updated_at DESC, id"
    ))?;
    let rows = stmt
        .query_map([customer], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The device registered as `endpoint_arn`, if any.
pub fn by_endpoint(conn: &Connection, endpoint_arn: &str) -> Result<Option<Device>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM push_devices WHERE endpoint_arn = ?1"),
            [endpoint_arn],
            from_row,
        )
        .optional()?)
}

/// Stores a registered token as an enabled device of `customer`. The same
/// token again (a re-registration, or the app signed in as someone else on
/// the same phone) updates that device and enables it; the same endpoint
/// under another row (an imported ARN now registered with its token) is
/// merged into this one.
pub fn save_registered(
    conn: &Connection,
    customer: &str,
    platform: Platform,
    token: &str,
    endpoint_arn: &str,
) -> Result<Device> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM customers WHERE id = ?1)",
        [customer],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(Error::CustomerNotFound(customer.to_string()));
    }
    let now = now_millis();
    conn.execute(
        "DELETE FROM push_devices WHERE endpoint_arn = ?1
             AND NOT (platform = ?2 AND token IS ?3)",
        params![endpoint_arn, platform.as_str(), token],
    )?;
    conn.execute(
        "INSERT INTO push_devices (id, customer_id, platform, token, endpoint_arn, enabled,
             last_error, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, NULL, ?6, ?6)
         ON CONFLICT (platform, token) WHERE token IS NOT NULL DO UPDATE SET
             customer_id = excluded.customer_id, endpoint_arn = excluded.endpoint_arn,
             enabled = 1, last_error = NULL, updated_at = excluded.updated_at",
        params![
            uuid::Uuid::now_v7().to_string(),
            customer,
            platform.as_str(),
            token,
            endpoint_arn,
            now
        ],
    )?;
    Ok(conn.query_row(
        &format!("SELECT {COLUMNS} FROM push_devices WHERE platform = ?1 AND token = ?2"),
        params![platform.as_str(), token],
        from_row,
    )?)
}

/// Records that SNS disabled (or no longer knows) the endpoint: the next
/// campaign skips the device. True if a device was changed.
pub fn record_disabled(conn: &Connection, endpoint_arn: &str, reason: &str) -> Result<bool> {
    record_disabled_as_of(conn, endpoint_arn, reason, None)
}

/// [`record_disabled`] for what SNS said at Unix ms `as_of` (a cloud
/// worker's publish, written back by a later catch-up): a device changed
/// since (registered again, so enabled again) keeps its newer state.
pub fn record_disabled_as_of(
    conn: &Connection,
    endpoint_arn: &str,
    reason: &str,
    as_of: Option<i64>,
) -> Result<bool> {
    let n = conn.execute(
        "UPDATE push_devices SET enabled = 0, last_error = ?2, updated_at = ?3
          WHERE endpoint_arn = ?1 AND (?4 IS NULL OR updated_at <= ?4)",
        params![endpoint_arn, reason, now_millis(), as_of],
    )?;
    Ok(n > 0)
}

/// Records a failure that leaves the device enabled (a refused payload).
pub fn record_error(conn: &Connection, endpoint_arn: &str, error: &str) -> Result<()> {
    conn.execute(
        "UPDATE push_devices SET last_error = ?2 WHERE endpoint_arn = ?1",
        params![endpoint_arn, error],
    )?;
    Ok(())
}

/// Removes one device of `customer` (by id, token or endpoint ARN). True
/// if one was removed.
pub fn remove(conn: &Connection, customer: &str, device: &str) -> Result<bool> {
    let n = conn.execute(
        "DELETE FROM push_devices WHERE customer_id = ?1
             AND (id = ?2 OR token = ?2 OR endpoint_arn = ?2)",
        params![customer, device],
    )?;
    Ok(n > 0)
}

/// The launch's reason for a push customer without an address: if they
/// have devices but SNS disabled every one, `endpoint_disabled` (what the
/// devices say), not `no_address`. Other reasons pass through.
pub fn launch_reason(
    conn: &Connection,
    customer: &str,
    channel: Channel,
    reason: SkipReason,
) -> Result<SkipReason> {
    if channel != Channel::Push || reason != SkipReason::NoAddress {
        return Ok(reason);
    }
    let disabled: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM push_devices WHERE customer_id = ?1 AND enabled = 0)",
        )?
        .query_row([customer], |r| r.get(0))?;
    Ok(if disabled {
        SkipReason::EndpointDisabled
    } else {
        reason
    })
}

/// Enabled devices per customer, for the dry run's count.
pub const SENDABLE_COUNT_SQL: &str = "(SELECT count(*) FROM push_devices d
     WHERE d.customer_id = customers.id AND d.enabled = 1 AND d.endpoint_arn IS NOT NULL)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::{self, Customer};
    use stratus_core::db::Db;

    fn db_with(customers: &[&str]) -> Db {
        let db = Db::open_in_memory().unwrap();
        db.call_blocking(|c| -> Result<()> {
            for id in customers {
                customer::upsert(c, &Customer::new(*id, "Ann"), 1)?;
            }
            Ok(())
        })
        .unwrap();
        db
    }

    fn summary(c: &Connection, id: &str) -> Option<String> {
        customer::get(c, id).unwrap().push_endpoint_arn
    }

    #[test]
    fn the_customer_column_names_the_newest_enabled_device() {
        let db = db_with(&["c-1"]);
        db.call_blocking(|c| -> Result<()> {
            let a = save_registered(c, "c-1", Platform::Apns, "tok-a", "arn:a")?;
            assert!(a.enabled);
            assert_eq!(summary(c, "c-1").as_deref(), Some("arn:a"));
            save_registered(c, "c-1", Platform::Fcm, "tok-b", "arn:b")?;
            assert_eq!(sendable(c, "c-1")?.len(), 2);
            record_disabled(c, "arn:b", "EndpointDisabled")?;
            assert_eq!(summary(c, "c-1").as_deref(), Some("arn:a"));
            record_disabled(c, "arn:a", "EndpointDisabled")?;
            assert_eq!(summary(c, "c-1"), None, "no enabled device: no address");
            // Registering the token again enables it.
            let again = save_registered(c, "c-1", Platform::Fcm, "tok-b", "arn:b")?;
            assert!(again.enabled && again.last_error.is_none());
            assert_eq!(list(c, "c-1")?.len(), 2, "the same token is one device");
            assert_eq!(summary(c, "c-1").as_deref(), Some("arn:b"));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn an_imported_endpoint_becomes_a_device_and_a_reimport_keeps_the_devices() {
        let db = db_with(&[]);
        db.call_blocking(|c| -> Result<()> {
            let mut ann = Customer::new("c-1", "Ann");
            ann.push_endpoint_arn = Some("arn:aws:sns:r:1:endpoint/GCM/app/x".into());
            customer::upsert(c, &ann, 1)?;
            let devices = list(c, "c-1")?;
            assert_eq!(devices.len(), 1);
            assert_eq!(devices[0].platform, Platform::Fcm);
            // A later import without the column does not forget the device.
            ann.push_endpoint_arn = None;
            customer::upsert(c, &ann, 2)?;
            assert_eq!(
                summary(c, "c-1").as_deref(),
                Some("arn:aws:sns:r:1:endpoint/GCM/app/x")
            );
            // Registering that endpoint with its token merges the two rows.
            save_registered(
                c,
                "c-1",
                Platform::Fcm,
                "tok",
                "arn:aws:sns:r:1:endpoint/GCM/app/x",
            )?;
            assert_eq!(list(c, "c-1")?.len(), 1);
            // Deleting the customer deletes their devices.
            customer::forget(c, &["c-1".to_string()])?;
            let left: i64 = c.query_row("SELECT count(*) FROM push_devices", [], |r| r.get(0))?;
            assert_eq!(left, 0);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_device_of_an_unknown_customer_is_refused() {
        let db = db_with(&[]);
        let err = db
            .call_blocking(|c| save_registered(c, "ghost", Platform::Apns, "t", "arn:t"))
            .unwrap_err();
        assert_eq!(err.code(), "customer_not_found");
    }
}
