//! Facets on property values: the top values of a chosen key over the
//! current filter and time range, counted as the property filter compares
//! them, and the keys offered to choose from.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use serde_json::{json, Value};
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use stratus_events::browse::facets::{property_keys, property_values, FacetOptions};
use stratus_events::browse::filter::EventFilter;
use stratus_events::envelope::format_millis;
use stratus_events::sync::{sync, SyncOptions};
use support::*;

fn ev(n: u128, cust: &str, name: &str, ts: i64, props: Value) -> String {
    json!({
        "event_id": event_id(n), "type": "track", "event": name, "distinct_id": cust,
        "received_at": format_millis(ts), "ts": format_millis(ts), "properties": props,
    })
    .to_string()
}

async fn cache() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let store = local_store(&dir);
    let lines = vec![
        ev(
            1,
            "ann",
            "Checkout",
            T0,
            json!({"plan": "pro", "valid": true, "total": 30}),
        ),
        ev(
            2,
            "bo",
            "Checkout",
            T0 + 1,
            json!({"plan": "free", "valid": false}),
        ),
        ev(
            3,
            "cy",
            "Checkout",
            T0 + 2,
            json!({"plan": "pro", "valid": true}),
        ),
        ev(
            4,
            "ann",
            "Checkout",
            T0 + HOUR,
            json!({"plan": "pro", "note": null}),
        ),
        ev(5, "bo", "Viewed", T0 + 2, json!({"plan": "team"})),
        ev(6, "cy", "Checkout", T0 + 3, json!({"coupon": "X"})),
    ];
    put_batch(store.as_ref(), &key_at(T0, 1), &lines).await;
    let db = Db::open_in_memory().unwrap();
    sync(
        &db,
        Arc::clone(&store),
        &SyncOptions::default(),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    (dir, db)
}

#[tokio::test]
async fn a_propertys_top_values_follow_the_filter_and_time_range() {
    let (_dir, db) = cache().await;
    let checkouts = EventFilter {
        events: vec!["Checkout".into()],
        ..EventFilter::default()
    };
    let f = checkouts.clone();
    let plan = db
        .call(move |c| property_values(c, &f, "plan", FacetOptions::default()))
        .await
        .unwrap();
    // Brute force over the same events: pro 3, free 1; `Viewed` is outside
    // the filter, the coupon-only checkout has no plan.
    assert_eq!(
        plan.values,
        [("pro".to_string(), 3), ("free".to_string(), 1)]
    );
    assert_eq!((plan.events, plan.with_key), (5, 4));

    // The time range and the filter's own property matches apply first.
    let f = EventFilter {
        to_ms: Some(T0 + HOUR),
        properties: vec![("valid".into(), "1".into())],
        ..checkouts.clone()
    };
    let plan = db
        .call(move |c| property_values(c, &f, "plan", FacetOptions::default()))
        .await
        .unwrap();
    assert_eq!(plan.values, [("pro".to_string(), 2)]);

    // Values read as the property filter compares them (true is 1), so a
    // value clicked into the filter matches the same events; JSON null is `null`.
    let f = checkouts.clone();
    let valid = db
        .call(move |c| property_values(c, &f, "valid", FacetOptions::default()))
        .await
        .unwrap();
    assert_eq!(valid.values, [("1".to_string(), 2), ("0".to_string(), 1)]);
    let f = checkouts.clone();
    let note = db
        .call(move |c| property_values(c, &f, "note", FacetOptions::default()))
        .await
        .unwrap();
    assert_eq!(
        (note.values, note.with_key),
        (vec![("null".to_string(), 1)], 1)
    );

    // At most `top` values, the most frequent first.
    let f = EventFilter::default();
    let top = FacetOptions {
        top_events: 1,
        ..FacetOptions::default()
    };
    let plan = db
        .call(move |c| property_values(c, &f, "plan", top))
        .await
        .unwrap();
    assert_eq!(plan.values, [("pro".to_string(), 3)]);

    // A key that is not a plain name is refused, as in the filter.
    let f = EventFilter::default();
    let err = db
        .call(move |c| property_values(c, &f, "a\"b", FacetOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_filter");
}

#[tokio::test]
async fn the_keys_to_facet_by_are_the_filtered_events_keys_most_used_first() {
    let (_dir, db) = cache().await;
    let f = EventFilter {
        events: vec!["Checkout".into()],
        ..EventFilter::default()
    };
    let keys = db
        .call(move |c| property_keys(c, &f, FacetOptions::default()))
        .await
        .unwrap();
    assert_eq!(
        keys,
        [
            ("plan".to_string(), 4),
            ("valid".to_string(), 3),
            ("coupon".to_string(), 1),
            ("note".to_string(), 1),
            ("total".to_string(), 1),
        ]
    );
}
