//! The filters `query`, `export`, `facets` and `views save` share, as the
//! support screen has them; `--view` starts from a saved view.

use anyhow::{anyhow, bail, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use stratus_core::clock::now_millis;
use stratus_core::db::Db;
use stratus_events::browse::filter::EventFilter;
use stratus_events::browse::views::get_view;
use stratus_events::Error as EventsError;

#[derive(Args, Debug, Clone)]
pub struct FilterArgs {
    /// One customer's events (their distinct id), e.g. cust-00042.
    #[arg(long, visible_alias = "distinct-id", value_name = "ID")]
    customer: Option<String>,
    /// One session's events.
    #[arg(long, value_name = "ID")]
    session: Option<String>,
    /// Event name; repeat or separate with commas for any of several.
    #[arg(
        long = "event",
        short = 'e',
        value_name = "NAME",
        value_delimiter = ','
    )]
    events: Vec<String>,
    /// From this time on: RFC 3339, a date (UTC), or an age like 30m, 24h, 7d.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Property equals value, `key=value`; repeat to require several.
    #[arg(long = "prop", short = 'p', value_name = "KEY=VALUE")]
    properties: Vec<String>,
    /// Free text over name, properties and url (every word, the last as a prefix).
    #[arg(long, short = 's', value_name = "TEXT")]
    search: Option<String>,
    /// Start from this saved view (`stratus events views list`); the other
    /// flags given replace its parts (`--prop` adds to its properties).
    #[arg(long, value_name = "NAME")]
    view: Option<String>,
}

impl FilterArgs {
    /// The filter: the saved view named by `--view` (if any) with the flags
    /// given laid over it.
    pub async fn filter_in(&self, db: &Db) -> Result<EventFilter> {
        let flags = self.to_filter()?;
        let Some(name) = self.view.clone() else {
            return Ok(flags);
        };
        let view = db
            .call(move |c| -> stratus_events::Result<_> {
                get_view(c, &name)?.ok_or(EventsError::ViewNotFound(name))
            })
            .await?;
        let base = view.filter;
        Ok(EventFilter {
            distinct_id: flags.distinct_id.or(base.distinct_id),
            session_id: flags.session_id.or(base.session_id),
            events: if flags.events.is_empty() {
                base.events
            } else {
                flags.events
            },
            from_ms: flags.from_ms.or(base.from_ms),
            to_ms: flags.to_ms.or(base.to_ms),
            properties: base
                .properties
                .into_iter()
                .chain(flags.properties)
                .collect(),
            search: flags.search.or(base.search),
        })
    }

    /// The filter of the flags alone (`--view` aside).
    pub fn to_filter(&self) -> Result<EventFilter> {
        let now = now_millis();
        let properties = self
            .properties
            .iter()
            .map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                    .ok_or_else(|| anyhow!("--prop `{p}` must be key=value"))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(EventFilter {
            distinct_id: self.customer.clone(),
            session_id: self.session.clone(),
            events: self
                .events
                .iter()
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect(),
            from_ms: self
                .since
                .as_deref()
                .map(|t| parse_time(t, now))
                .transpose()?,
            to_ms: self
                .until
                .as_deref()
                .map(|t| parse_time(t, now))
                .transpose()?,
            properties,
            search: self.search.clone().filter(|s| !s.trim().is_empty()),
        })
    }
}

/// RFC 3339, `YYYY-MM-DD` (midnight UTC), or an age before `now_ms`
/// (`90s`, `30m`, `24h`, `7d`, `2w`), to unix ms.
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    let unit_ms = match text.chars().last() {
        Some('s') => 1_000,
        Some('m') => 60_000,
        Some('h') => 3_600_000,
        Some('d') => 86_400_000,
        Some('w') => 7 * 86_400_000,
        _ => bail!(
            "`{text}` is not a time: use RFC 3339 (2026-11-26T15:00:00Z), a date (2026-11-26) or an age (30m, 24h, 7d)"
        ),
    };
    let amount: i64 = text[..text.len() - 1]
        .parse()
        .map_err(|_| anyhow!("`{text}` is not an age like 30m, 24h or 7d"))?;
    Ok(now_ms - amount.saturating_mul(unit_ms))
}

/// Unix ms as RFC 3339 UTC with milliseconds.
pub fn format_time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_every_documented_form() {
        let now = 1_795_705_200_000; // 2026-11-26T15:00:00Z
        assert_eq!(parse_time("2026-11-26T15:00:00Z", 0).unwrap(), now);
        assert_eq!(parse_time("2026-11-26T16:00:00+01:00", 0).unwrap(), now);
        assert_eq!(parse_time("2026-11-26", 0).unwrap(), now - 15 * 3_600_000);
        assert_eq!(parse_time("24h", now).unwrap(), now - 86_400_000);
        assert_eq!(parse_time("7d", now).unwrap(), now - 7 * 86_400_000);
        assert_eq!(parse_time("30m", now).unwrap(), now - 1_800_000);
        assert!(parse_time("yesterday", now).is_err());
        assert!(parse_time("xd", now).is_err());
    }
}
