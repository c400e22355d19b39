//! The per-profile SQLite database: WAL, versioned migrations, and blocking
//! work kept off the async runtime's workers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
#[cfg(test)]
use rusqlite_migration::{Migrations, M};

use crate::{private_files, Error, Result};

/// Schema migrations, oldest first. Append only: a released migration is never
/// edited. Migration `n` (1-based) brings `user_version` from `n - 1` to `n`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_core.sql"),
    include_str!("../migrations/0002_events.sql"),
    include_str!("../migrations/0003_campaigns.sql"),
    include_str!("../migrations/0004_media.sql"),
    include_str!("../migrations/0005_campaign_progress.sql"),
    include_str!("../migrations/0006_events_fts_bulk.sql"),
    include_str!("../migrations/0007_events_compact.sql"),
    include_str!("../migrations/0008_sync_sweep.sql"),
    include_str!("../migrations/0009_job_error_code.sql"),
    include_str!("../migrations/0010_write_keys.sql"),
    include_str!("../migrations/0011_identity.sql"),
    include_str!("../migrations/0012_privacy_requests.sql"),
    include_str!("../migrations/0013_push_devices.sql"),
    include_str!("../migrations/0014_campaign_rules.sql"),
    include_str!("../migrations/0015_cloud_runs.sql"),
    include_str!("../migrations/0016_privacy_exports_saved_views.sql"),
];

/// The same list for `rusqlite_migration`'s checks (and tests that stop at
/// an older version).
#[cfg(test)]
pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

/// How long opening a database waits for another process's migration (a
/// large cache's upgrade rewrites every event).
const MIGRATION_WAIT: Duration = Duration::from_secs(300);

/// Brings the schema to the latest version. The version check and the
/// migrations run in ONE exclusive transaction: two processes opening a new
/// profile at once (the app's auto-sync and a CLI command) would otherwise
/// both read version 0 and the second would fail on `table … already
/// exists`. The second now waits for the first and finds nothing to do.
fn migrate(conn: &mut Connection) -> Result<()> {
    conn.busy_timeout(MIGRATION_WAIT)?;
    let result = migrate_exclusive(conn);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    result
}

fn migrate_exclusive(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = MIGRATIONS.len() as i64;
    if version > latest {
        return Err(Error::Migration(format!(
            "the database is at schema version {version}, newer than this program's {latest}; \
             use a newer Stratus"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)
            .map_err(|e| Error::Migration(format!("migration {}: {e}", index + 1)))?;
    }
    if version < latest {
        tx.pragma_update(None, "user_version", latest)?;
    }
    tx.commit()?;
    Ok(())
}

/// A handle to one profile's database. Cheap to clone.
///
/// One connection behind a mutex: SQLite serialises writers anyway, and the
/// desktop app's load is one user. Heavy readers can open their own
/// connections with [`Db::open_reader`].
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish()
    }
}

impl Db {
    /// Opens (creating if needed) and migrates the database at `path`. Its
    /// folder is `0700` and the file and its WAL/SHM `0600` (tightened on
    /// databases made before that rule): it holds customer data.
    pub fn open(path: &Path) -> Result<Db> {
        if let Some(parent) = path.parent() {
            private_files::private_dir(parent)
                .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
        }
        match private_files::create_new(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io(format!("cannot create {}", path.display()), e)),
        }
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        // SQLite gives the WAL and SHM files the database's mode; existing
        // ones (and the database) may predate the rule.
        for file in [
            path.to_path_buf(),
            sidecar(path, "-wal"),
            sidecar(path, "-shm"),
        ] {
            private_files::restrict_file(&file)
                .map_err(|e| Error::io(format!("cannot restrict {}", file.display()), e))?;
        }
        migrate(&mut conn).map_err(|e| match e {
            Error::Migration(m) => Error::Migration(format!("{}: {m}", path.display())),
            other => other,
        })?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            path: Some(path.to_path_buf()),
        })
    }

    /// A private in-memory database, migrated; for tests.
    pub fn open_in_memory() -> Result<Db> {
        let mut conn = Connection::open_in_memory()?;
        migrate(&mut conn)?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            path: None,
        })
    }

    /// A separate read connection to the same file (for long queries that
    /// must not hold the writer).
    pub fn open_reader(&self) -> Result<Connection> {
        let path = self
            .path
            .as_ref()
            .ok_or_else(|| Error::Internal("an in-memory database has no readers".into()))?;
        let conn = Connection::open(path)?;
        configure(&conn)?;
        Ok(conn)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `work` with the connection on the blocking thread pool.
    ///
    /// The closure speaks its caller's error type `E` (anything a core error
    /// converts into; `?` on `rusqlite` errors needs `E: From<rusqlite::Error>`),
    /// so a capability's error comes back with its own code. Where the
    /// compiler cannot tell `E` (the result is `?`-ed again), name it on the
    /// closure: `db.call(|c| -> Result<_> { … })`.
    pub async fn call<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| poisoned())?;
            work(&mut guard)
        })
        .await
        .map_err(|e| Error::Internal(format!("database worker failed: {e}")))?
    }

    /// Runs `work` on a fresh read connection on the blocking pool, so a
    /// long read (progress, dry runs, exports) never queues behind the
    /// writer. An in-memory database (tests) has only its writer, so that is
    /// used instead. Errors as in [`Db::call`].
    pub async fn read<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        if self.path.is_none() {
            return self.call(move |c| work(c)).await;
        }
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = db.open_reader()?;
            work(&conn)
        })
        .await
        .map_err(|e| Error::Internal(format!("database reader failed: {e}")))?
    }

    /// Runs `work` at once if no other call holds the connection, `None` if
    /// one does (never waits): for work that must not queue behind a long
    /// call, and for checking that long work does not hold the connection.
    pub fn try_call_blocking<T, E: From<Error>>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, E>,
    ) -> Result<Option<T>, E> {
        match self.conn.try_lock() {
            Ok(mut guard) => work(&mut guard).map(Some),
            Err(std::sync::TryLockError::WouldBlock) => Ok(None),
            Err(std::sync::TryLockError::Poisoned(_)) => Err(poisoned().into()),
        }
    }

    /// Runs `work` on the current thread. Only for callers that are already
    /// off the async workers (CLI setup, blocking tasks, tests).
    pub fn call_blocking<T, E: From<Error>>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut guard = self.conn.lock().map_err(|_| poisoned())?;
        work(&mut guard)
    }
}

fn poisoned() -> Error {
    Error::Internal("database lock poisoned".into())
}

/// `stratus.sqlite-wal` and friends.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    switch_to_wal(conn)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Turns on WAL. Switching a new database's journal mode needs an
/// exclusive lock, and when another connection is opening the same file at
/// that moment SQLite answers `SQLITE_BUSY` at once instead of calling the
/// busy handler (it would risk a deadlock), so the switch is tried again
/// for as long as a migration may wait. Seen with several processes (the
/// app and the CLI) opening a profile for the first time together.
fn switch_to_wal(conn: &Connection) -> Result<()> {
    let deadline = std::time::Instant::now() + MIGRATION_WAIT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => return Ok(other?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }

    /// Many connections (as many processes would) open one fresh database at
    /// the same moment: every open succeeds and the schema is migrated once.
    #[test]
    fn concurrent_opens_of_a_new_database_all_succeed() {
        for round in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("profiles/p/stratus.sqlite");
            let openers = 8;
            let start = std::sync::Barrier::new(openers);
            let results: Vec<Result<Db>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..openers)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            Db::open(&path)
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for r in &results {
                if let Err(e) = r {
                    panic!("round {round}: an open failed: {e}");
                }
            }
            let db = results.into_iter().next().unwrap().unwrap();
            let (version, tables): (i64, i64) = db
                .call_blocking(|c| -> Result<_> {
                    Ok((
                        c.query_row("PRAGMA user_version", [], |r| r.get(0))?,
                        c.query_row(
                            "SELECT count(*) FROM sqlite_master WHERE name = 'jobs'",
                            [],
                            |r| r.get(0),
                        )?,
                    ))
                })
                .unwrap();
            assert_eq!(version, MIGRATIONS.len() as i64);
            assert_eq!(tables, 1);
        }
    }

    /// A capability's error in the closure comes back as itself, code and all.
    #[derive(Debug, thiserror::Error)]
    enum Domain {
        #[error("campaign `{0}` does not exist")]
        NotFound(String),
        #[error(transparent)]
        Core(#[from] Error),
        #[error(transparent)]
        Db(#[from] rusqlite::Error),
    }

    impl crate::CodedError for Domain {
        fn code(&self) -> &str {
            match self {
                Domain::NotFound(_) => "campaign_not_found",
                Domain::Core(e) => e.code(),
                Domain::Db(_) => "database",
            }
        }
    }

    #[tokio::test]
    async fn a_domain_error_keeps_its_code_through_every_call() {
        use crate::CodedError;
        // A file, so `read` takes its own reader connection.
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("stratus.sqlite")).unwrap();
        let missing = |c: &Connection| -> Result<i64, Domain> {
            let n: i64 = c.query_row("SELECT count(*) FROM jobs", [], |r| r.get(0))?;
            Err(Domain::NotFound(format!("c{n}")))
        };
        let err = db.call(move |c| missing(c)).await.unwrap_err();
        assert_eq!(err.code(), "campaign_not_found");
        assert_eq!(err.to_string(), "campaign `c0` does not exist");
        let err = db.read(move |c| missing(c)).await.unwrap_err();
        assert_eq!(err.code(), "campaign_not_found");
        let err = db.call_blocking(|c| missing(c)).unwrap_err();
        assert_eq!(err.code(), "campaign_not_found");
        let err = db.try_call_blocking(|c| missing(c)).unwrap_err();
        assert_eq!(err.code(), "campaign_not_found");
        let err = db
            .call(|c| -> Result<(), Domain> { Ok(c.execute_batch("NOT SQL")?) })
            .await
            .unwrap_err();
        assert_eq!(err.code(), "database");
    }

    #[test]
    fn a_database_from_a_newer_program_is_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stratus.sqlite");
        drop(Db::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Db::open(&path).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }

    #[tokio::test]
    async fn opens_in_wal_mode_and_reopens_without_redoing_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/stratus.sqlite");
        let db = Db::open(&path).unwrap();
        let mode: String = db
            .call(|c| -> Result<_> { Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?) })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        db.call(|c| -> Result<_> {
            c.execute(
                "INSERT INTO demo_seed (step, applied_at) VALUES ('x', 1)",
                [],
            )?;
            Ok(())
        })
        .await
        .unwrap();
        drop(db);
        let again = Db::open(&path).unwrap();
        let count: i64 = again
            .call(|c| -> Result<_> {
                Ok(c.query_row("SELECT count(*) FROM demo_seed", [], |r| r.get(0))?)
            })
            .await
            .unwrap();
        assert_eq!(
            count, 1,
            "reopening must keep data and not re-run migrations"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_data_dir_is_0700_and_the_database_and_its_wal_0600() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let home = crate::home::AppHome::new(dir.path().join("data"));
        let path = home.database("demo");
        let db = Db::open(&path).unwrap();
        db.call_blocking(|c| -> Result<_> {
            Ok(c.execute("INSERT INTO demo_seed VALUES ('x', 1)", [])?)
        })
        .unwrap();
        assert_eq!(mode(&home.profile_dir("demo")), 0o700);
        for file in [&path, &sidecar(&path, "-wal"), &sidecar(&path, "-shm")] {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
        drop(db);

        // An install from before the rule is tightened when it is opened.
        for file in [&path, &sidecar(&path, "-wal"), &sidecar(&path, "-shm")] {
            if file.exists() {
                std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
        std::fs::set_permissions(
            home.profile_dir("demo"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let _db = Db::open(&path).unwrap();
        assert_eq!(mode(&home.profile_dir("demo")), 0o700);
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_cache_from_before_0007_keeps_its_events_and_search() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut conn, 6).unwrap();
        let key = "events/v1/dt=2026-11-26/hh=15/a.ndjson.gz";
        let raw = r#"{"event_id":"0192f3a0-0000-7000-8000-000000000001","type":"track","event":"Clicked","distinct_id":"cust-1","received_at":"2026-11-26T15:00:00.000Z","ts":"2026-11-26T14:59:59.000Z","properties":{"label":"rain shell"},"context":{"url":"https://shop.example/","tz":"Europe/Paris"},"collector":{"ip":"198.51.100.0"}}"#;
        conn.execute_batch(&format!(
            "INSERT INTO sync_ledger VALUES ('{key}', 'e1', 10, 1, 1, 0, 'ingested', 1);
             INSERT INTO events (event_id, ts, received_at, event, type, distinct_id, url,
                 properties, raw, object_key)
             VALUES ('0192f3a0-0000-7000-8000-000000000001', 1795705199000, 1795705200000,
                 'Clicked', 'track', 'cust-1', 'https://shop.example/', '{{\"label\":\"rain shell\"}}',
                 '{raw}', '{key}');
             INSERT INTO events_fts (rowid, event, properties, url)
                 SELECT rowid, event, properties, url FROM events;"
        ))
        .unwrap();

        migrations().to_latest(&mut conn).unwrap();
        let (extra, batch, ledger_key): (String, i64, String) = conn
            .query_row(
                "SELECT e.extra, e.batch, l.key FROM events e JOIN sync_ledger l ON l.id = e.batch",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(ledger_key, key);
        assert!(batch > 0);
        assert_eq!(
            extra, r#"{"context":{"tz":"Europe/Paris"},"collector":{"ip":"198.51.100.0"}}"#,
            "extra keeps what no column holds"
        );
        let found: i64 = conn
            .query_row(
                "SELECT count(*) FROM events_fts WHERE events_fts MATCH '\"rain shell\"'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 1, "the search index is rebuilt");
    }
}
