#![allow(clippy::unwrap_used)]
//! Behaviour segments (`did …`): the grammar, its positioned errors, the
//! canonical spelling, the SQL's parameters and query plan. Counts against a
//! real synced cache and a brute-force evaluation are in
//! `stratus-app/tests/behaviour_segments.rs` (this crate cannot write the
//! cache: the events crate does).

use rusqlite::types::Value;
use rusqlite::Connection;
use stratus_campaigns::gamify::LevelTable;
use stratus_campaigns::segment::{self, Did, Expr, Segment, Times};
use stratus_core::db::Db;

const DAY: i64 = 86_400_000;

fn did(text: &str) -> Did {
    match Segment::parse(text).unwrap().expr.unwrap() {
        Expr::Did(d) => d,
        other => panic!("{text} parsed to {other:?}"),
    }
}

#[test]
fn the_forms_parse() {
    assert_eq!(
        did("did \"Order Completed\" within 30d"),
        Did {
            event: "Order Completed".into(),
            times: Times::AtLeast(1),
            within: Some(30 * DAY),
        }
    );
    assert_eq!(
        did("DID '$pageview' AT LEAST 3 TIMES WITHIN 7 days"),
        Did {
            event: "$pageview".into(),
            times: Times::AtLeast(3),
            within: Some(7 * DAY),
        }
    );
    assert_eq!(did("did signup").within, None, "no window: the whole cache");
    assert_eq!(did("did signup at most 1 time").times, Times::AtMost(1));
    assert_eq!(
        did("did signup at least 2 within 2w").times,
        Times::AtLeast(2),
        "`times` may be left out"
    );
    // An event the cache has never seen is not an error.
    assert!(Segment::parse("did \"Never Heard Of\"").is_ok());

    // They compose with everything else.
    let text = "level = gold and not did \"Order Completed\" within 30d \
                or (points > 5 and did \"$pageview\" at least 3 times within 7d)";
    let segment = Segment::parse(text).unwrap();
    assert!(segment.reads_events());
    match segment.expr.unwrap() {
        Expr::Or(left, right) => {
            assert!(
                matches!(*left, Expr::And(_, ref not) if matches!(**not, Expr::Not(ref d) if matches!(**d, Expr::Did(_))))
            );
            assert!(matches!(*right, Expr::And(_, _)));
        }
        other => panic!("{other:?}"),
    }
    assert!(!Segment::parse("points > 5").unwrap().reads_events());
}

#[test]
fn errors_say_where_and_what_was_expected() {
    let err = |s: &str| Segment::parse(s).unwrap_err();

    let e = err("did");
    assert_eq!(e.position, 3);
    assert!(e.expected.contains("event name"), "{e}");

    let e = err("did \"\" within 7d");
    assert_eq!(e.position, 4, "an empty name: {e}");

    let e = err("did x at least 0 times");
    assert_eq!(e.position, 15);
    assert!(e.expected.contains("at least 1"), "{e}");

    let e = err("did x at most 0 times");
    assert_eq!(e.position, 14);
    assert!(e.expected.contains("not did"), "{e}");

    let e = err("did x at least -2 times");
    assert_eq!(e.position, 15, "{e}");

    let e = err("did x at least 2000000000 times");
    assert!(e.expected.contains("up to"), "{e}");

    let e = err("did x at 3 times");
    assert_eq!(e.position, 9);
    assert!(e.expected.contains("`least` or `most`"), "{e}");

    let e = err("did x at least three times");
    assert_eq!(e.position, 15);
    assert!(e.expected.contains("number of times"), "{e}");

    let e = err("did x at least 3d");
    assert_eq!(e.position, 15, "a duration is not a count: {e}");

    let e = err("did x within 7 fortnights");
    assert_eq!(e.position, 13);
    assert!(e.expected.contains("unit"), "{e}");

    let e = err("did x within soon");
    assert_eq!(e.position, 13);
    assert!(e.expected.contains("duration"), "{e}");

    let e = err("did x within -3d");
    assert!(e.expected.contains("positive"), "{e}");

    let e = err("did x times 3");
    assert_eq!(e.position, 6);
    assert!(e.expected.contains("`and`, `or` or the end"), "{e}");

    let e = err("not did and points > 1");
    assert_eq!(e.position, 8);

    let e = err("(did \"x\" within 7d");
    assert_eq!(e.position, 18);
    assert_eq!(e.expected, "`)`");

    // The "unknown field" hint names `did` beside the fields.
    let e = err("dids x");
    assert!(e.expected.contains("or `did`"), "{e}");
}

#[test]
fn the_canonical_spelling_parses_back_to_the_same_segment() {
    let cases = [
        (
            "DID 'Order Completed'  WITHIN 720 hours",
            "did \"Order Completed\" within 30d",
        ),
        (
            "not did x at least 1 times within 14d",
            "not did \"x\" within 2w",
        ),
        (
            "did \"a \\\"b\\\"\" at most 3 within 90 minutes",
            "did \"a \\\"b\\\"\" at most 3 times within 90m",
        ),
        (
            "level = Gold AND (points>5 OR did y at least 2 times)",
            "level = \"Gold\" and (points > 5 or did \"y\" at least 2 times)",
        ),
        (
            "level not in [gold, silver] or not (badges contains x and last_active within 0d)",
            "level not in [\"gold\", \"silver\"] or not (badges contains \"x\" and last_active within 0d)",
        ),
    ];
    for (text, canonical) in cases {
        let segment = Segment::parse(text).unwrap();
        assert_eq!(segment.canonical(), canonical, "{text}");
        let again = Segment::parse(&segment.canonical()).unwrap();
        assert_eq!(again.expr, segment.expr, "{text}");
    }
    // Right-nested joins keep their parentheses.
    let nested = Segment::parse("points > 1 or (points > 2 or points > 3)").unwrap();
    assert_eq!(
        nested.canonical(),
        "points > 1 or (points > 2 or points > 3)"
    );
    assert_eq!(Segment::parse("").unwrap().canonical(), "");
}

#[test]
fn the_sql_carries_the_name_the_window_and_the_count_as_parameters() {
    let levels = LevelTable::default();
    let filter = Segment::parse("did \"x' OR 1=1 --\" at least 3 times within 2d")
        .unwrap()
        .to_sql(10 * DAY, &levels);
    assert!(!filter.condition.contains("OR 1=1"), "{}", filter.condition);
    assert_eq!(
        filter.params,
        vec![
            Value::Text("x' OR 1=1 --".into()),
            Value::Integer(8 * DAY),
            Value::Integer(3)
        ]
    );
    let at_most = Segment::parse("did x at most 2 times")
        .unwrap()
        .to_sql(10 * DAY, &levels);
    // "at most 2" is "not at least 3"; no window, no window parameter.
    assert_eq!(
        at_most.params,
        vec![Value::Text("x".into()), Value::Integer(3)]
    );
    assert!(
        at_most.condition.starts_with("(NOT "),
        "{}",
        at_most.condition
    );
}

fn plan(conn: &Connection, sql: &str, params: &[Value]) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params), |r| {
            r.get::<_, String>(3)
        })
        .unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join(" | ")
}

#[test]
fn a_behaviour_test_is_one_grouped_range_of_the_event_name_index() {
    let db = Db::open_in_memory().unwrap();
    db.call_blocking(|conn| -> stratus_campaigns::Result<_> {
        let filter = Segment::parse("did \"Order Completed\" at least 2 times within 30d")
            .unwrap()
            .to_sql(40 * DAY, &LevelTable::default());
        let sql = format!("SELECT count(*) FROM customers WHERE {}", filter.condition);
        let plan = plan(conn, &sql, &filter.params);
        // The events: one range of (event, ts), grouped once into a list
        // (not once per customer: the subquery is not correlated).
        assert!(
            plan.contains("SEARCH events USING INDEX events_by_name (event=? AND ts>?)"),
            "{plan}"
        );
        assert!(!plan.contains("SCAN events"), "{plan}");
        assert!(plan.contains("LIST SUBQUERY"), "{plan}");
        assert!(!plan.contains("CORRELATED LIST SUBQUERY"), "{plan}");
        // Each customer's person: the primary key of `identities`.
        assert!(
            plan.contains("SEARCH identities USING PRIMARY KEY"),
            "{plan}"
        );
        Ok(())
    })
    .unwrap();
}

#[tokio::test]
async fn an_empty_cache_counts_nobody_and_says_it_was_never_synced() {
    let db = Db::open_in_memory().unwrap();
    db.call_blocking(|c| -> stratus_campaigns::Result<_> {
        for id in ["a", "b"] {
            stratus_campaigns::customer::upsert(
                c,
                &stratus_campaigns::customer::Customer::new(id, id),
                1,
            )?;
        }
        Ok(())
    })
    .unwrap();
    let did = segment::audience(&db, "did \"Order Completed\" within 30d")
        .await
        .unwrap();
    assert_eq!(did.count, 0);
    let cache = did
        .events_cache
        .expect("a did segment says how old the cache is");
    assert_eq!((cache.synced_at, cache.newest_event_at), (None, None));
    let not_did = segment::audience(&db, "not did \"Order Completed\" within 30d")
        .await
        .unwrap();
    assert_eq!(not_did.count, 2);
    let plain = segment::audience(&db, "points >= 0").await.unwrap();
    assert_eq!((plain.count, plain.events_cache), (2, None));
}
