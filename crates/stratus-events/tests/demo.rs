//! The demo seed writes real batches that the first sync ingests, for a few
//! hundred demo customers, the same every time.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use stratus_core::demo::seed;
use stratus_core::home::AppHome;
use stratus_core::jobs::CancellationToken;
use stratus_core::profile::Profile;
use stratus_core::stack::Stack;
use stratus_core::store::{ListRequest, ObjectStore};
use stratus_events::demo::gen::{generate, GenSpec};
use stratus_events::demo::{demo_spec, demo_steps};
use stratus_events::sync::{sync, SyncOptions};
use support::*;

async fn listing(store: &dyn ObjectStore) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    let mut request = ListRequest::prefix("events/v1/");
    loop {
        let page = store.list(request.clone()).await.unwrap();
        out.extend(page.objects.into_iter().map(|o| (o.key, o.etag)));
        match page.next_continuation {
            Some(t) => request = request.continue_from(Some(t)),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seed_writes_batches_the_first_sync_ingests() {
    let dir = tempfile::tempdir().unwrap();
    let home = AppHome::new(dir.path());
    let stack = Stack::open(&home, Profile::demo()).await.unwrap();
    let started = Instant::now();
    let report = seed(&stack, &demo_steps(), |_| {}, &CancellationToken::new())
        .await
        .unwrap();
    eprintln!("demo seed took {:?}", started.elapsed());
    assert_eq!(report.applied, vec!["events.traffic.v1"]);

    let started = Instant::now();
    let synced = sync(
        &stack.db,
        Arc::clone(&stack.events),
        &SyncOptions::default(),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    eprintln!("first sync took {:?}", started.elapsed());
    assert_eq!(synced.bad_lines, 0);
    assert_eq!(synced.duplicates, 0, "event ids are unique");
    assert!(
        (30_000..31_000).contains(&synced.events_inserted),
        "{synced:?}"
    );
    assert_eq!(synced.ingested, 60);

    let customers = count(&stack.db, "SELECT count(DISTINCT distinct_id) FROM events").await;
    assert!((250..=300).contains(&customers), "{customers} customers");
    assert_eq!(
        count(&stack.db, "SELECT count(*) FROM events WHERE distinct_id NOT GLOB 'cust-[0-9][0-9][0-9][0-9][0-9]'").await,
        0
    );
    assert_eq!(
        count(
            &stack.db,
            "SELECT count(*) FROM events WHERE distinct_id > 'cust-10000'"
        )
        .await,
        0
    );
    let span_days = count(
        &stack.db,
        "SELECT (max(ts) - min(ts)) / 86400000 FROM events",
    )
    .await;
    assert!((29..=31).contains(&span_days), "{span_days} days");
    for name in [
        "$pageview",
        "Button Clicked",
        "Form Submitted",
        "Signed Up",
        "Order Completed",
        "JS Error",
    ] {
        let n: i64 = stack
            .db
            .call(move |c| -> stratus_core::Result<_> {
                Ok(c.query_row(
                    "SELECT count(*) FROM events WHERE event = ?1",
                    [name],
                    |r| r.get(0),
                )?)
            })
            .await
            .unwrap();
        assert!(n > 20, "{name}: {n}");
    }
    // Forms carry field names and validity, never values.
    assert_eq!(
        count(&stack.db, "SELECT count(*) FROM events WHERE event = 'Form Submitted' AND (json_extract(properties, '$.fields') IS NULL OR json_extract(properties, '$.valid') IS NULL)").await,
        0
    );
}

#[tokio::test]
async fn the_generator_is_deterministic() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (sa, sb) = (local_store(&a), local_store(&b));
    let spec = GenSpec {
        batch_events: 300,
        ..GenSpec::new(2_000, 50, 3, T0)
    };
    let ra = generate(Arc::clone(&sa), &spec).await.unwrap();
    let rb = generate(Arc::clone(&sb), &spec).await.unwrap();
    assert_eq!(ra, rb);
    assert_eq!(ra.objects, 7);
    assert!(ra.events >= 2_000);
    assert_eq!(
        listing(sa.as_ref()).await,
        listing(sb.as_ref()).await,
        "same keys, same ETags"
    );
    let other = demo_spec(T0);
    assert_eq!(other.customers, 300);
}
