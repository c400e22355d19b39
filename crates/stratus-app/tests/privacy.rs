//! A person's GDPR/CCPA requests against a real S3 API (moto), as the app's
//! jobs and the CLI run them (`stratus_app::privacy`): the export holds
//! exactly the person's data — cached events, identity links, their lines
//! in accepted and rejected batch objects, customer row, campaigns — and
//! the erasure removes their rejected lines under `bad/` too, leaving
//! everyone else's byte for byte (after decompression).

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Value};
use stratus_app::privacy::{erase, export_person, ExportTarget, EXPORT_FORMAT};
use stratus_campaigns::customer::{self, Customer};
use stratus_core::home::AppHome;
use stratus_core::jobs::CancellationToken;
use stratus_core::profile::{CloudSettings, Profile};
use stratus_core::stack::Stack;
use stratus_core::store::{ObjectStore, PutOptions};
use stratus_events::collector::gzip;
use stratus_events::envelope::format_millis;
use stratus_events::privacy::bucket::gunzip;
use stratus_events::sync::{sync, SyncOptions};

const HOUR: i64 = 3_600_000;

/// A key of the collector's layout at `ms` (`prefix` is `events` or `bad`),
/// object `n` of the test.
fn key(prefix: &str, ms: i64, n: u8) -> String {
    let at = format_millis(ms);
    format!(
        "{prefix}/v1/dt={}/hh={}/0193a000-0000-7000-8000-0000000000{n:02x}.ndjson.gz",
        &at[..10],
        &at[11..13]
    )
}

fn envelope(n: u8, kind: &str, dist: Option<&str>, anon: Option<&str>, ts: i64) -> String {
    let mut e = json!({
        "event_id": format!("00000000-0000-7000-8000-0000000000{n:02x}"),
        "type": kind, "event": if kind == "identify" { "$identify" } else { "Viewed" },
        "received_at": format_millis(ts + 100), "ts": format_millis(ts),
        "properties": {"n": n},
    });
    if let Some(d) = dist {
        e["distinct_id"] = json!(d);
    }
    if let Some(a) = anon {
        e["anonymous_id"] = json!(a);
    }
    e.to_string()
}

/// A rejected line as the collector keeps it: `{failure, raw}`.
fn rejected(raw: Value) -> String {
    json!({"failure": {"type": "validation", "codes": ["missing_field"]}, "raw": raw}).to_string()
}

async fn put(store: &dyn ObjectStore, key: &str, lines: &[String]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    store
        .put(
            key,
            Bytes::from(gzip(text.as_bytes()).unwrap()),
            PutOptions::default(),
        )
        .await
        .unwrap();
}

async fn text_of(store: &dyn ObjectStore, key: &str) -> Option<String> {
    store.head(key).await.unwrap()?;
    let body = store.get_bytes(key).await.unwrap();
    Some(String::from_utf8(gunzip(&body).unwrap()).unwrap())
}

/// A cloud profile on moto with a fresh events bucket.
async fn moto_stack(dir: &std::path::Path) -> Option<Stack> {
    let endpoint = stratus_core::testing::endpoint()?;
    let bucket = stratus_core::testing::unique_bucket("privacy-app");
    stratus_core::testing::s3_client(&endpoint)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let profile = Profile::cloud(
        "moto",
        CloudSettings {
            aws_profile: None,
            region: "us-east-1".into(),
            endpoint_url: Some(endpoint),
            force_path_style: true,
            allow_insecure_http: false,
            media_bucket: "unused-media".into(),
            events_bucket: bucket,
            topic_arn: None,
            image_function_url: None,
        },
    );
    Some(Stack::open(&AppHome::new(dir), profile).await.unwrap())
}

#[tokio::test]
async fn the_export_holds_exactly_the_persons_data_and_the_erasure_clears_bad_lines_too() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stack) = moto_stack(dir.path()).await else {
        eprintln!("skipped: no S3-compatible test server (STRATUS_TEST_AWS_ENDPOINT)");
        return;
    };
    let store = Arc::clone(&stack.events);
    let t = stratus_core::clock::now_millis() - 3 * HOUR;
    // Ann browses anonymously, logs in, buys; Bo shares the batches. Some
    // of everyone's events were rejected (Segment and PostHog shapes).
    let ann = [
        envelope(1, "page", None, Some("anon-ann"), t),
        envelope(3, "identify", Some("ann"), Some("anon-ann"), t + HOUR),
        envelope(5, "track", Some("ann"), None, t + HOUR + 5),
    ];
    let bo = [
        envelope(2, "track", Some("bo"), None, t + 1),
        envelope(4, "track", Some("bo"), Some("anon-bo"), t + HOUR + 1),
    ];
    let accepted = [
        (key("events", t, 1), vec![ann[0].clone(), bo[0].clone()]),
        (
            key("events", t + HOUR, 2),
            vec![bo[1].clone(), ann[1].clone(), ann[2].clone()],
        ),
    ];
    let ann_bad = [
        rejected(json!({"type": "track", "userId": "ann", "event": ""})),
        rejected(
            json!({"event": "$pageview", "distinct_id": "x1", "properties": {"$anon_distinct_id": "anon-ann"}}),
        ),
    ];
    let bo_bad = [
        rejected(json!({"type": "track", "userId": "bo", "properties": {"note": "ann"}})),
        "a line that is not JSON, with ann in it".to_string(),
    ];
    let bad = [
        (
            key("bad", t, 3),
            vec![bo_bad[0].clone(), ann_bad[0].clone(), bo_bad[1].clone()],
        ),
        (key("bad", t + HOUR, 4), vec![ann_bad[1].clone()]),
    ];
    for (k, lines) in accepted.iter().chain(&bad) {
        put(store.as_ref(), k, lines).await;
    }
    sync(
        &stack.db,
        Arc::clone(&store),
        &SyncOptions::default(),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    // The directory knows Ann by her user id; a campaign reached her
    // anonymous id (before the graph joined them).
    stack
        .db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            let mut cust = Customer::new("ann", "Ann Lee");
            cust.email = Some("ann@example.com".into());
            customer::upsert(c, &cust, 1)?;
            customer::upsert(c, &Customer::new("bo", "Bo"), 1)?;
            c.execute_batch(
                "INSERT INTO campaigns (id, name, channel, segment, template, rate_per_sec, concurrency,
                     state, created_at, updated_at)
                   VALUES ('c1', 'Spring sale', 'sms', 'all', 't', 1, 1, 'completed', 0, 0);
                 INSERT INTO recipients (campaign_id, customer_id, status, rendered, updated_at)
                   VALUES ('c1', 'anon-ann', 'sent', 'Hi Ann', 10), ('c1', 'bo', 'sent', 'Hi Bo', 11);",
            )?;
            Ok(())
        })
        .unwrap();

    // The export, by her anonymous id, to a file named by the caller.
    let out = dir.path().join("ann.json");
    let export = export_person(
        &stack,
        "anon-ann",
        "dpo@example.com",
        &ExportTarget::File(out.clone()),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(export.path, out);
    assert_eq!(export.ids, ["ann", "anon-ann"]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["format"], EXPORT_FORMAT);
    assert_eq!(doc["requested_by"], "dpo@example.com");
    let parsed = |lines: &[String]| -> BTreeSet<String> {
        lines
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap().to_string())
            .collect()
    };
    let values = |v: &Value, field: &str| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x[field].to_string())
            .collect()
    };
    // Exactly her lines, accepted and rejected, from the bucket…
    assert_eq!(
        values(&doc["events"]["bucket_events"], "value"),
        parsed(&ann)
    );
    assert_eq!(
        values(&doc["events"]["bucket_rejected"], "value"),
        parsed(&ann_bad)
    );
    // …exactly her events from the cache, and how her ids were linked.
    let cached: BTreeSet<String> = doc["events"]["cached_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_id"].as_str().unwrap().to_string())
        .collect();
    let ann_ids: BTreeSet<String> = ann
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["event_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(cached, ann_ids);
    assert_eq!(doc["events"]["identity_links"][0]["kind"], "identify");
    // Her customer row and the campaign that reached her; nobody else's.
    let rows = &doc["campaigns"]["rows"];
    assert_eq!(rows[0]["table"], "customers");
    assert_eq!(rows[0]["rows"].as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["rows"][0]["email"], "ann@example.com");
    assert_eq!(doc["campaigns"]["received"][0]["rendered"], "Hi Ann");
    assert_eq!(doc["campaigns"]["received"].as_array().unwrap().len(), 1);
    assert!(!doc.to_string().contains("Hi Bo"));
    // The request is on record: who, kind, counts, the file.
    let recorded: (String, String, i64, i64, String) = stack
        .db
        .call(|c| -> stratus_core::Result<_> {
            Ok(c.query_row(
                "SELECT kind, state, json_extract(removed, '$.bucket_events'),
                        json_extract(removed, '$.bucket_rejected'), json_extract(removed, '$.file')
                 FROM privacy_requests WHERE requested_by = 'dpo@example.com'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        recorded,
        (
            "export".into(),
            "done".into(),
            3,
            2,
            out.display().to_string()
        )
    );
    // A second export to the same file is refused, the first one kept.
    let again = export_person(
        &stack,
        "ann",
        "dpo@example.com",
        &ExportTarget::File(out.clone()),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(stratus_core::CodedError::code(&again), "export_failed");
    assert_eq!(
        serde_json::from_str::<Value>(&std::fs::read_to_string(&out).unwrap()).unwrap(),
        doc
    );

    // The erasure: her rejected lines leave `bad/`; Bo's stay byte for
    // byte (the non-JSON line too); her only rejected object is deleted.
    let report = erase(
        &stack,
        "ann",
        "dpo@example.com",
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!((report.lines_removed, report.bad_lines_removed), (5, 2));
    assert_eq!(report.directory_rows_deleted, 1);
    assert_eq!(
        text_of(store.as_ref(), &bad[0].0).await.unwrap(),
        format!("{}\n{}\n", bo_bad[0], bo_bad[1])
    );
    assert_eq!(text_of(store.as_ref(), &bad[1].0).await, None);
    for (k, _) in &accepted {
        let text = text_of(store.as_ref(), k).await.unwrap();
        let bo_lines: String = bo
            .iter()
            .filter(|l| text.contains(l.as_str()))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(text, bo_lines, "{k}");
    }

    // An export now finds nothing of her anywhere.
    let after = export_person(
        &stack,
        "ann",
        "dpo@example.com",
        &ExportTarget::Folder(dir.path().join("exports")),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            after.counts.cached_events,
            after.counts.bucket_events,
            after.counts.bucket_rejected,
            after.counts.customer_rows
        ),
        (0, 0, 0, 0)
    );
    assert!(after.path.starts_with(dir.path().join("exports")));
    assert_eq!(support::count_rows(&stack, "privacy_requests").await, 4);
}
