//! The identity graph: a customer's timeline holds their anonymous events
//! before login and every device; the graph is the same whatever order the
//! batches arrive in, after a rebuild, and after upgrading an old cache.

#![allow(clippy::unwrap_used)]

mod support;

use rusqlite::Connection;
use serde_json::{json, Value};
use stratus_core::db::Db;
use stratus_events::browse::customers::customer_summary;
use stratus_events::browse::filter::EventFilter;
use stratus_events::browse::page::events_page;
use stratus_events::browse::person::person_card;
use stratus_events::browse::sessions::sessions;
use stratus_events::collector::gzip;
use stratus_events::envelope::format_millis;
use stratus_events::sync::batch_reader::read_batch;
use stratus_events::sync::identity::graph::{ensure_built, rebuild};
use stratus_events::sync::ledger::{ingest_objects, FetchedObject};
use support::{event_id, T0};

const MIN: i64 = 60_000;

fn event(
    n: u128,
    kind: &str,
    name: &str,
    dist: Option<&str>,
    anon: Option<&str>,
    at: i64,
) -> Value {
    let mut e = json!({
        "event_id": event_id(n), "type": kind, "event": name,
        "session_id": format!("s-{}", anon.or(dist).unwrap()),
        "received_at": format_millis(at + 100), "ts": format_millis(at),
        "properties": {}, "context": {"library": {"name": "stratus.js", "version": "0.4.2"}},
    });
    if let Some(d) = dist {
        e["distinct_id"] = json!(d);
    }
    if let Some(a) = anon {
        e["anonymous_id"] = json!(a);
    }
    e
}

/// Three batches of one shopper: two devices browse anonymously, the first
/// logs in (identify), the second is aliased to the user, a third person
/// shares nothing. Plus a group call and traits.
fn batches() -> Vec<Vec<Value>> {
    let mut identify = event(
        10,
        "identify",
        "$identify",
        Some("user-9"),
        Some("anon-laptop"),
        T0 + 10 * MIN,
    );
    identify["properties"] = json!({"email": "ann@example.com", "plan": "free"});
    let mut alias = event(
        20,
        "alias",
        "$create_alias",
        Some("user-9"),
        None,
        T0 + 20 * MIN,
    );
    alias["previous_id"] = json!("anon-phone");
    let mut set = event(22, "track", "$set", Some("user-9"), None, T0 + 22 * MIN);
    set["properties"] =
        json!({"$set.plan": "pro", "$set_once.plan": "ignored", "$set.marketing_consent": true});
    let mut group = event(
        23,
        "group",
        "$groupidentify",
        Some("user-9"),
        None,
        T0 + 23 * MIN,
    );
    group["group_id"] = json!("acme");
    vec![
        vec![
            event(1, "page", "$pageview", None, Some("anon-laptop"), T0),
            event(
                2,
                "track",
                "Product Added",
                None,
                Some("anon-laptop"),
                T0 + MIN,
            ),
            event(
                3,
                "page",
                "$pageview",
                None,
                Some("anon-phone"),
                T0 + 2 * MIN,
            ),
            event(
                4,
                "track",
                "Clicked",
                Some("someone-else"),
                None,
                T0 + 3 * MIN,
            ),
        ],
        vec![
            identify,
            event(
                11,
                "track",
                "Order Completed",
                Some("user-9"),
                Some("anon-laptop"),
                T0 + 11 * MIN,
            ),
        ],
        vec![
            alias,
            event(21, "track", "Reviewed", Some("user-9"), None, T0 + 21 * MIN),
            set,
            group,
        ],
    ]
}

fn fetched(n: usize, lines: &[Value]) -> FetchedObject {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    FetchedObject {
        key: format!("events/v1/dt=2026-11-26/hh=15/{n}.ndjson.gz"),
        etag: format!("e{n}"),
        size: 1,
        batch: read_batch(&gzip(text.as_bytes()).unwrap()),
        moves_watermark: true,
    }
}

/// Every linked id's (person, user flag), and every event's person, sorted.
type Graph = (Vec<(String, String, i64)>, Vec<(String, String)>);

fn graph(conn: &Connection) -> Graph {
    let ids = conn
        .prepare("SELECT id, person, user FROM identities ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    let events = conn
        .prepare("SELECT event_id, person FROM events ORDER BY event_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    (ids, events)
}

fn synced(order: &[usize]) -> Db {
    let db = Db::open_in_memory().unwrap();
    let all = batches();
    db.call_blocking(|conn| -> stratus_events::Result<_> {
        for &n in order {
            // One transaction per object, as a live tail would.
            ingest_objects(conn, "events/v1/", &[fetched(n, &all[n])])?;
        }
        Ok(())
    })
    .unwrap();
    db
}

fn timeline(conn: &Connection, id: &str) -> Vec<String> {
    let filter = EventFilter {
        distinct_id: Some(id.into()),
        ..EventFilter::default()
    };
    let page = events_page(conn, &filter, None, 100).unwrap();
    page.events.iter().rev().map(|e| e.event.clone()).collect()
}

#[test]
fn the_timeline_holds_the_anonymous_events_before_login_and_every_device() {
    let db = synced(&[0, 1, 2]);
    db.call_blocking(|conn| -> stratus_events::Result<_> {
        let story = [
            "$pageview",
            "Product Added",
            "$pageview",
            "$identify",
            "Order Completed",
            "$create_alias",
            "Reviewed",
            "$set",
            "$groupidentify",
        ];
        // By any of the person's ids, oldest first.
        for id in ["user-9", "anon-laptop", "anon-phone"] {
            assert_eq!(timeline(conn, id), story, "timeline of {id}");
        }
        assert_eq!(timeline(conn, "someone-else"), ["Clicked"]);
        // A group does not merge its members.
        assert!(timeline(conn, "acme").is_empty());
        let summary = customer_summary(conn, "anon-phone")?.unwrap();
        assert_eq!(
            (summary.distinct_id.as_str(), summary.events, summary.ids),
            ("user-9", 9, 3)
        );
        let sessions = sessions(conn, "anon-laptop", None, 10)?;
        assert_eq!(
            sessions.len(),
            3,
            "laptop, phone and the user's own: {sessions:?}"
        );

        let card = person_card(conn, "anon-laptop")?.unwrap();
        assert_eq!(card.person, "user-9");
        let ids: Vec<_> = card.ids.iter().map(|i| (i.id.as_str(), i.user)).collect();
        assert_eq!(
            ids,
            [
                ("anon-laptop", false),
                ("anon-phone", false),
                ("user-9", true)
            ]
        );
        let links: Vec<_> = card
            .links
            .iter()
            .map(|l| (l.kind.as_str(), l.id.as_str(), l.other.as_str(), l.at))
            .collect();
        assert_eq!(
            links,
            [
                ("identify", "user-9", "anon-laptop", T0 + 10 * MIN),
                ("alias", "user-9", "anon-phone", T0 + 20 * MIN),
                ("group", "user-9", "acme", T0 + 23 * MIN),
            ]
        );
        let traits: Vec<_> = card
            .traits
            .iter()
            .map(|t| (t.name.as_str(), t.value.as_str(), t.set_at))
            .collect();
        assert_eq!(
            traits,
            [
                ("email", "\"ann@example.com\"", T0 + 10 * MIN),
                ("marketing_consent", "true", T0 + 22 * MIN),
                ("plan", "\"pro\"", T0 + 22 * MIN),
            ],
            "the latest value of each; $set_once does not overwrite"
        );
        assert_eq!(card.consent.len(), 1, "{:?}", card.consent);
        let devices: Vec<_> = card
            .devices
            .iter()
            .map(|d| (d.id.as_str(), d.events))
            .collect();
        assert_eq!(
            devices,
            [("anon-laptop", 4), ("anon-phone", 1), ("user-9", 4)]
        );
        assert_eq!(card.devices[0].library.as_deref(), Some("stratus.js 0.4.2"));
        assert_eq!(
            (card.first_ts, card.last_ts, card.events),
            (Some(T0), Some(T0 + 23 * MIN), 9)
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn the_graph_is_the_same_whatever_order_the_batches_arrive_in() {
    let expected = synced(&[0, 1, 2])
        .call_blocking(|c| -> stratus_events::Result<_> { Ok(graph(c)) })
        .unwrap();
    assert_eq!(expected.0.len(), 3);
    for order in [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        let db = synced(&order);
        let got = db
            .call_blocking(|c| -> stratus_events::Result<_> { Ok(graph(c)) })
            .unwrap();
        assert_eq!(got, expected, "order {order:?}");
        // Re-ingesting (a full re-sync) and a rebuild change nothing.
        let again = db
            .call_blocking(|c| -> stratus_events::Result<_> {
                ingest_objects(
                    c,
                    "events/v1/",
                    &[fetched(0, &batches()[0]), fetched(2, &batches()[2])],
                )?;
                let after_resync = graph(c);
                rebuild(c)?;
                Ok((after_resync, graph(c)))
            })
            .unwrap();
        assert_eq!(
            again,
            (expected.clone(), expected.clone()),
            "order {order:?}"
        );
    }
}

#[test]
fn a_user_id_that_sorts_first_names_the_person_whichever_link_came_first() {
    // Two user ids joined by an alias: the smaller one is the person id,
    // whether the alias or the identify arrives first.
    let mut identify = event(1, "identify", "$identify", Some("b-user"), Some("anon"), T0);
    identify["properties"] = json!({});
    let mut alias = event(2, "alias", "$create_alias", Some("a-user"), None, T0 + MIN);
    alias["previous_id"] = json!("b-user");
    for order in [[&identify, &alias], [&alias, &identify]] {
        let db = Db::open_in_memory().unwrap();
        let persons = db
            .call_blocking(|c| -> stratus_events::Result<_> {
                for (n, e) in order.iter().enumerate() {
                    ingest_objects(c, "events/v1/", &[fetched(n, &[(*e).clone()])])?;
                }
                Ok(graph(c))
            })
            .unwrap();
        assert!(
            persons.0.iter().all(|(_, p, _)| p == "a-user"),
            "{persons:?}"
        );
        assert!(persons.1.iter().all(|(_, p)| p == "a-user"), "{persons:?}");
    }
}

#[test]
fn an_old_cache_is_upgraded_and_its_graph_built_from_the_cached_identifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stratus.sqlite");
    {
        // A cache at schema version 10, before the identity graph.
        let conn = Connection::open(&path).unwrap();
        for sql in [
            include_str!("../../stratus-core/migrations/0001_core.sql"),
            include_str!("../../stratus-core/migrations/0002_events.sql"),
            include_str!("../../stratus-core/migrations/0003_campaigns.sql"),
            include_str!("../../stratus-core/migrations/0004_media.sql"),
            include_str!("../../stratus-core/migrations/0005_campaign_progress.sql"),
            include_str!("../../stratus-core/migrations/0006_events_fts_bulk.sql"),
            include_str!("../../stratus-core/migrations/0007_events_compact.sql"),
            include_str!("../../stratus-core/migrations/0008_sync_sweep.sql"),
            include_str!("../../stratus-core/migrations/0009_job_error_code.sql"),
            include_str!("../../stratus-core/migrations/0010_write_keys.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 10).unwrap();
        conn.execute_batch(
            "INSERT INTO sync_ledger (key, etag, size, lines, inserted, bad_lines, status, ingested_at)
                 VALUES ('k', 'e', 1, 4, 4, 0, 'ingested', 0);
             INSERT INTO events (event_id, ts, received_at, event, type, distinct_id, anonymous_id, properties, extra, batch) VALUES
                 ('e1', 1, 1, 'Viewed', 'page', NULL, 'anon-1', '{}', '{}', 1),
                 ('e2', 2, 2, '$identify', 'identify', 'cust-1', 'anon-1', '{}', '{}', 1),
                 ('e3', 3, 3, 'Viewed', 'page', 'anon-2', NULL, '{}', '{}', 1),
                 ('e4', 4, 4, '$identify', 'identify', 'cust-1', NULL, '{\"$anon_distinct_id\":\"anon-2\"}', '{}', 1);
             INSERT INTO events_fts (rowid, event, properties, url) SELECT rowid, event, properties, url FROM events;",
        )
        .unwrap();
    }
    let db = Db::open(&path).unwrap();
    let (built, timeline_ids, fts) = db
        .call_blocking(|c| -> stratus_events::Result<_> {
            let built = ensure_built(c)?;
            let filter = EventFilter {
                distinct_id: Some("anon-2".into()),
                ..EventFilter::default()
            };
            let ids: Vec<String> = events_page(c, &filter, None, 10)?
                .events
                .into_iter()
                .map(|e| e.event_id)
                .collect();
            // The full-text index still points at the right rows.
            let fts = EventFilter {
                search: Some("viewed".into()),
                ..EventFilter::default()
            };
            let found = events_page(c, &fts, None, 10)?.events.len();
            Ok((built, ids, found))
        })
        .unwrap();
    assert!(built, "the first open after the upgrade builds the graph");
    assert_eq!(timeline_ids, ["e4", "e3", "e2", "e1"]);
    assert_eq!(fts, 2);
    let again = db
        .call_blocking(|c| -> stratus_events::Result<_> { Ok(ensure_built(c)?) })
        .unwrap();
    assert!(!again, "built once");
}
