#![allow(clippy::unwrap_used)]
//! Segments: parsing, errors with positions, parameter-only SQL, live counts.

use rusqlite::types::Value;
use stratus_campaigns::customer::Customer;
use stratus_campaigns::gamify::LevelTable;
use stratus_campaigns::segment::{self, Segment};
use stratus_core::clock::now_millis;
use stratus_core::db::Db;

mod support;

const DAY: i64 = 86_400_000;

/// Levels come from points by the default table (gold from 2,000, silver
/// from 500); the level each customer gets is noted for the reader.
fn customers(now: i64) -> Vec<Customer> {
    let make = |id: &str, _level: &str, points: i64, days_ago: i64, badges: &[&str]| {
        let mut c = Customer::new(id, format!("Customer {id}"));
        c.points = points;
        c.last_active = Some(now - days_ago * DAY);
        c.badges = badges.iter().map(|b| b.to_string()).collect();
        c.sms_opt_in = points % 2 == 0;
        c
    };
    vec![
        make("a", "gold", 2500, 1, &["streak-7"]),
        make("b", "gold", 2000, 2, &[]),
        make("c", "gold", 3000, 30, &["early-bird"]),
        make("d", "silver", 700, 3, &["streak-7", "explorer"]),
        make("e", "bronze", 11, 0, &[]),
    ]
}

#[tokio::test]
async fn counts_follow_the_filter() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(now_millis()));
    let count = |s: &'static str| {
        let db = db.clone();
        async move { segment::count(&db, s).await.unwrap() }
    };
    assert_eq!(
        count("level = \"gold\" and points >= 2500 and last_active within 7d").await,
        1
    );
    assert_eq!(
        count("level = gold and points >= 2500 and last_active within 7 days").await,
        1
    );
    assert_eq!(
        count("LEVEL = Gold AND points >= 2500").await,
        2,
        "keywords and text ignore case"
    );
    assert_eq!(
        count("level in [gold, silver] and not (points < 2500)").await,
        2
    );
    assert_eq!(count("level not in [gold]").await, 2);
    assert_eq!(count("badges contains \"streak-7\"").await, 2);
    assert_eq!(count("badges contains streak-7 or level = bronze").await, 3);
    assert_eq!(count("last_active within 48h").await, 2);
    assert_eq!(count("sms_opt_in = true").await, 4);
    assert_eq!(count("").await, 5, "an empty segment is everyone");
    assert_eq!(
        count("(level = gold or level = silver) and points != 2000").await,
        3
    );
}

#[test]
fn sql_carries_values_only_as_parameters() {
    let hostile =
        "name = \"x' OR 1=1; DROP TABLE customers; --\" or level in ['a', \"b\"] and points > 5";
    let levels = LevelTable::default();
    let filter = Segment::parse(hostile).unwrap().to_sql(1_000, &levels);
    assert!(!filter.condition.contains("DROP"), "{}", filter.condition);
    assert!(!filter.condition.contains('\''), "{}", filter.condition);
    assert_eq!(filter.condition.matches('?').count(), filter.params.len());
    // `level` reads the level table over `points`: its thresholds and names
    // are parameters too, before the values compared with it.
    let (_, level_params) = levels.sql_case("points");
    let mut expected = vec![Value::Text("x' OR 1=1; DROP TABLE customers; --".into())];
    expected.extend(level_params);
    expected.extend([
        Value::Text("a".into()),
        Value::Text("b".into()),
        Value::Integer(5),
    ]);
    assert_eq!(filter.params, expected);
    let within = Segment::parse("last_active within 2d")
        .unwrap()
        .to_sql(10 * DAY, &levels);
    assert_eq!(within.params, vec![Value::Integer(8 * DAY)]);
}

#[tokio::test]
async fn a_hostile_value_matches_literally() {
    let db = Db::open_in_memory().unwrap();
    support::insert(&db, &customers(now_millis()));
    assert_eq!(
        segment::count(&db, "name = \"x' OR '1'='1\"")
            .await
            .unwrap(),
        0
    );
    let n: i64 = db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            Ok(c.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?)
        })
        .unwrap();
    assert_eq!(n, 5);
}

#[test]
fn errors_say_where_and_what_was_expected() {
    let err = |s: &str| Segment::parse(s).unwrap_err();

    let e = err("levle = gold");
    assert_eq!(e.position, 0);
    assert!(
        e.found.contains("unknown field `levle`") && e.expected.contains("level"),
        "{e}"
    );

    let e = err("level = gold and");
    assert_eq!(e.position, 16);
    assert!(
        e.expected.contains("field name") && e.found.contains("end"),
        "{e}"
    );

    let e = err("points >= lots");
    assert_eq!(e.position, 10);
    assert!(e.expected.contains("whole number"), "{e}");

    let e = err("level gold");
    assert_eq!(e.position, 6);
    assert!(e.expected.contains("operator"), "{e}");

    let e = err("(level = gold");
    assert_eq!(e.position, 13);
    assert_eq!(e.expected, "`)`");

    let e = err("last_active within 7 fortnights");
    assert!(e.expected.contains("unit"), "{e}");

    let e = err("points contains 5");
    assert_eq!(e.position, 7);

    let e = err("level in [gold, ]");
    assert_eq!(e.position, 16);

    let e = err("sms_opt_in > true");
    assert_eq!(e.position, 11);

    let e = err("level = gold)");
    assert_eq!(e.position, 12);
    assert!(
        e.to_string().starts_with("at character 13: expected"),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_a_positioned_error_not_a_crash() {
    // 33 levels: the 33rd opener is refused, at its own position.
    let parens = format!("{}level = gold{}", "(".repeat(33), ")".repeat(33));
    let err = Segment::parse(&parens).unwrap_err();
    assert_eq!(err.position, 32, "{err}");
    assert!(err.to_string().contains("nest at most 32 deep"), "{err}");
    let nots = format!("{}level = gold", "not ".repeat(33));
    assert_eq!(Segment::parse(&nots).unwrap_err().position, 32 * 4);
    // 32 levels still parse.
    let ok = format!("{}level = gold{}", "(".repeat(32), ")".repeat(32));
    assert!(Segment::parse(&ok).is_ok());

    // What froze the editor: 20,000 of either, typed or pasted.
    for text in ["not ".repeat(20_000), "(".repeat(20_000)] {
        let err = Segment::parse(&text).unwrap_err();
        assert_eq!(err.position, segment::MAX_SEGMENT_CHARS, "{err}");
        assert!(
            err.to_string().contains("at most 10000 characters"),
            "{err}"
        );
    }
    let deep_but_short = "not ".repeat(2_000);
    assert!(Segment::parse(&deep_but_short).is_err());
}

#[test]
fn too_many_joins_are_refused_where_they_go_over() {
    let terms = vec!["points > 1"; segment::MAX_JOINS + 2];
    let text = terms.join(" or ");
    let err = Segment::parse(&text).unwrap_err();
    // The 257th `or`: after 257 terms of 10 characters and 256 joins of 4.
    assert_eq!(err.position, 257 * 10 + 256 * 4 + 1, "{err}");
    let ok = vec!["points > 1"; segment::MAX_JOINS + 1].join(" and ");
    assert!(Segment::parse(&ok).is_ok());
}
