//! The customer record: contact points, consent and gamified data.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{Error, Result};

/// One customer as stored in `customers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub locale: String,
    /// IANA time zone name (validated on import).
    pub time_zone: String,
    /// E.164 (validated and normalised on import).
    pub phone: Option<String>,
    pub push_endpoint_arn: Option<String>,
    pub sms_opt_in: bool,
    pub push_opt_in: bool,
    pub points: i64,
    pub streak: i64,
    pub level: String,
    pub badges: Vec<String>,
    /// Badges the customer has already been told about; the rest are "new".
    pub badges_notified: Vec<String>,
    /// Unix milliseconds.
    pub last_active: Option<i64>,
}

impl Customer {
    /// A customer with only an id and a name; everything else defaulted.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Customer {
            id: id.into(),
            name: name.into(),
            email: None,
            locale: "en".into(),
            time_zone: "UTC".into(),
            phone: None,
            push_endpoint_arn: None,
            sms_opt_in: false,
            push_opt_in: false,
            points: 0,
            streak: 0,
            level: "bronze".into(),
            badges: Vec::new(),
            badges_notified: Vec::new(),
            last_active: None,
        }
    }
}

/// The column list matching [`from_row`], for `SELECT {COLUMNS} FROM customers`.
pub const COLUMNS: &str = "id, name, email, locale, time_zone, phone, push_endpoint_arn, \
     sms_opt_in, push_opt_in, points, streak, level, badges, badges_notified, last_active";

/// Reads a customer from a row selected with [`COLUMNS`] (at `offset`).
pub fn from_row(r: &Row<'_>, offset: usize) -> rusqlite::Result<Customer> {
    let badges: String = r.get(offset + 12)?;
    let notified: String = r.get(offset + 13)?;
    Ok(Customer {
        id: r.get(offset)?,
        name: r.get(offset + 1)?,
        email: r.get(offset + 2)?,
        locale: r.get(offset + 3)?,
        time_zone: r.get(offset + 4)?,
        phone: r.get(offset + 5)?,
        push_endpoint_arn: r.get(offset + 6)?,
        sms_opt_in: r.get(offset + 7)?,
        push_opt_in: r.get(offset + 8)?,
        points: r.get(offset + 9)?,
        streak: r.get(offset + 10)?,
        level: r.get(offset + 11)?,
        // The CHECK constraint keeps these valid JSON; a non-array reads as empty.
        badges: serde_json::from_str(&badges).unwrap_or_default(),
        badges_notified: serde_json::from_str(&notified).unwrap_or_default(),
        last_active: r.get(offset + 14)?,
    })
}

/// Inserts or replaces every field of `customer` (used by the demo seed and tests).
pub fn upsert(conn: &Connection, customer: &Customer, now: i64) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO customers (id, name, email, locale, time_zone, phone, push_endpoint_arn,
             sms_opt_in, push_opt_in, points, streak, level, badges, badges_notified, last_active,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,
             locale = excluded.locale, time_zone = excluded.time_zone, phone = excluded.phone,
             push_endpoint_arn = excluded.push_endpoint_arn, sms_opt_in = excluded.sms_opt_in,
             push_opt_in = excluded.push_opt_in, points = excluded.points, streak = excluded.streak,
             level = excluded.level, badges = excluded.badges,
             badges_notified = excluded.badges_notified, last_active = excluded.last_active,
             updated_at = excluded.updated_at",
    )?;
    stmt.execute(params![
        customer.id,
        customer.name,
        customer.email,
        customer.locale,
        customer.time_zone,
        customer.phone,
        customer.push_endpoint_arn,
        customer.sms_opt_in,
        customer.push_opt_in,
        customer.points,
        customer.streak,
        customer.level,
        json_list(&customer.badges),
        json_list(&customer.badges_notified),
        customer.last_active,
        now,
    ])?;
    Ok(())
}

/// Loads one customer.
pub fn get(conn: &Connection, id: &str) -> Result<Customer> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM customers WHERE id = ?1"),
        [id],
        |r| from_row(r, 0),
    )
    .optional()?
    .ok_or_else(|| Error::CustomerNotFound(id.to_string()))
}

pub(crate) fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// Deletes the customer rows of `ids` (a privacy erasure: every id of one
/// person); how many there were. Recipient rows of past campaigns stay, as
/// the campaigns' ledger.
pub fn forget(conn: &Connection, ids: &[String]) -> rusqlite::Result<u64> {
    let mut stmt = conn.prepare_cached("DELETE FROM customers WHERE id = ?1")?;
    let mut n = 0;
    for id in ids {
        n += stmt.execute([id])? as u64;
    }
    Ok(n)
}
