//! Behaviour segments (`did …`) against the real events cache: random
//! events and identity links are ingested by the events crate's own sync
//! writer (the identity graph built as a sync builds it), random segments
//! are counted by the campaigns crate, and both are checked against a
//! brute-force evaluation over the same events in plain Rust. Then the
//! places that evaluate a segment — the live count, the dry run and a
//! launch's frozen audience — are checked to agree on a real profile.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use stratus_campaigns::campaign::{self, CampaignSpec, Channel};
use stratus_campaigns::customer::{self, Customer};
use stratus_campaigns::dry_run::{self, DryRunOptions};
use stratus_campaigns::gamify;
use stratus_campaigns::segment::{self, Segment};
use stratus_core::db::Db;
use stratus_events::collector::gzip;
use stratus_events::envelope::format_millis;
use stratus_events::sync::batch_reader::read_batch;
use stratus_events::sync::ledger::{ingest_objects, record_run, FetchedObject};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const EVENTS: [&str; 3] = ["Order Completed", "$pageview", "Signed Up"];
const WINDOWS: [Option<i64>; 5] = [
    None,
    Some(DAY),
    Some(36 * HOUR),
    Some(7 * DAY),
    Some(30 * DAY),
];

/// One generated event, as the brute force sees it.
#[derive(Debug, Clone)]
struct Ev {
    kind: &'static str,
    name: String,
    dist: Option<String>,
    anon: Option<String>,
    /// alias: the previous id it joins.
    previous: Option<String>,
    ts: i64,
}

/// The ids and events of one random world.
struct World {
    customers: Vec<(String, i64)>,
    events: Vec<Ev>,
}

fn world(rng: &mut ChaCha8Rng, now: i64) -> World {
    let users: Vec<String> = (0..8).map(|i| format!("u{i}")).collect();
    let anons: Vec<String> = (0..12).map(|i| format!("a{i}")).collect();
    let mut events = Vec::new();
    // Links: a few identifies (user ← anonymous) and an alias or two.
    for _ in 0..rng.random_range(0..7) {
        events.push(Ev {
            kind: "identify",
            name: "$identify".into(),
            dist: Some(users.choose(rng).unwrap().clone()),
            anon: Some(anons.choose(rng).unwrap().clone()),
            previous: None,
            ts: now - rng.random_range(0..40 * 24) * HOUR,
        });
    }
    for _ in 0..rng.random_range(0..3) {
        let (new, previous) = (users.choose(rng).unwrap(), anons.choose(rng).unwrap());
        events.push(Ev {
            kind: "alias",
            name: "$create_alias".into(),
            dist: Some(new.clone()),
            anon: None,
            previous: Some(previous.clone()),
            ts: now - rng.random_range(0..40 * 24) * HOUR,
        });
    }
    for _ in 0..rng.random_range(20..160) {
        let name = *EVENTS.choose(rng).unwrap();
        let (dist, anon) = match rng.random_range(0..3) {
            0 => (Some(users.choose(rng).unwrap().clone()), None),
            1 => (None, Some(anons.choose(rng).unwrap().clone())),
            _ => (
                Some(users.choose(rng).unwrap().clone()),
                Some(anons.choose(rng).unwrap().clone()),
            ),
        };
        events.push(Ev {
            kind: if name == "$pageview" { "page" } else { "track" },
            name: name.into(),
            dist,
            anon,
            previous: None,
            // Whole hours back: some land exactly on a window's edge.
            ts: now - rng.random_range(0..40 * 24) * HOUR,
        });
    }
    // Users, two anonymous visitors known to the directory, and someone
    // with no events at all.
    let mut customers: Vec<(String, i64)> = users
        .iter()
        .chain(&anons[..2])
        .map(|id| (id.clone(), rng.random_range(0..1000)))
        .collect();
    customers.push(("nobody".into(), 10));
    World { customers, events }
}

fn line(n: usize, e: &Ev) -> Value {
    let mut v = json!({
        "event_id": uuid::Uuid::from_u128(n as u128 + 1).to_string(),
        "type": e.kind, "event": e.name,
        "received_at": format_millis(e.ts + 100), "ts": format_millis(e.ts),
        "properties": {}, "context": {},
    });
    if let Some(d) = &e.dist {
        v["distinct_id"] = json!(d);
    }
    if let Some(a) = &e.anon {
        v["anonymous_id"] = json!(a);
    }
    if let Some(p) = &e.previous {
        v["previous_id"] = json!(p);
    }
    v
}

/// Writes the world through the events crate's sync writer, its events in
/// a few batch objects taken in a random order, and its customers.
fn ingest(db: &Db, world: &World, rng: &mut ChaCha8Rng) {
    let mut lines: Vec<(usize, Value)> = world
        .events
        .iter()
        .enumerate()
        .map(|(n, e)| (n, line(n, e)))
        .collect();
    // Shuffle so links and the events they merge arrive in any order.
    for i in (1..lines.len()).rev() {
        lines.swap(i, rng.random_range(0..=i));
    }
    let objects: Vec<FetchedObject> = lines
        .chunks(lines.len().div_ceil(3).max(1))
        .enumerate()
        .map(|(n, chunk)| {
            let text: String = chunk.iter().map(|(_, l)| format!("{l}\n")).collect();
            FetchedObject {
                key: format!("events/v1/dt=2026-11-26/hh=15/{n}.ndjson.gz"),
                etag: format!("e{n}"),
                size: 1,
                batch: read_batch(&gzip(text.as_bytes()).unwrap()),
                moves_watermark: true,
            }
        })
        .collect();
    db.call_blocking(|conn| -> stratus_events::Result<_> {
        for object in &objects {
            let ingested = ingest_objects(conn, "events/v1/", std::slice::from_ref(object))?;
            assert_eq!(ingested[0].inserted, object.batch.rows.len() as u64);
        }
        record_run(conn, "events/v1/", None)?;
        Ok(())
    })
    .unwrap();
    db.call_blocking(|conn| -> stratus_campaigns::Result<_> {
        for (id, points) in &world.customers {
            let mut c = Customer::new(id.clone(), id.clone());
            c.points = *points;
            c.phone = Some("+12025550100".into());
            customer::upsert(conn, &c, 1)?;
        }
        Ok(())
    })
    .unwrap();
}

/// The brute force: people as connected ids (identify and alias events
/// join two ids), an event belongs to its distinct id's person, else its
/// anonymous id's.
struct Brute {
    parent: BTreeMap<String, String>,
    events: Vec<Ev>,
}

impl Brute {
    fn new(events: &[Ev]) -> Self {
        let mut b = Brute {
            parent: BTreeMap::new(),
            events: events.to_vec(),
        };
        for e in events {
            match (e.kind, &e.dist, &e.anon, &e.previous) {
                ("identify", Some(d), Some(a), _) | ("alias", Some(d), _, Some(a)) => b.join(d, a),
                _ => {}
            }
        }
        b
    }

    fn root(&self, id: &str) -> String {
        let mut at = id.to_string();
        while let Some(up) = self.parent.get(&at) {
            at = up.clone();
        }
        at
    }

    fn join(&mut self, a: &str, b: &str) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent.insert(ra, rb);
        }
    }

    fn times(&self, customer: &str, name: &str, since: Option<i64>) -> i64 {
        let person = self.root(customer);
        self.events
            .iter()
            .filter(|e| e.name == name && since.is_none_or(|s| e.ts >= s))
            .filter(|e| {
                let id = e.dist.as_ref().or(e.anon.as_ref()).unwrap();
                self.root(id) == person
            })
            .count() as i64
    }
}

/// A random segment: its text (spelled loosely, as people type) and the
/// brute-force test it stands for.
enum Gen {
    Did {
        name: String,
        at_least: Option<i64>,
        at_most: Option<i64>,
        within: Option<i64>,
    },
    Points(i64),
    And(Box<Gen>, Box<Gen>),
    Or(Box<Gen>, Box<Gen>),
    Not(Box<Gen>),
}

fn gen(rng: &mut ChaCha8Rng, depth: u32) -> Gen {
    match rng.random_range(0..if depth == 0 { 6 } else { 9 }) {
        0 => Gen::Points(rng.random_range(0..1000)),
        6 => Gen::And(Box::new(gen(rng, depth - 1)), Box::new(gen(rng, depth - 1))),
        7 => Gen::Or(Box::new(gen(rng, depth - 1)), Box::new(gen(rng, depth - 1))),
        8 => Gen::Not(Box::new(gen(rng, depth - 1))),
        _ => {
            let name = if rng.random_range(0..8) == 0 {
                "Never Cached".to_string()
            } else {
                EVENTS.choose(rng).unwrap().to_string()
            };
            let (at_least, at_most) = match rng.random_range(0..3) {
                0 => (None, None),
                1 => (Some(rng.random_range(1..5)), None),
                _ => (None, Some(rng.random_range(1..4))),
            };
            Gen::Did {
                name,
                at_least,
                at_most,
                within: *WINDOWS.choose(rng).unwrap(),
            }
        }
    }
}

fn text(g: &Gen) -> String {
    match g {
        Gen::Points(n) => format!("points >= {n}"),
        Gen::And(a, b) => format!("({} and {})", text(a), text(b)),
        Gen::Or(a, b) => format!("({} or {})", text(a), text(b)),
        Gen::Not(a) => format!("not ({})", text(a)),
        Gen::Did {
            name,
            at_least,
            at_most,
            within,
        } => {
            let mut s = format!("did \"{name}\"");
            if let Some(n) = at_least {
                s += &format!(" at least {n} times");
            }
            if let Some(n) = at_most {
                s += &format!(" AT MOST {n}");
            }
            if let Some(w) = within {
                s += &if w % DAY == 0 {
                    format!(" within {}d", w / DAY)
                } else {
                    format!(" within {} hours", w / HOUR)
                };
            }
            s
        }
    }
}

fn holds(g: &Gen, brute: &Brute, customer: &(String, i64), now: i64) -> bool {
    match g {
        Gen::Points(n) => customer.1 >= *n,
        Gen::And(a, b) => holds(a, brute, customer, now) && holds(b, brute, customer, now),
        Gen::Or(a, b) => holds(a, brute, customer, now) || holds(b, brute, customer, now),
        Gen::Not(a) => !holds(a, brute, customer, now),
        Gen::Did {
            name,
            at_least,
            at_most,
            within,
        } => {
            let n = brute.times(&customer.0, name, within.map(|w| now - w));
            match (at_least, at_most) {
                (_, Some(most)) => n <= *most,
                (least, None) => n >= least.unwrap_or(1),
            }
        }
    }
}

/// The ids a segment selects in the cache, as a launch would read them.
fn selected(db: &Db, segment: &Segment, now: i64) -> (BTreeSet<String>, u64) {
    let segment = segment.clone();
    db.call_blocking(move |conn| -> stratus_campaigns::Result<_> {
        let filter = segment.to_sql(now, &gamify::levels_blocking(conn)?);
        let mut stmt = conn.prepare(&format!(
            "SELECT id FROM customers WHERE {}",
            filter.condition
        ))?;
        let ids = stmt
            .query_map(rusqlite::params_from_iter(filter.params.iter()), |r| {
                r.get::<_, String>(0)
            })?
            .collect::<Result<BTreeSet<_>, _>>()?;
        let count = segment::count_blocking(conn, &segment, now)?;
        Ok((ids, count))
    })
    .unwrap()
}

/// 2026-11-26T15:00:00Z: the world's "now", passed to every evaluation.
const NOW: i64 = 1_795_705_200_000;

#[test]
fn counts_match_a_brute_force_evaluation_over_the_same_events() {
    let now = NOW;
    let mut checked = 0;
    for seed in 0..40u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let world = world(&mut rng, now);
        let db = Db::open_in_memory().unwrap();
        ingest(&db, &world, &mut rng);
        let brute = Brute::new(&world.events);
        for _ in 0..25 {
            let g = gen(&mut rng, 3);
            let text = text(&g);
            let segment = Segment::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            // The canonical spelling selects the same people.
            let canonical = Segment::parse(&segment.canonical()).unwrap();
            assert_eq!(canonical.expr, segment.expr, "{text}");
            let expected: BTreeSet<String> = world
                .customers
                .iter()
                .filter(|c| holds(&g, &brute, c, now))
                .map(|c| c.0.clone())
                .collect();
            let (ids, count) = selected(&db, &segment, now);
            assert_eq!(ids, expected, "seed {seed}: {text}");
            assert_eq!(count, expected.len() as u64, "seed {seed}: {text}");
            checked += 1;
        }
    }
    assert_eq!(checked, 40 * 25);
}

fn did(name: &str, at_least: Option<i64>, at_most: Option<i64>, within: Option<i64>) -> Gen {
    Gen::Did {
        name: name.into(),
        at_least,
        at_most,
        within,
    }
}

fn expected(g: &Gen, world: &World, now: i64) -> BTreeSet<String> {
    let brute = Brute::new(&world.events);
    world
        .customers
        .iter()
        .filter(|c| holds(g, &brute, c, now))
        .map(|c| c.0.clone())
        .collect()
}

#[tokio::test]
async fn the_live_count_the_dry_run_and_a_launch_agree_on_a_real_profile() {
    let dir = tempfile::tempdir().unwrap();
    // A database file: the live count reads on its own connection.
    let db = Db::open(&dir.path().join("stratus.sqlite")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let world = world(&mut rng, NOW);
    ingest(&db, &world, &mut rng);

    // The live count (the editor's, the CLI's): no window, so the clock
    // does not matter; it says how old the cache is.
    let whole_cache = Gen::Or(
        Box::new(did("Order Completed", Some(2), None, None)),
        Box::new(Gen::Not(Box::new(did("$pageview", None, None, None)))),
    );
    let live = segment::audience(&db, &text(&whole_cache)).await.unwrap();
    let want = expected(&whole_cache, &world, NOW);
    assert!(!want.is_empty() && want.len() < world.customers.len());
    assert_eq!(live.count, want.len() as u64);
    let cache = live.events_cache.unwrap();
    assert!(cache.synced_at.is_some());
    assert_eq!(
        cache.newest_event_at,
        world.events.iter().map(|e| e.ts).max()
    );

    // The dry run and the launch's frozen audience, at the world's now.
    let windowed = Gen::And(
        Box::new(did("Order Completed", None, None, Some(30 * DAY))),
        Box::new(Gen::Not(Box::new(did(
            "$pageview",
            Some(3),
            None,
            Some(7 * DAY),
        )))),
    );
    let want = expected(&windowed, &world, NOW);
    assert!(!want.is_empty());
    let spec = CampaignSpec::new("Behaviour", Channel::Sms, &text(&windowed), "Hi");
    let draft = campaign::create_draft(&db, spec).await.unwrap();
    let options = DryRunOptions {
        now: NOW,
        ..DryRunOptions::default()
    };
    let report = dry_run::dry_run(&db, &draft.id, None, options)
        .await
        .unwrap();
    assert_eq!(report.audience, want.len() as u64);
    let id = draft.id.clone();
    let frozen = db
        .call(move |c| -> stratus_campaigns::Result<_> {
            campaign::launch_blocking(c, &id, NOW)?;
            let mut stmt =
                c.prepare("SELECT customer_id FROM recipients WHERE campaign_id = ?1")?;
            let ids = stmt
                .query_map([&id], |r| r.get::<_, String>(0))?
                .collect::<Result<BTreeSet<_>, _>>()?;
            Ok(ids)
        })
        .await
        .unwrap();
    assert_eq!(frozen, want);
}

/// Demo mode: the demo's shop traffic is for the demo's customers, so once
/// the seeded events are synced a behaviour segment counts some of them;
/// before, the count says the cache was never synced.
#[tokio::test]
async fn demo_customers_did_things_once_the_demo_events_are_synced() {
    let dir = tempfile::tempdir().unwrap();
    let home = stratus_core::home::AppHome::new(dir.path());
    let stack = stratus_app::stack::open_active_or_demo(&home, stratus_app::stack::Seeding::Now)
        .await
        .unwrap();
    assert!(stack.profile.is_demo());
    let ordered = "did \"Order Completed\" within 30d";
    let before = segment::audience(&stack.db, ordered).await.unwrap();
    assert_eq!(before.count, 0);
    assert_eq!(before.events_cache.unwrap().synced_at, None);

    stratus_app::events_sync::CacheSync::new(&home, &stack)
        .unwrap()
        .run(
            &stratus_events::sync::autosync::SyncGate::new(),
            |_| {},
            &stratus_core::jobs::CancellationToken::new(),
        )
        .await
        .unwrap();
    let did = segment::audience(&stack.db, ordered).await.unwrap();
    let not_did = segment::audience(&stack.db, &format!("not {ordered}"))
        .await
        .unwrap();
    let everyone = segment::count(&stack.db, "").await.unwrap();
    assert!(did.count > 0, "demo customers ordered");
    assert!(not_did.count > 0, "and most did not");
    assert_eq!(did.count + not_did.count, everyone);
    let cache = did.events_cache.unwrap();
    assert!(cache.synced_at.is_some() && cache.newest_event_at.is_some());
    // The demo emits every order right after its checkout, for the same
    // person: over the whole cache, nobody ordered without checking out.
    let impossible = "did \"Order Completed\" and not did \"Checkout Started\"";
    assert_eq!(segment::count(&stack.db, impossible).await.unwrap(), 0);
    assert!(
        segment::count(&stack.db, "did \"Order Completed\" at least 2 times")
            .await
            .unwrap()
            > 0,
        "some demo customers ordered twice"
    );
}
