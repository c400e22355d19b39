//! Support staff's CLI on the demo profile: saved views (save, list, open
//! with `--view`, delete), a property's top values, and a person's GDPR
//! export to a named file (never over an existing one).

#![allow(clippy::unwrap_used)]

use serde_json::Value;

mod support;
use support::{ok, stratus};

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn views_facets_and_a_persons_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(stratus(data, &["events", "sync"]));

    // A saved view opens as saved; flags given on top replace its parts.
    ok(stratus(
        data,
        &["events", "views", "save", "Clicks", "-e", "Button Clicked"],
    ));
    let listed = json_lines(&ok(stratus(data, &["events", "views", "list", "--json"])));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "Clicks");
    assert_eq!(listed[0]["filter"]["events"][0], "Button Clicked");
    let rows = json_lines(&ok(stratus(
        data,
        &["events", "query", "--view", "clicks", "-n", "20", "--json"],
    )));
    assert!(!rows.is_empty() && rows.iter().all(|r| r["event"] == "Button Clicked"));

    // A property's top values over the view: they add up to the events
    // carrying the key.
    let overview: Value = serde_json::from_str(&ok(stratus(
        data,
        &["events", "facets", "--view", "Clicks", "--json"],
    )))
    .unwrap();
    let key = overview["property_keys"][0][0]
        .as_str()
        .unwrap()
        .to_string();
    let facet: Value = serde_json::from_str(&ok(stratus(
        data,
        &[
            "events",
            "facets",
            "--view",
            "Clicks",
            "--property",
            &key,
            "-n",
            "1000",
            "--json",
        ],
    )))
    .unwrap();
    let sum: u64 = facet["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[1].as_u64().unwrap())
        .sum();
    assert!(sum > 0);
    assert_eq!(sum, facet["with_key"].as_u64().unwrap());
    assert!(sum <= facet["events"].as_u64().unwrap());

    ok(stratus(data, &["events", "views", "delete", "CLICKS"]));
    let gone = stratus(data, &["events", "views", "delete", "Clicks"]);
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("no saved view named"));

    // The export of a stitched person by their phone's id: both ids, their
    // events from the cache and the bucket, only theirs.
    let out = data.join("person.json");
    let printed = ok(stratus(
        data,
        &[
            "events",
            "export-person",
            "phone-00166",
            "--out",
            out.to_str().unwrap(),
            "--by",
            "dpo@example.com",
        ],
    ));
    assert!(printed.contains("request #"), "{printed}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["ids"], serde_json::json!(["cust-00166", "phone-00166"]));
    let cached = doc["events"]["cached_events"].as_array().unwrap();
    let bucket = doc["events"]["bucket_events"].as_array().unwrap();
    assert!(!cached.is_empty());
    assert_eq!(
        cached.len(),
        bucket.len(),
        "nothing pruned: the same events"
    );
    assert_eq!(doc["campaigns"]["rows"][0]["rows"][0]["id"], "cust-00166");
    let again = stratus(
        data,
        &[
            "events",
            "export-person",
            "cust-00166",
            "--out",
            out.to_str().unwrap(),
            "--by",
            "dpo@example.com",
        ],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}
