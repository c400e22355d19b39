//! Query latency of the events cache, for `bench/events/run.sh`: runs each
//! interactive query of the support screen many times with varied
//! parameters on a synced database and prints p50/p95 per query as markdown
//! table rows. Not a test: timings depend on the machine.
//!
//! `cargo run --release -p stratus-events --example query_latency -- <stratus.sqlite> <customers> [runs]`

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rusqlite::{Connection, OpenFlags};
use stratus_events::browse::facets::{facets, FacetOptions};
use stratus_events::browse::filter::EventFilter;
use stratus_events::browse::page::events_page;
use stratus_events::demo::traffic::TrafficRng;

const PAGE: usize = 50;
const NAMES: [&str; 5] = [
    "Order Completed",
    "Button Clicked",
    "Form Submitted",
    "JS Error",
    "Signed Up",
];
const WORDS: [&str; 6] = [
    "rain shell",
    "timeout",
    "merino",
    "newsletter",
    "sku-1006",
    "chunk",
];

fn err(e: stratus_events::Error) -> String {
    e.to_string()
}

type Query = Box<dyn Fn(&Connection, &mut TrafficRng) -> Result<usize, String>>;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(customers)) = (args.get(1), args.get(2)) else {
        return Err("usage: query_latency <stratus.sqlite> <customers> [runs]".into());
    };
    let customers: u32 = customers.parse().map_err(|e| format!("customers: {e}"))?;
    let runs: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(200);
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| e.to_string())?;
    let newest: i64 = conn
        .query_row("SELECT max(ts) FROM events", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    let day = 86_400_000;
    let customer =
        move |rng: &mut TrafficRng| format!("cust-{:05}", rng.random_range(1..=customers));

    let queries: Vec<(&str, Query)> = vec![
        (
            "customer timeline, first page",
            Box::new(move |c, rng| {
                let f = EventFilter {
                    distinct_id: Some(customer(rng)),
                    ..EventFilter::default()
                };
                events_page(c, &f, None, PAGE)
                    .map(|p| p.events.len())
                    .map_err(err)
            }),
        ),
        (
            "customer timeline, pages 1 and 2 (keyset)",
            Box::new(move |c, rng| {
                let f = EventFilter {
                    distinct_id: Some(customer(rng)),
                    ..EventFilter::default()
                };
                let first = events_page(c, &f, None, PAGE).map_err(err)?;
                events_page(c, &f, first.next.as_deref(), PAGE)
                    .map(|p| p.events.len())
                    .map_err(err)
            }),
        ),
        (
            "all events, newest page",
            Box::new(|c, _| {
                events_page(c, &EventFilter::default(), None, PAGE)
                    .map(|p| p.events.len())
                    .map_err(err)
            }),
        ),
        (
            "event name + last 7 days",
            Box::new(move |c, rng| {
                let f = EventFilter {
                    events: vec![NAMES[rng.random_range(0..NAMES.len())].to_string()],
                    from_ms: Some(newest - 7 * day),
                    ..EventFilter::default()
                };
                events_page(c, &f, None, PAGE)
                    .map(|p| p.events.len())
                    .map_err(err)
            }),
        ),
        (
            "property key=value + name",
            Box::new(move |c, rng| {
                let f = EventFilter {
                    events: vec!["Product Added".into()],
                    properties: vec![("sku".into(), format!("sku-100{}", rng.random_range(1..=8)))],
                    ..EventFilter::default()
                };
                events_page(c, &f, None, PAGE)
                    .map(|p| p.events.len())
                    .map_err(err)
            }),
        ),
        (
            "full-text search, all time",
            Box::new(|c, rng| {
                let f = EventFilter {
                    search: Some(WORDS[rng.random_range(0..WORDS.len())].to_string()),
                    ..EventFilter::default()
                };
                events_page(c, &f, None, PAGE)
                    .map(|p| p.events.len())
                    .map_err(err)
            }),
        ),
        (
            "full-text search, one customer",
            Box::new(move |c, rng| {
                let f = EventFilter {
                    distinct_id: Some(customer(rng)),
                    search: Some(WORDS[rng.random_range(0..WORDS.len())].to_string()),
                    ..EventFilter::default()
                };
                events_page(c, &f, None, PAGE)
                    .map(|p| p.events.len())
                    .map_err(err)
            }),
        ),
        (
            "facets, one customer",
            Box::new(move |c, rng| {
                let f = EventFilter {
                    distinct_id: Some(customer(rng)),
                    ..EventFilter::default()
                };
                facets(c, &f, FacetOptions::default())
                    .map(|f| f.by_event.len())
                    .map_err(err)
            }),
        ),
        (
            "facets, last 24 h",
            Box::new(move |c, _| {
                let f = EventFilter {
                    from_ms: Some(newest - day),
                    ..EventFilter::default()
                };
                facets(c, &f, FacetOptions::default())
                    .map(|f| f.by_event.len())
                    .map_err(err)
            }),
        ),
        (
            "facets, last 7 days",
            Box::new(move |c, _| {
                let f = EventFilter {
                    from_ms: Some(newest - 7 * day),
                    ..EventFilter::default()
                };
                facets(c, &f, FacetOptions::default())
                    .map(|f| f.by_event.len())
                    .map_err(err)
            }),
        ),
    ];

    println!("| query | p50 ms | p95 ms | runs |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, query) in &queries {
        let mut rng = TrafficRng::seed_from_u64(7);
        // A few untimed runs warm the page cache, as a screen in use has it.
        // A timeout is an outcome here too (facets over a broad range at 10M).
        for _ in 0..5 {
            match query(&conn, &mut rng) {
                Err(e) if !e.contains("longer than") => return Err(format!("{name}: {e}")),
                _ => {}
            }
        }
        let mut times = Vec::with_capacity(runs);
        let budget = Instant::now();
        for _ in 0..runs {
            // Slow queries stop after ~20 s (at least 10 runs), so 10M stays runnable.
            if times.len() >= 10 && budget.elapsed().as_secs() >= 20 {
                break;
            }
            let start = Instant::now();
            match query(&conn, &mut rng) {
                Ok(_) => times.push(start.elapsed()),
                Err(e) if e.contains("longer than") => times.push(start.elapsed()),
                Err(e) => return Err(format!("{name}: {e}")),
            }
        }
        times.sort();
        let pct = |p: f64| {
            let i = ((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1;
            times[i].as_secs_f64() * 1000.0
        };
        println!(
            "| {name} | {:.2} | {:.2} | {} |",
            pct(0.50),
            pct(0.95),
            times.len()
        );
    }
    Ok(())
}
