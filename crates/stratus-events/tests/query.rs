//! Browsing the synced cache: keyset pages, filters, full-text search,
//! facets, sessions, export and retention.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use serde_json::{json, Value};
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use stratus_core::store::ObjectStore;
use stratus_events::browse::export::{export, ExportFormat};
use stratus_events::browse::facets::{facets, FacetOptions};
use stratus_events::browse::filter::EventFilter;
use stratus_events::browse::page::events_page;
use stratus_events::browse::rows::EventRecord;
use stratus_events::browse::sessions::sessions;
use stratus_events::browse::stored::event_detail;
use stratus_events::envelope::format_millis;
use stratus_events::sync::retention::{prune, Retention};
use stratus_events::sync::{sync, SyncOptions};
use support::*;

const DAY: i64 = 86_400_000;

fn ev(n: u128, cust: &str, name: &str, ts: i64, props: Value, url: &str) -> String {
    json!({
        "event_id": event_id(n), "type": "track", "event": name, "distinct_id": cust,
        "session_id": format!("{cust}-s{}", ts / DAY),
        "received_at": format_millis(ts), "ts": format_millis(ts),
        "properties": props, "context": {"url": url},
    })
    .to_string()
}

struct Cache {
    _dir: tempfile::TempDir,
    store: Arc<dyn ObjectStore>,
    db: Db,
    batches: u8,
}

impl Cache {
    async fn new() -> Cache {
        let dir = tempfile::tempdir().unwrap();
        let store = local_store(&dir);
        Cache {
            _dir: dir,
            store,
            db: Db::open_in_memory().unwrap(),
            batches: 0,
        }
    }

    async fn add(&mut self, lines: Vec<String>) {
        self.batches += 1;
        put_batch(self.store.as_ref(), &key_at(T0, self.batches), &lines).await;
        sync(
            &self.db,
            Arc::clone(&self.store),
            &SyncOptions::default(),
            |_| {},
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    }

    async fn all_pages(&self, filter: EventFilter, size: usize) -> Vec<EventRecord> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (f, c) = (filter.clone(), cursor.clone());
            let page = self
                .db
                .call(move |conn| -> stratus_core::Result<_> {
                    Ok(events_page(conn, &f, c.as_deref(), size))
                })
                .await
                .unwrap()
                .unwrap();
            out.extend(page.events);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return out,
            }
        }
    }
}

fn customer(id: &str) -> EventFilter {
    EventFilter {
        distinct_id: Some(id.into()),
        ..EventFilter::default()
    }
}

/// 30 events of cust-00001 over 300 days (several share a ts) and 10 of cust-00002.
fn history() -> Vec<String> {
    let mut lines: Vec<String> = (0..30u128)
        .map(|n| {
            let ts = T0 - (n as i64 / 2) * 20 * DAY; // pairs share a timestamp
            let name = ["Page Viewed", "Button Clicked", "Order Completed"][n as usize % 3];
            ev(
                n,
                "cust-00001",
                name,
                ts,
                json!({"n": n as u64, "plan": if n % 2 == 0 {"pro"} else {"free"}}),
                "https://shop.example.com/cart",
            )
        })
        .collect();
    lines.extend((100..110u128).map(|n| {
        ev(
            n,
            "cust-00002",
            "Button Clicked",
            T0 - n as i64,
            json!({"button": "checkout"}),
            "https://shop.example.com/checkout",
        )
    }));
    lines
}

#[tokio::test]
async fn the_timeline_pages_back_to_the_first_event_and_stays_stable_while_events_arrive() {
    let mut cache = Cache::new().await;
    cache.add(history()).await;
    let before = cache.all_pages(customer("cust-00001"), 7).await;
    assert_eq!(
        before.len(),
        30,
        "no hidden time window: 300 days back are all there"
    );
    assert!(before
        .windows(2)
        .all(|w| (w[0].ts, w[0].rowid) > (w[1].ts, w[1].rowid)));

    let f = customer("cust-00001");
    let first = cache
        .db
        .call(move |c| -> stratus_core::Result<_> { Ok(events_page(c, &f, None, 7)) })
        .await
        .unwrap()
        .unwrap();
    // New events arrive between page 1 and page 2.
    cache
        .add(
            (200..205u128)
                .map(|n| ev(n, "cust-00001", "Page Viewed", T0 + 1000, json!({}), "u"))
                .collect(),
        )
        .await;
    let mut seen = first.events.clone();
    let mut cursor = first.next.clone();
    while let Some(c) = cursor {
        let f = customer("cust-00001");
        let page = cache
            .db
            .call(move |conn| -> stratus_core::Result<_> { Ok(events_page(conn, &f, Some(&c), 7)) })
            .await
            .unwrap()
            .unwrap();
        seen.extend(page.events);
        cursor = page.next;
    }
    assert_eq!(
        seen, before,
        "pages already started are neither shifted nor duplicated"
    );
    assert_eq!(cache.all_pages(customer("cust-00001"), 7).await.len(), 35);

    let err = cache
        .db
        .call(|c| -> stratus_core::Result<_> {
            Ok(events_page(c, &EventFilter::default(), Some("12-oops"), 5))
        })
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code(), "invalid_cursor");
}

#[tokio::test]
async fn filters_by_name_time_property_and_text_combine() {
    let mut cache = Cache::new().await;
    cache.add(history()).await;
    let names = EventFilter {
        events: vec!["Order Completed".into(), "Button Clicked".into()],
        ..customer("cust-00001")
    };
    assert_eq!(cache.all_pages(names, 4).await.len(), 20);

    let window = EventFilter {
        from_ms: Some(T0 - 40 * DAY),
        to_ms: Some(T0),
        ..customer("cust-00001")
    };
    let got = cache.all_pages(window, 50).await;
    // ts = T0-20d (n 2,3) and T0-40d (n 4,5); T0 itself is excluded (upper bound exclusive).
    assert_eq!(got.len(), 4);

    let numeric = EventFilter {
        properties: vec![("n".into(), "7".into())],
        ..EventFilter::default()
    };
    let got = cache.all_pages(numeric, 50).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event_id, event_id(7));
    let plan = EventFilter {
        properties: vec![("plan".into(), "pro".into())],
        ..customer("cust-00001")
    };
    assert_eq!(cache.all_pages(plan, 50).await.len(), 15);

    let text = EventFilter {
        search: Some("checkout".into()),
        ..EventFilter::default()
    };
    let got = cache.all_pages(text, 50).await;
    assert_eq!(got.len(), 10);
    assert!(got
        .iter()
        .all(|e| e.distinct_id.as_deref() == Some("cust-00002")));
    let prefix = EventFilter {
        search: Some("Order Compl".into()),
        ..EventFilter::default()
    };
    assert_eq!(
        cache.all_pages(prefix, 50).await.len(),
        10,
        "the last word is a prefix"
    );
    let hostile = EventFilter {
        search: Some(r#"NEAR( "a" OR * -"#.into()),
        ..EventFilter::default()
    };
    assert_eq!(
        cache.all_pages(hostile, 50).await.len(),
        0,
        "FTS syntax typed by a user is text"
    );

    let detail = cache
        .db
        .call(|c| -> stratus_core::Result<_> { Ok(event_detail(c, &event_id(7))) })
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(detail["properties"]["n"], 7);
    assert_eq!(detail["context"]["url"], "https://shop.example.com/cart");
}

/// Search pages read the sync runs newest first and stop early: with runs
/// whose times interleave (a late batch of old events, ties across runs) the
/// pages must still be exactly the matches in (ts, rowid) order.
#[tokio::test]
async fn search_pages_are_exact_across_syncs_whose_times_interleave() {
    let mut cache = Cache::new().await;
    // Four syncs; batch k holds events at T0 - (i * 4 + k) hours, so every
    // run spans the whole period and the runs interleave. Every third event
    // mentions a parcel; ties: i = 0 of each batch share the hour of its k.
    for k in 0..4u128 {
        let lines = (0..12u128)
            .map(|i| {
                let n = k * 100 + i;
                let ts = T0 - (i as i64 * 4 + k as i64) * 3_600_000 - if i == 5 { 0 } else { 7 };
                let props = if i % 3 == 0 {
                    json!({"note": "parcel left at door"})
                } else {
                    json!({"note": "nothing"})
                };
                ev(
                    n,
                    "cust-00003",
                    "Delivery Updated",
                    ts,
                    props,
                    "https://shop.example.com/track",
                )
            })
            .collect();
        cache.add(lines).await;
    }
    let everything = cache.all_pages(EventFilter::default(), 100).await;
    let expected: Vec<i64> = everything
        .iter()
        .filter(|e| e.properties.contains("parcel"))
        .map(|e| e.rowid)
        .collect();
    assert_eq!(expected.len(), 16);
    for size in [1, 3, 5, 16, 50] {
        let text = EventFilter {
            search: Some("parcel door".into()),
            ..EventFilter::default()
        };
        let got: Vec<i64> = cache
            .all_pages(text, size)
            .await
            .iter()
            .map(|e| e.rowid)
            .collect();
        assert_eq!(got, expected, "page size {size}");
    }
    // With a time window, only the runs that overlap are read.
    let window = EventFilter {
        search: Some("parcel".into()),
        from_ms: Some(T0 - 20 * 3_600_000),
        to_ms: Some(T0 - 3_600_000),
        ..EventFilter::default()
    };
    let in_window: Vec<i64> = everything
        .iter()
        .filter(|e| e.properties.contains("parcel"))
        .filter(|e| e.ts >= T0 - 20 * 3_600_000 && e.ts < T0 - 3_600_000)
        .map(|e| e.rowid)
        .collect();
    assert!(!in_window.is_empty());
    let rowids = |events: Vec<EventRecord>| events.iter().map(|e| e.rowid).collect::<Vec<_>>();
    assert_eq!(rowids(cache.all_pages(window.clone(), 2).await), in_window);
    // Within one customer the other plan answers, with the same rows.
    let one_customer = EventFilter {
        distinct_id: Some("cust-00003".into()),
        ..window
    };
    assert_eq!(rowids(cache.all_pages(one_customer, 2).await), in_window);
}

#[tokio::test]
async fn facets_count_by_name_and_by_day_and_sessions_group_a_customer() {
    let mut cache = Cache::new().await;
    cache.add(history()).await;
    let f = customer("cust-00001");
    let got = cache
        .db
        .call(move |c| -> stratus_core::Result<_> { Ok(facets(c, &f, FacetOptions::default())) })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.by_event.iter().map(|(_, n)| n).sum::<u64>(), 30);
    assert!(got.by_event.iter().all(|(_, n)| *n == 10));
    assert_eq!(got.by_day.len(), 15);
    assert_eq!(got.by_day.last().unwrap(), &("2026-11-26".to_string(), 2));
    assert!(got.by_day.windows(2).all(|w| w[0].0 < w[1].0));

    let list = cache
        .db
        .call(|c| -> stratus_core::Result<_> { Ok(sessions(c, "cust-00001", None, 4)) })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[0].events, 2);
    assert_eq!(
        list[0].landing_url.as_deref(),
        Some("https://shop.example.com/cart")
    );
    let last = (list[3].last_ts, list[3].session_id.clone());
    let next = cache
        .db
        .call(move |c| -> stratus_core::Result<_> {
            Ok(sessions(c, "cust-00001", Some((last.0, &last.1)), 100))
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.len(), 11, "15 sessions in all, keyset-paged");
    assert!(next.iter().all(|s| s.last_ts < list[3].last_ts));
}

#[tokio::test]
async fn csv_export_streams_everything_and_escapes_formula_cells() {
    let mut cache = Cache::new().await;
    let mut lines = history();
    lines.push(ev(
        900,
        "@attacker",
        "=HYPERLINK(\"http://evil\",\"click\")",
        T0,
        json!({"note": "+cmd|' /C calc'!A0"}),
        "-2+3",
    ));
    cache.add(lines).await;

    let csv_bytes = cache
        .db
        .call(|c| -> stratus_core::Result<_> {
            let mut out = Vec::new();
            let n = export(c, &EventFilter::default(), ExportFormat::Csv, &mut out);
            Ok((n, out))
        })
        .await
        .unwrap();
    let (n, out) = (csv_bytes.0.unwrap(), csv_bytes.1);
    assert_eq!(n, 41);
    let mut reader = csv::Reader::from_reader(&out[..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[1], "event");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 41);
    let evil = rows.iter().find(|r| r[3].contains("attacker")).unwrap();
    assert_eq!(&evil[1], "'=HYPERLINK(\"http://evil\",\"click\")");
    assert_eq!(&evil[3], "'@attacker");
    assert_eq!(&evil[6], "'-2+3");
    assert!(
        evil[8].starts_with('{'),
        "properties stay JSON text: {}",
        &evil[8]
    );
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "unescaped cell {cell:?}"
            );
        }
    }

    let f = customer("cust-00002");
    let (n, out) = cache
        .db
        .call(move |c| -> stratus_core::Result<_> {
            let mut out = Vec::new();
            let n = export(c, &f, ExportFormat::Ndjson, &mut out);
            Ok((n, out))
        })
        .await
        .unwrap();
    assert_eq!(n.unwrap(), 10);
    let text = String::from_utf8(out).unwrap();
    let parsed: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed.len(), 10);
    assert!(parsed.iter().all(|e| e["distinct_id"] == "cust-00002"));
}

#[tokio::test]
async fn retention_prunes_by_age_and_by_count_and_the_index_follows() {
    let mut cache = Cache::new().await;
    cache.add(history()).await;
    let by_age = cache
        .db
        .call(|c| -> stratus_core::Result<_> {
            Ok(prune(
                c,
                Retention {
                    max_age_days: Some(100),
                    max_events: None,
                },
                T0,
            )?)
        })
        .await
        .unwrap();
    // cust-00001 events older than 100 days: ts = T0 - k*20d for k = 6..14, two each.
    assert_eq!(by_age, 18);
    assert_eq!(count(&cache.db, "SELECT count(*) FROM events").await, 22);
    let by_count = cache
        .db
        .call(|c| -> stratus_core::Result<_> {
            Ok(prune(
                c,
                Retention {
                    max_age_days: None,
                    max_events: Some(15),
                },
                T0,
            )?)
        })
        .await
        .unwrap();
    assert!(count(&cache.db, "SELECT count(*) FROM events").await <= 15);
    assert!(by_count >= 7);
    assert_eq!(
        count(
            &cache.db,
            "SELECT count(*) FROM events_fts WHERE events_fts MATCH 'shop'"
        )
        .await,
        count(&cache.db, "SELECT count(*) FROM events").await,
        "pruned rows leave the FTS index too"
    );
    // Pruned objects are not synced back: the ledger remembers them.
    let again = sync(
        &cache.db,
        Arc::clone(&cache.store),
        &SyncOptions::default(),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(again.ingested, 0);
}
