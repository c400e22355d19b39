//! The person card: everything the cache knows of one person (all ids of
//! the identity graph): their ids and how each was linked, traits (latest
//! value of each and when it was set), devices and platforms, first and last
//! seen, sessions, consent flags and the customer directory's fields.
//! Campaigns they received come from stratus-campaigns; the shell adds them.

use std::collections::BTreeMap;

use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Result;
use crate::sync::identity::graph::person_of;

/// One id of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonId {
    pub id: String,
    /// A user id (named by an identify or an alias), not only an anonymous one.
    pub user: bool,
}

/// How two ids were linked: "linked by identify on …".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonLink {
    /// `identify`, `alias` or `group`.
    pub kind: String,
    /// The user id, the new id, the member.
    pub id: String,
    /// The anonymous id, the previous id, the account.
    pub other: String,
    /// The linking event's time, unix ms.
    pub at: i64,
    pub event_id: String,
}

/// A trait's latest value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonTrait {
    pub name: String,
    /// JSON text of the value.
    pub value: String,
    /// When it was set (the event's ts), unix ms.
    pub set_at: i64,
    pub event_id: String,
}

/// One device (an anonymous id, or the id events came from) and what it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonDevice {
    pub id: String,
    /// The tracker or SDK (`context.library`), latest seen.
    pub library: Option<String>,
    /// `$os` / `$browser` / `$device_type` properties, latest seen.
    pub os: Option<String>,
    pub browser: Option<String>,
    pub device_type: Option<String>,
    pub events: u64,
    pub first_ts: i64,
    pub last_ts: i64,
}

/// The customer directory's row (campaign imports), when it has the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryEntry {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub level: Option<String>,
    pub points: Option<i64>,
    pub streak: Option<i64>,
    pub sms_opt_in: bool,
    pub push_opt_in: bool,
}

/// A consent flag: from the directory (SMS, push) or a trait naming consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentFlag {
    pub name: String,
    /// JSON text of the value (`true`, `false`, `"granted"` …).
    pub value: String,
    /// `directory` or `trait`.
    pub source: &'static str,
    pub set_at: Option<i64>,
}

/// Everything on the person card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonCard {
    /// The person id (see `sync/identity/graph.rs`).
    pub person: String,
    pub ids: Vec<PersonId>,
    /// Every identify, alias and group link touching the person, oldest first.
    pub links: Vec<PersonLink>,
    pub traits: Vec<PersonTrait>,
    pub devices: Vec<PersonDevice>,
    pub events: u64,
    pub sessions: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub consent: Vec<ConsentFlag>,
    pub directory: Option<DirectoryEntry>,
}

/// Every id of the person `person` (a person id), sorted; just `person`
/// when no link joined it to anything.
pub fn person_ids(conn: &Connection, person: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM identities WHERE person = ?1 ORDER BY id")?;
    let ids = stmt
        .query_map([person], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(if ids.is_empty() {
        vec![person.to_string()]
    } else {
        ids
    })
}

/// The directory row of the first of `ids` the directory has (the person
/// id comes first when it is one of them), if the profile has a directory.
pub fn directory_entry(conn: &Connection, ids: &[String]) -> Result<Option<DirectoryEntry>> {
    let exists: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'customers'",
        [],
        |r| r.get(0),
    )?;
    if exists == 0 || ids.is_empty() {
        return Ok(None);
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let sql = format!(
        "SELECT id, name, email, locale, time_zone, level, points, streak, sms_opt_in, push_opt_in
         FROM customers WHERE id IN ({marks}) ORDER BY id LIMIT 1"
    );
    Ok(conn
        .query_row(&sql, params_from_iter(ids), |r| {
            Ok(DirectoryEntry {
                id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                locale: r.get(3)?,
                time_zone: r.get(4)?,
                level: r.get(5)?,
                points: r.get(6)?,
                streak: r.get(7)?,
                sms_opt_in: r.get::<_, i64>(8)? == 1,
                push_opt_in: r.get::<_, i64>(9)? == 1,
            })
        })
        .optional()?)
}

/// The card of the person `id` (any of their ids) belongs to, or `None`
/// when neither the events nor the directory know the id.
pub fn person_card(conn: &Connection, id: &str) -> Result<Option<PersonCard>> {
    let person = person_of(conn, id)?;
    let ids = person_ids(conn, &person)?;
    let users: Vec<String> = {
        let mut stmt =
            conn.prepare_cached("SELECT id FROM identities WHERE person = ?1 AND user = 1")?;
        let rows = stmt.query_map([&person], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let links = links_of(conn, &ids)?;
    let history = History::read(conn, &person)?;
    let directory = directory_entry(conn, &ids)?;
    if history.events == 0 && directory.is_none() {
        return Ok(None);
    }
    let mut consent = Vec::new();
    if let Some(d) = &directory {
        for (name, on) in [("sms_opt_in", d.sms_opt_in), ("push_opt_in", d.push_opt_in)] {
            consent.push(ConsentFlag {
                name: name.into(),
                value: on.to_string(),
                source: "directory",
                set_at: None,
            });
        }
    }
    let traits: Vec<PersonTrait> = history.traits.into_values().collect();
    for t in &traits {
        let name = t.name.to_lowercase();
        if name.contains("consent") || name.contains("opt_in") || name.contains("optin") {
            consent.push(ConsentFlag {
                name: t.name.clone(),
                value: t.value.clone(),
                source: "trait",
                set_at: Some(t.set_at),
            });
        }
    }
    Ok(Some(PersonCard {
        ids: ids
            .iter()
            .map(|i| PersonId {
                id: i.clone(),
                user: users.contains(i),
            })
            .collect(),
        person,
        links,
        traits,
        devices: history.devices.into_values().collect(),
        events: history.events,
        sessions: history.sessions,
        first_ts: history.first_ts,
        last_ts: history.last_ts,
        consent,
        directory,
    }))
}

/// Links touching any of `ids`, oldest first.
fn links_of(conn: &Connection, ids: &[String]) -> Result<Vec<PersonLink>> {
    let marks = vec!["?"; ids.len()].join(", ");
    let sql = format!(
        "SELECT kind, id, other, at, event_id FROM identity_links
         WHERE id IN ({marks}) OR other IN ({marks}) ORDER BY at, event_id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(ids.iter().chain(ids)), |r| {
        Ok(PersonLink {
            kind: r.get(0)?,
            id: r.get(1)?,
            other: r.get(2)?,
            at: r.get(3)?,
            event_id: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What one pass over a person's events, oldest first, gathers.
#[derive(Default)]
struct History {
    events: u64,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    sessions: u64,
    traits: BTreeMap<String, PersonTrait>,
    devices: BTreeMap<String, PersonDevice>,
}

impl History {
    fn read(conn: &Connection, person: &str) -> Result<History> {
        let mut h = History::default();
        let mut sessions = std::collections::HashSet::new();
        let mut stmt = conn.prepare_cached(
            "SELECT event_id, ts, type, coalesce(anonymous_id, distinct_id), session_id, properties,
                    json_extract(extra, '$.context.library')
             FROM events WHERE person = ?1 ORDER BY ts, rowid",
        )?;
        let mut rows = stmt.query([person])?;
        while let Some(r) = rows.next()? {
            let event_id: String = r.get(0)?;
            let ts: i64 = r.get(1)?;
            let kind: String = r.get(2)?;
            let device: Option<String> = r.get(3)?;
            let session: Option<String> = r.get(4)?;
            let properties: Map<String, Value> =
                serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default();
            let library: Option<String> = r.get::<_, Option<String>>(6)?.map(|l| library_name(&l));
            h.events += 1;
            h.first_ts.get_or_insert(ts);
            h.last_ts = Some(ts);
            if let Some(s) = session {
                sessions.insert(s);
            }
            h.take_traits(&event_id, ts, &kind, &properties);
            if let Some(id) = device {
                let d = h.devices.entry(id.clone()).or_insert(PersonDevice {
                    id,
                    library: None,
                    os: None,
                    browser: None,
                    device_type: None,
                    events: 0,
                    first_ts: ts,
                    last_ts: ts,
                });
                d.events += 1;
                d.last_ts = ts;
                let text = |k: &str| properties.get(k).and_then(Value::as_str).map(String::from);
                d.library = library.or(d.library.take());
                d.os = text("$os").or(d.os.take());
                d.browser = text("$browser").or(d.browser.take());
                d.device_type = text("$device_type").or(d.device_type.take());
            }
        }
        h.sessions = sessions.len() as u64;
        Ok(h)
    }

    /// Traits: an identify's properties (not `$` ones), and `$set.<name>` /
    /// `$set_once.<name>` of any event; later events win, except `$set_once`.
    fn take_traits(
        &mut self,
        event_id: &str,
        ts: i64,
        kind: &str,
        properties: &Map<String, Value>,
    ) {
        for (key, value) in properties {
            let (name, once) = if let Some(n) = key.strip_prefix("$set.") {
                (n, false)
            } else if let Some(n) = key.strip_prefix("$set_once.") {
                (n, true)
            } else if kind == "identify" && !key.starts_with('$') {
                (key.as_str(), false)
            } else {
                continue;
            };
            if once && self.traits.contains_key(name) {
                continue;
            }
            self.traits.insert(
                name.to_string(),
                PersonTrait {
                    name: name.to_string(),
                    value: value.to_string(),
                    set_at: ts,
                    event_id: event_id.to_string(),
                },
            );
        }
    }
}

/// `context.library` is a name or `{name, version}`: the name and version.
fn library_name(json: &str) -> String {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(o)) => {
            let name = o.get("name").and_then(Value::as_str).unwrap_or("?");
            match o.get("version").and_then(Value::as_str) {
                Some(v) => format!("{name} {v}"),
                None => name.to_string(),
            }
        }
        Ok(Value::String(s)) => s,
        _ => json.to_string(),
    }
}
