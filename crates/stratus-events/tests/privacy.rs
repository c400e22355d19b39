//! A deletion request against a real S3 API (moto): the person's lines leave
//! every batch object, everyone else's stay byte for byte (after
//! decompression), the cache and the identity graph forget them, the request
//! is recorded, and a full re-sync does not bring them back.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Read;
use std::sync::Arc;

use serde_json::json;
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use stratus_core::store::ObjectStore;
use stratus_events::envelope::format_millis;
use stratus_events::privacy::erase::{erase_person, ForgetElsewhere};
use stratus_events::sync::{sync, SyncOptions};
use support::*;

fn text_of(body: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(body)
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn mine(n: u128, kind: &str, dist: Option<&str>, anon: Option<&str>, ts: i64) -> String {
    let mut e = json!({
        "event_id": event_id(n), "type": kind, "event": if kind == "identify" { "$identify" } else { "Viewed" },
        "received_at": format_millis(ts + 100), "ts": format_millis(ts),
        "properties": {"email": "ann@example.com"},
    });
    if let Some(d) = dist {
        e["distinct_id"] = json!(d);
    }
    if let Some(a) = anon {
        e["anonymous_id"] = json!(a);
    }
    e.to_string()
}

async fn run_sync(db: &Db, store: &Arc<dyn ObjectStore>, full: bool) {
    sync(
        db,
        Arc::clone(store),
        &SyncOptions {
            full,
            ..SyncOptions::default()
        },
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_erasure_removes_the_persons_lines_from_every_batch_and_they_do_not_come_back() {
    let Some(store) = s3_store("privacy").await else {
        eprintln!("skipped: no S3-compatible test server (STRATUS_TEST_AWS_ENDPOINT)");
        return;
    };
    let t = chrono::Utc::now().timestamp_millis() - 3 * HOUR;
    // Ann browses anonymously, logs in (identify), buys; Bo and Cy share
    // the batches. One object holds nothing but Ann.
    let batches = [
        (
            key_at(t, 1),
            vec![
                mine(1, "page", None, Some("anon-ann"), t),
                line(2, "bo", "Clicked", t + 1),
                mine(3, "page", None, Some("anon-ann"), t + 2),
            ],
        ),
        (
            key_at(t + HOUR, 2),
            vec![
                line(4, "cy", "Clicked", t + HOUR),
                mine(5, "identify", Some("ann"), Some("anon-ann"), t + HOUR + 1),
                line(6, "bo", "Viewed", t + HOUR + 2),
            ],
        ),
        (
            key_at(t + 2 * HOUR, 3),
            vec![mine(7, "track", Some("ann"), None, t + 2 * HOUR)],
        ),
        (
            key_at(t + 2 * HOUR, 4),
            vec![line(8, "cy", "Bought", t + 2 * HOUR + 5)],
        ),
    ];
    for (key, lines) in &batches {
        put_batch(store.as_ref(), key, lines).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("stratus.sqlite")).unwrap();
    run_sync(&db, &store, false).await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM events WHERE person = 'ann'").await,
        4
    );

    // The caller's part (the customer list in the app and the CLI) gets
    // every id of the person.
    let forget_directory: ForgetElsewhere = Box::new(|_, ids| {
        assert_eq!(ids, ["ann", "anon-ann"]);
        Ok(1)
    });
    let report = erase_person(
        &db,
        Arc::clone(&store),
        "anon-ann",
        "dpo@example.com",
        forget_directory,
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.person, "ann");
    assert_eq!(report.ids, ["ann", "anon-ann"]);
    assert_eq!(
        (
            report.objects_read,
            report.objects_rewritten,
            report.objects_deleted,
            report.lines_removed
        ),
        (4, 2, 1, 4)
    );
    assert_eq!(
        (
            report.events_deleted,
            report.links_deleted,
            report.identities_deleted,
            report.directory_rows_deleted
        ),
        (4, 1, 2, 1)
    );

    // Everyone else's lines, byte for byte; Ann's only object is gone.
    for (key, lines) in &batches {
        let others: String = lines
            .iter()
            .filter(|l| !l.contains("ann"))
            .map(|l| format!("{l}\n"))
            .collect();
        match store.head(key).await.unwrap() {
            Some(_) => assert_eq!(
                text_of(&store.get_bytes(key).await.unwrap()),
                others,
                "{key}"
            ),
            None => assert!(
                others.is_empty(),
                "{key} was deleted but held others' lines"
            ),
        }
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM events WHERE person IN ('ann', 'anon-ann')"
        )
        .await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM events").await,
        4,
        "Bo's and Cy's stay"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM identity_links").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM identities").await, 0);
    // The record outlives the data: who, when, what was removed.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM privacy_requests WHERE requested_by = 'dpo@example.com' AND state = 'done'
               AND subject = 'anon-ann' AND json_extract(removed, '$.lines_removed') = 4 AND finished_at IS NOT NULL"
        )
        .await,
        1
    );

    // Neither the next sync, a full one, nor a new cache brings Ann back.
    run_sync(&db, &store, false).await;
    run_sync(&db, &store, true).await;
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM events WHERE event_id LIKE '%' AND properties LIKE '%ann@%'"
        )
        .await,
        0
    );
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Db::open(&fresh_dir.path().join("stratus.sqlite")).unwrap();
    run_sync(&fresh, &store, true).await;
    assert_eq!(count(&fresh, "SELECT count(*) FROM events").await, 4);
    assert_eq!(
        count(
            &fresh,
            "SELECT count(*) FROM events WHERE properties LIKE '%ann@%'"
        )
        .await,
        0
    );
}
