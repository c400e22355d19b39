//! The queries of the support screen use their indexes: no full scans and no
//! sorting of a customer's whole history per page.

#![allow(clippy::unwrap_used)]

use rusqlite::Connection;
use stratus_core::db::Db;

fn plan(conn: &Connection, sql: &str) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join(" | ")
}

#[test]
fn keyset_pages_walk_an_index_without_a_sort() {
    let db = Db::open_in_memory().unwrap();
    db.call_blocking(|conn| -> stratus_core::Result<_> {
        let timeline = plan(
            conn,
            "SELECT * FROM events WHERE person = coalesce((SELECT person FROM identities WHERE id = 'c'), 'c')
             AND (ts, rowid) < (5, 9) ORDER BY ts DESC, rowid DESC LIMIT 51",
        );
        // A person's timeline (all their ids) is one range of one index.
        assert!(timeline.contains("events_by_person"), "{timeline}");
        assert!(!timeline.contains("TEMP B-TREE"), "{timeline}");
        assert!(!timeline.contains("SCAN events"), "{timeline}");
        let by_name = plan(
            conn,
            "SELECT * FROM events WHERE event IN ('a', 'b') ORDER BY ts DESC, rowid DESC LIMIT 51",
        );
        assert!(by_name.contains("events_by_name"), "{by_name}");
        let all = plan(conn, "SELECT * FROM events ORDER BY ts DESC, rowid DESC LIMIT 51");
        assert!(all.contains("events_by_ts") && !all.contains("TEMP B-TREE"), "{all}");
        // The keys offered by the property facet: the newest events walked
        // down the ts index (LIMIT stops it), never a sort of the whole cache;
        // only the sample's keys are grouped.
        let keys = plan(
            conn,
            "SELECT j.key, count(*) FROM (SELECT properties FROM events ORDER BY ts DESC LIMIT 5000) AS e,
               json_each(e.properties) AS j GROUP BY j.key",
        );
        assert!(
            keys.contains("SCAN events USING INDEX events_by_ts")
                && !keys.contains("TEMP B-TREE FOR ORDER BY"),
            "{keys}"
        );
        let fts: String = conn
            .query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| r.get::<_, i64>(0))
            .map(|v| v.to_string())?;
        assert_eq!(fts, "1", "the bundled SQLite has FTS5");
        Ok(())
    })
    .unwrap();
}
