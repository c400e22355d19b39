#![allow(clippy::unwrap_used)]
//! The `in_flight` mark is on disk before the publish: when the notifier is
//! called, a second connection already sees the row `in_flight`, and the
//! transaction that marked it committed under `synchronous=FULL` (in WAL
//! mode `NORMAL` may lose the last commits on power loss, and the message
//! would be sent again after the restart).
//!
//! The writer's statements are recorded with SQLite's trace hook (one per
//! process, hence a test binary of its own).

use std::sync::{Arc, Mutex};

use stratus_campaigns::notifier::{MessageId, Notifier, NotifyError, OutboundMessage};
use stratus_campaigns::run::{self, RunControl, RunRequest};

use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;

mod support;

static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record(sql: &str) {
    STATEMENTS.lock().unwrap().push(sql.to_string());
}

/// Checks, at each publish, what is already true on disk.
struct Witness {
    path: std::path::PathBuf,
    seen: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl Notifier for Witness {
    async fn publish(&self, message: &OutboundMessage) -> Result<MessageId, NotifyError> {
        let other = rusqlite::Connection::open(&self.path).unwrap();
        let status: String = other
            .query_row(
                "SELECT status FROM recipients WHERE campaign_id = ?1 AND customer_id = ?2",
                [&message.campaign_id, &message.customer_id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            status, "in_flight",
            "{}: committed before the publish",
            message.customer_id
        );

        // In the writer's own statements: the UPDATE that marked this
        // recipient, the COMMIT after it, and synchronous=FULL in force.
        let log = STATEMENTS.lock().unwrap().clone();
        let quoted = format!("'{}'", message.customer_id);
        let mark = log
            .iter()
            .rposition(|s| s.contains("status = 'in_flight'") && s.contains(&quoted))
            .unwrap_or_else(|| panic!("no in_flight mark for {quoted} in {log:#?}"));
        let level = log[..mark]
            .iter()
            .rev()
            .find(|s| s.to_ascii_uppercase().starts_with("PRAGMA SYNCHRONOUS"))
            .unwrap_or_else(|| panic!("synchronous never set before the mark: {log:#?}"));
        assert!(
            level.to_ascii_uppercase().contains("FULL"),
            "the mark's transaction ran with `{level}`"
        );
        assert!(
            log[mark..]
                .iter()
                .any(|s| s.to_ascii_uppercase().starts_with("COMMIT")),
            "the mark was committed before the publish: {:#?}",
            &log[mark..]
        );
        self.seen.lock().unwrap().push(message.customer_id.clone());
        Ok(format!("m-{}", message.customer_id))
    }

    async fn is_opted_out(&self, _phone: &str) -> Result<bool, NotifyError> {
        Ok(false)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_flight_mark_is_synced_to_disk_before_the_publish() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stratus.sqlite");
    let db = Db::open(&path).unwrap();
    support::insert(&db, &support::customers(40));
    let id = support::launched(&db, support::spec("Hi {{ first_name }}")).await;
    db.call_blocking(|c| -> stratus_campaigns::Result<_> {
        // The legacy hook: it hands over statements with their values bound.
        #[allow(deprecated)]
        c.trace(Some(record));
        Ok(())
    })
    .unwrap();
    let witness = Arc::new(Witness {
        path: path.clone(),
        seen: Mutex::new(Vec::new()),
    });
    let outcome = run::run_with_control(
        &RunRequest::new(&db, &id, witness.clone()).with_settings(support::fast_settings()),
        &RunControl::new(5_000.0, 4),
        |_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.counts.sent, 40, "{:?}", outcome.counts);
    assert_eq!(witness.seen.lock().unwrap().len(), 40);
    let level: i64 = db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            Ok(c.query_row("PRAGMA synchronous", [], |r| r.get(0))?)
        })
        .unwrap();
    assert_eq!(
        level, 1,
        "the connection is back to NORMAL for everything else"
    );
}
