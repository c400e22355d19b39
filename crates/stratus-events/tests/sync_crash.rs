//! A sync process killed with SIGKILL mid-sync, then restarted, ends with
//! exactly the right events: nothing lost, nothing doubled.
//!
//! The test re-executes its own binary to run `child_syncs_slowly` as a
//! separate process (told by an environment variable where the data is and
//! to go slowly), kills it with SIGKILL once it is part way, and finishes the
//! sync in-process. Twice: one object per transaction (a paced sync, as the
//! live tail runs), and several objects per transaction (a full-speed sync).

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;
use stratus_core::store::{LocalStore, ObjectStore};
use stratus_events::sync::{sync, SyncOptions};
use support::*;

const CHILD_ENV: &str = "STRATUS_EVENTS_CRASH_CHILD_DIR";
const GROUPED_ENV: &str = "STRATUS_EVENTS_CRASH_CHILD_GROUPED";
const OBJECTS: u128 = 40;
const PER_OBJECT: u128 = 50;
const STEP: u128 = 40; // consecutive objects share 10 events
const UNIQUE: i64 = ((OBJECTS - 1) * STEP + PER_OBJECT) as i64;

fn open(dir: &Path) -> (Db, Arc<dyn ObjectStore>) {
    let db = Db::open(&dir.join("stratus.sqlite")).unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.join("bucket")).unwrap());
    (db, store)
}

/// The child process's body. In a normal test run (no variable) it does nothing.
#[test]
fn child_syncs_slowly() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (db, store) = open(Path::new(&dir));
    let grouped = std::env::var_os(GROUPED_ENV).is_some();
    let options = if grouped {
        // No pace, so objects are grouped into transactions of up to 120
        // events (two or three objects); the progress callback below
        // slows each transaction's turn instead, to be killed part way.
        SyncOptions {
            group_events: 120,
            ..SyncOptions::default()
        }
    } else {
        SyncOptions {
            pace: Some(Duration::from_millis(40)),
            concurrency: 2,
            ..SyncOptions::default()
        }
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(sync(
            &db,
            store,
            &options,
            |_| {
                if grouped {
                    std::thread::sleep(Duration::from_millis(40));
                }
            },
            &CancellationToken::new(),
        ))
        .unwrap();
}

fn scalar(db_path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db_path).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_sync_killed_mid_way_resumes_to_the_exact_count() {
    killed_mid_way_then_resumed(false);
}

#[test]
fn a_sync_killed_mid_way_through_grouped_transactions_resumes_to_the_exact_count() {
    killed_mid_way_then_resumed(true);
}

fn killed_mid_way_then_resumed(grouped: bool) {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("stratus.sqlite");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    {
        let (_db, store) = open(dir.path());
        runtime.block_on(async {
            for i in 0..OBJECTS {
                let first = i * STEP;
                let batch: Vec<String> = (first..first + PER_OBJECT)
                    .map(|n| line(n, &format!("cust-{:05}", n % 7), "Clicked", T0 + n as i64))
                    .collect();
                put_batch(store.as_ref(), &key_at(T0 + i as i64, 1), &batch).await;
            }
        });
    }

    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "child_syncs_slowly",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path());
    if grouped {
        command.env(GROUPED_ENV, "1");
    }
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    while scalar(&db_path, "SELECT count(*) FROM sync_ledger") < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child sync made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child exited early"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // `Child::kill` sends SIGKILL on Unix: no destructor, no rollback code runs.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the child was killed, not finished: {status:?}"
    );

    let ledger = scalar(&db_path, "SELECT count(*) FROM sync_ledger");
    assert!(
        (5..OBJECTS as i64).contains(&ledger),
        "killed part way: {ledger} of {OBJECTS} objects"
    );
    // Every committed object is wholly in, and nothing else is.
    assert_eq!(
        scalar(&db_path, "SELECT count(*) FROM events"),
        scalar(
            &db_path,
            "SELECT coalesce(sum(inserted), 0) FROM sync_ledger"
        ),
    );

    let (db, store) = open(dir.path());
    let report = runtime
        .block_on(sync(
            &db,
            store,
            &SyncOptions::default(),
            |_| {},
            &CancellationToken::new(),
        ))
        .unwrap();
    assert_eq!(report.ingested + report.skipped, OBJECTS as u64);
    assert_eq!(scalar(&db_path, "SELECT count(*) FROM events"), UNIQUE);
    assert_eq!(
        scalar(&db_path, "SELECT count(*) FROM sync_ledger"),
        OBJECTS as i64
    );
    assert_eq!(
        scalar(
            &db_path,
            "SELECT count(*) FROM events_fts WHERE events_fts MATCH 'Clicked'"
        ),
        UNIQUE,
        "the FTS index matches the table after the crash"
    );
}
