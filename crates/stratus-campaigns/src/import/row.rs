//! One row of an import file: header names mapped to customer fields, and
//! each value validated into a [`Customer`] or a reason it is refused.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use super::{BadRow, ImportOptions, Parsed};
use crate::customer::Customer;
use crate::phone;
use crate::push::Platform;

/// A customer field that a file can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Field {
    Id,
    Name,
    Email,
    Locale,
    TimeZone,
    Phone,
    PushEndpointArn,
    /// A device token: stored as a device, registered with SNS after the import.
    PushToken,
    /// The token's platform (apns, apns_sandbox, fcm).
    PushPlatform,
    SmsOptIn,
    PushOptIn,
    Points,
    Streak,
    Level,
    Badges,
    LastActive,
}

impl Field {
    /// Maps a header (any case, spaces/dashes/underscores alike) to a field.
    pub(super) fn from_header(header: &str) -> Option<Field> {
        let key: String = header
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
            .collect();
        Some(match key.as_str() {
            "id" | "customerid" | "userid" | "customer" => Field::Id,
            "name" | "fullname" | "customername" | "displayname" => Field::Name,
            "email" | "emailaddress" | "mail" => Field::Email,
            "locale" | "language" | "lang" => Field::Locale,
            "timezone" | "tz" | "zone" => Field::TimeZone,
            "phone" | "phonenumber" | "mobile" | "mobilephone" | "cell" | "msisdn" | "tel" => {
                Field::Phone
            }
            "pushendpointarn" | "endpointarn" | "pushendpoint" | "pusharn" => {
                Field::PushEndpointArn
            }
            "pushtoken" | "devicetoken" | "token" => Field::PushToken,
            "pushplatform" | "deviceplatform" | "platform" => Field::PushPlatform,
            "smsoptin" | "optinsms" | "smsconsent" | "sms" => Field::SmsOptIn,
            "pushoptin" | "optinpush" | "pushconsent" | "push" => Field::PushOptIn,
            "points" | "score" => Field::Points,
            "streak" | "streakdays" => Field::Streak,
            "level" | "tier" => Field::Level,
            "badges" | "badge" => Field::Badges,
            "lastactive" | "lastactiveat" | "lastseen" | "lastactivity" => Field::LastActive,
            _ => return None,
        })
    }

    /// The column this field is stored in (a fixed name: never user text).
    /// Whether the field is a column of `customers` (the device fields are not).
    pub(super) fn is_customer_column(self) -> bool {
        !matches!(self, Field::PushToken | Field::PushPlatform)
    }

    pub(super) fn column(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Name => "name",
            Field::Email => "email",
            Field::Locale => "locale",
            Field::TimeZone => "time_zone",
            Field::Phone => "phone",
            Field::PushEndpointArn => "push_endpoint_arn",
            // Not customer columns: stored in `push_devices`.
            Field::PushToken => "push_token",
            Field::PushPlatform => "push_platform",
            Field::SmsOptIn => "sms_opt_in",
            Field::PushOptIn => "push_opt_in",
            Field::Points => "points",
            Field::Streak => "streak",
            Field::Level => "level",
            Field::Badges => "badges",
            Field::LastActive => "last_active",
        }
    }
}

/// Validates rows one by one and remembers ids already seen in this file.
pub(super) struct Collector<'a> {
    options: &'a ImportOptions,
    rows: Vec<Customer>,
    devices: Vec<ImportedDevice>,
    bad_rows: Vec<BadRow>,
    seen: HashMap<String, u64>,
}

/// A device token given on an import row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ImportedDevice {
    pub customer_id: String,
    pub platform: Platform,
    pub token: String,
}

impl<'a> Collector<'a> {
    pub(super) fn new(options: &'a ImportOptions) -> Self {
        Collector {
            options,
            rows: Vec::new(),
            devices: Vec::new(),
            bad_rows: Vec::new(),
            seen: HashMap::new(),
        }
    }

    pub(super) fn refuse(&mut self, line: u64, customer_id: Option<String>, reason: String) {
        self.bad_rows.push(BadRow {
            line,
            customer_id,
            reason,
        });
    }

    pub(super) fn add(&mut self, line: u64, values: Vec<(Field, String)>) {
        let id = values
            .iter()
            .find(|(f, _)| *f == Field::Id)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let Some(id) = id else {
            self.refuse(line, None, "the customer id is missing".into());
            return;
        };
        if let Some(first) = self.seen.get(&id) {
            let reason = format!("customer id `{id}` appears again (first on line {first})");
            self.refuse(line, Some(id), reason);
            return;
        }
        self.seen.insert(id.clone(), line);
        let mut customer = Customer::new(id.clone(), "");
        let mut errors = Vec::new();
        let mut has_name = false;
        let device = device_of(&id, &values);
        if let Err(reason) = &device {
            errors.push(reason.clone());
        }
        for (field, raw) in values {
            if !field.is_customer_column() {
                continue;
            }
            match set_field(&mut customer, field, raw.trim(), self.options) {
                Ok(()) => has_name |= field == Field::Name,
                Err(reason) => errors.push(reason),
            }
        }
        if !has_name || customer.name.is_empty() {
            errors.push("the name is missing".into());
        }
        if errors.is_empty() {
            self.rows.push(customer);
            self.devices.extend(device.ok().flatten());
        } else {
            self.refuse(line, Some(id), errors.join("; "));
        }
    }

    pub(super) fn finish(self, fields: BTreeSet<Field>, ignored_columns: Vec<String>) -> Parsed {
        Parsed {
            rows: self.rows,
            devices: self.devices,
            fields,
            bad_rows: self.bad_rows,
            ignored_columns,
        }
    }
}

/// The row's device token and platform: both or neither.
fn device_of(
    id: &str,
    values: &[(Field, String)],
) -> std::result::Result<Option<ImportedDevice>, String> {
    let value = |wanted: Field| {
        values
            .iter()
            .find(|(f, _)| *f == wanted)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    match (value(Field::PushToken), value(Field::PushPlatform)) {
        (None, None) => Ok(None),
        (Some(token), Some(platform)) => {
            let platform = Platform::parse(platform).map_err(|e| e.to_string())?;
            if platform == Platform::Other {
                return Err("push platform must be apns, apns_sandbox or fcm".into());
            }
            Ok(Some(ImportedDevice {
                customer_id: id.to_string(),
                platform,
                token: token.to_string(),
            }))
        }
        (Some(_), None) => {
            Err("a push token needs its push platform (apns, apns_sandbox or fcm)".into())
        }
        (None, Some(_)) => Err("a push platform needs its push token".into()),
    }
}

fn set_field(
    c: &mut Customer,
    field: Field,
    raw: &str,
    options: &ImportOptions,
) -> std::result::Result<(), String> {
    let optional = |raw: &str| (!raw.is_empty()).then(|| raw.to_string());
    match field {
        Field::Id => {}
        Field::Name => c.name = raw.to_string(),
        Field::Email => {
            if !raw.is_empty() && !raw.contains('@') {
                return Err(format!("email `{raw}` has no @"));
            }
            c.email = optional(raw);
        }
        Field::Locale => {
            c.locale = if raw.is_empty() {
                "en".into()
            } else {
                raw.to_string()
            }
        }
        Field::TimeZone => {
            if !raw.is_empty() {
                chrono_tz::Tz::from_str(raw).map_err(|_| {
                    format!("time zone `{raw}` is unknown (use an IANA name such as Europe/Berlin)")
                })?;
                c.time_zone = raw.to_string();
            }
        }
        Field::Phone => {
            c.phone = match raw {
                "" => None,
                _ => Some(phone::normalize(raw, options.default_region.as_deref())?),
            }
        }
        Field::PushEndpointArn => {
            if !raw.is_empty() && !raw.starts_with("arn:") {
                return Err(format!("push endpoint `{raw}` is not an ARN"));
            }
            c.push_endpoint_arn = optional(raw);
        }
        Field::SmsOptIn => c.sms_opt_in = parse_bool(raw)?,
        Field::PushOptIn => c.push_opt_in = parse_bool(raw)?,
        Field::Points => c.points = parse_count(raw, "points")?,
        Field::Streak => c.streak = parse_count(raw, "streak")?,
        Field::Level => {
            c.level = if raw.is_empty() {
                "bronze".into()
            } else {
                raw.to_lowercase()
            }
        }
        Field::Badges => c.badges = parse_badges(raw)?,
        Field::LastActive => c.last_active = parse_time(raw)?,
        Field::PushToken | Field::PushPlatform => {}
    }
    Ok(())
}

fn parse_bool(raw: &str) -> std::result::Result<bool, String> {
    match raw.to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" | "n" | "f" => Ok(false),
        "1" | "true" | "yes" | "y" | "t" => Ok(true),
        _ => Err(format!("`{raw}` is not yes/no")),
    }
}

fn parse_count(raw: &str, what: &str) -> std::result::Result<i64, String> {
    match raw {
        "" => Ok(0),
        _ => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("{what} `{raw}` is not a whole number ≥ 0")),
    }
}

/// A JSON array, or names separated by `;` or `|`.
fn parse_badges(raw: &str) -> std::result::Result<Vec<String>, String> {
    if raw.starts_with('[') {
        return serde_json::from_str::<Vec<String>>(raw)
            .map_err(|_| format!("badges `{raw}` is not a list of names"));
    }
    Ok(raw
        .split([';', '|'])
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_string)
        .collect())
}

/// Unix ms (or seconds, when too small to be ms), RFC 3339, or a date (UTC midnight).
fn parse_time(raw: &str) -> std::result::Result<Option<i64>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = raw.parse::<i64>() {
        return Ok(Some(if n < 100_000_000_000 { n * 1000 } else { n }));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.timestamp_millis()));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis()));
    }
    Err(format!(
        "last active `{raw}` is not a date (use 2024-05-31, RFC 3339 or Unix ms)"
    ))
}
