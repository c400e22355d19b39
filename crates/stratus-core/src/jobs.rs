//! Jobs: long work with an id, a kind, a durable row in SQLite, progress and
//! a cancellation token. The registry lists running and recent jobs and
//! broadcasts every change, so a shell can stream progress to its UI.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{params, OptionalExtension, Row};
use tokio::sync::{broadcast, watch};
pub use tokio_util::sync::CancellationToken;

use crate::clock::now_millis;
use crate::db::Db;
use crate::{CodedError, Error, Failure, Result};

/// How often a running job's progress is written to its row. The UI gets
/// every update live; the row only has to be fresh enough to reattach to.
const PERSIST_EVERY: Duration = Duration::from_millis(750);
/// Finished jobs kept in memory for the jobs panel.
const RECENT_IN_MEMORY: usize = 50;
/// The code every crate gives its "cancelled" error.
const CANCELLED: &str = "cancelled";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// The process stopped while the job ran; its durable state says how far it got.
    Interrupted,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> JobState {
        match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "succeeded" => JobState::Succeeded,
            "failed" => JobState::Failed,
            "cancelled" => JobState::Cancelled,
            _ => JobState::Interrupted,
        }
    }

    pub fn is_finished(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }
}

/// A unit count and a line of text; `total` is `None` while unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: Option<u64>,
    pub message: String,
}

impl Progress {
    pub fn new(done: u64, total: Option<u64>, message: impl Into<String>) -> Self {
        Progress {
            done,
            total,
            message: message.into(),
        }
    }
}

/// The state of one job at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSnapshot {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub state: JobState,
    pub progress: Progress,
    /// Why a failed job failed: the code of the error that stopped it and its message.
    pub error: Option<Failure>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

/// What a job's work function gets: where to report progress and the token
/// to check between units of work.
#[derive(Clone)]
pub struct JobContext {
    id: String,
    cancel: CancellationToken,
    registry: JobRegistry,
    db: Db,
}

impl JobContext {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    pub fn report(&self, progress: Progress) {
        self.registry.on_progress(&self.id, &self.db, progress);
    }

    /// A progress callback for core functions that take `impl Fn(Progress)`.
    pub fn reporter(&self) -> impl Fn(Progress) + Send + Sync + 'static {
        let ctx = self.clone();
        move |p| ctx.report(p)
    }
}

struct Entry {
    snapshot: JobSnapshot,
    cancel: CancellationToken,
    watch: watch::Sender<JobSnapshot>,
    last_persist: Instant,
}

/// All jobs of this process. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct JobRegistry {
    jobs: Arc<Mutex<HashMap<String, Entry>>>,
    events: broadcast::Sender<JobSnapshot>,
}

impl Default for JobRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl JobRegistry {
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(1024);
        JobRegistry {
            jobs: Arc::new(Mutex::new(HashMap::new())),
            events,
        }
    }

    /// Every change of every job, as it happens. A slow receiver may miss
    /// intermediate updates (it gets `Lagged`), never the latest state.
    pub fn subscribe(&self) -> broadcast::Receiver<JobSnapshot> {
        self.events.subscribe()
    }

    /// Records the job in `db` and runs `work` on the runtime. Returns at once.
    /// `work` fails with its own crate's error; the job keeps that error's
    /// code (`cancelled` ends the job as cancelled, not failed).
    pub async fn start<F, Fut, E>(
        &self,
        db: &Db,
        kind: &str,
        title: impl Into<String>,
        work: F,
    ) -> Result<JobSnapshot>
    where
        F: FnOnce(JobContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<String, E>> + Send + 'static,
        E: CodedError,
    {
        let snapshot = JobSnapshot {
            id: uuid::Uuid::now_v7().to_string(),
            kind: kind.to_string(),
            title: title.into(),
            state: JobState::Running,
            progress: Progress::default(),
            error: None,
            started_at: now_millis(),
            finished_at: None,
        };
        let row = snapshot.clone();
        db.call(move |c| -> Result<()> {
            c.execute(
                "INSERT INTO jobs (id, kind, title, state, done, total, message, started_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 0, NULL, '', ?5, ?5)",
                params![row.id, row.kind, row.title, row.state.as_str(), row.started_at],
            )?;
            Ok(())
        })
        .await?;

        let cancel = CancellationToken::new();
        let (watch, _) = watch::channel(snapshot.clone());
        self.lock().insert(
            snapshot.id.clone(),
            Entry {
                snapshot: snapshot.clone(),
                cancel: cancel.clone(),
                watch,
                last_persist: Instant::now(),
            },
        );
        let _ = self.events.send(snapshot.clone());

        let ctx = JobContext {
            id: snapshot.id.clone(),
            cancel: cancel.clone(),
            registry: self.clone(),
            db: db.clone(),
        };
        let registry = self.clone();
        let db = db.clone();
        let id = snapshot.id.clone();
        tokio::spawn(async move {
            let outcome = work(ctx).await;
            let (state, message, error) = match outcome {
                Ok(summary) => (JobState::Succeeded, Some(summary), None),
                Err(e) if e.code() == CANCELLED || cancel.is_cancelled() => {
                    (JobState::Cancelled, Some("cancelled".to_string()), None)
                }
                Err(e) => (JobState::Failed, None, Some(Failure::of(&e))),
            };
            registry.finish(&id, &db, state, message, error).await;
        });
        Ok(snapshot)
    }

    /// Trips the job's cancellation token; the job stops at its next check.
    pub fn cancel(&self, id: &str) -> Result<()> {
        let jobs = self.lock();
        match jobs.get(id) {
            Some(entry) if !entry.snapshot.state.is_finished() => {
                entry.cancel.cancel();
                Ok(())
            }
            _ => Err(Error::JobNotRunning(id.to_string())),
        }
    }

    /// Waits until a job of this process has finished and returns its last state.
    pub async fn wait(&self, id: &str) -> Option<JobSnapshot> {
        let mut rx = self.lock().get(id)?.watch.subscribe();
        let snapshot = rx.wait_for(|s| s.state.is_finished()).await.ok()?.clone();
        Some(snapshot)
    }

    /// Jobs of this process (running and recently finished) merged with the
    /// most recent rows of `db`, newest first.
    pub async fn list(&self, db: &Db, limit: usize) -> Result<Vec<JobSnapshot>> {
        let limit_sql = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stored = db
            .call(move |c| -> Result<_> {
                let mut stmt = c.prepare(&format!(
                    "SELECT {COLUMNS} FROM jobs ORDER BY started_at DESC LIMIT ?1"
                ))?;
                let rows = stmt.query_map([limit_sql], snapshot_from_row)?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await?;
        let live: Vec<JobSnapshot> = self.lock().values().map(|e| e.snapshot.clone()).collect();
        stored.retain(|s| !live.iter().any(|l| l.id == s.id));
        stored.extend(live);
        stored.sort_by(|a, b| {
            b.started_at
                .cmp(&a.started_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        stored.truncate(limit);
        Ok(stored)
    }

    /// After a restart, rows still `running` belong to a process that died:
    /// mark them `interrupted` (jobs of this process are left alone).
    pub async fn mark_interrupted(&self, db: &Db) -> Result<usize> {
        let live: Vec<String> = self.lock().keys().cloned().collect();
        db.call(move |c| {
            let tx = c.transaction()?;
            let stale: Vec<String> = {
                let mut stmt = tx.prepare("SELECT id FROM jobs WHERE state IN ('queued', 'running')")?;
                let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
                ids.collect::<rusqlite::Result<Vec<_>>>()?
            };
            let mut count = 0;
            for id in stale.iter().filter(|id| !live.contains(id)) {
                count += tx.execute(
                    "UPDATE jobs SET state = 'interrupted', finished_at = ?2, updated_at = ?2 WHERE id = ?1",
                    params![id, now_millis()],
                )?;
            }
            tx.commit()?;
            Ok(count)
        })
        .await
    }

    /// A stored job, from this process or from the database.
    pub async fn get(&self, db: &Db, id: &str) -> Result<Option<JobSnapshot>> {
        if let Some(e) = self.lock().get(id) {
            return Ok(Some(e.snapshot.clone()));
        }
        let id = id.to_string();
        db.call(move |c| {
            Ok(c.query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
                [id],
                snapshot_from_row,
            )
            .optional()?)
        })
        .await
    }

    fn on_progress(&self, id: &str, db: &Db, progress: Progress) {
        let (snapshot, persist) = {
            let mut jobs = self.lock();
            let Some(entry) = jobs.get_mut(id) else {
                return;
            };
            if entry.snapshot.state.is_finished() {
                return;
            }
            entry.snapshot.progress = progress;
            let persist = entry.last_persist.elapsed() >= PERSIST_EVERY;
            if persist {
                entry.last_persist = Instant::now();
            }
            entry.watch.send_replace(entry.snapshot.clone());
            (entry.snapshot.clone(), persist)
        };
        let _ = self.events.send(snapshot.clone());
        if persist {
            let db = db.clone();
            tokio::spawn(async move {
                // `state = 'running'` keeps a late progress write from undoing the final state.
                let result = db
                    .call(move |c| -> Result<_> {
                        c.execute(
                            "UPDATE jobs SET done = ?2, total = ?3, message = ?4, updated_at = ?5
                             WHERE id = ?1 AND state = 'running'",
                            params![
                                snapshot.id,
                                to_sql_count(snapshot.progress.done),
                                snapshot.progress.total.map(to_sql_count),
                                snapshot.progress.message,
                                now_millis()
                            ],
                        )?;
                        Ok(())
                    })
                    .await;
                if let Err(e) = result {
                    tracing::warn!("could not save job progress: {e}");
                }
            });
        }
    }

    async fn finish(
        &self,
        id: &str,
        db: &Db,
        state: JobState,
        message: Option<String>,
        error: Option<Failure>,
    ) {
        let snapshot = {
            let mut jobs = self.lock();
            let Some(entry) = jobs.get_mut(id) else {
                return;
            };
            entry.snapshot.state = state;
            entry.snapshot.error = error;
            if let Some(m) = message {
                entry.snapshot.progress.message = m;
            }
            entry.snapshot.finished_at = Some(now_millis());
            entry.watch.send_replace(entry.snapshot.clone());
            entry.snapshot.clone()
        };
        let row = snapshot.clone();
        let result = db
            .call(move |c| -> Result<_> {
                c.execute(
                    "UPDATE jobs SET state = ?2, done = ?3, total = ?4, message = ?5, error = ?6,
                         error_code = ?8, finished_at = ?7, updated_at = ?7 WHERE id = ?1",
                    params![
                        row.id,
                        row.state.as_str(),
                        to_sql_count(row.progress.done),
                        row.progress.total.map(to_sql_count),
                        row.progress.message,
                        row.error.as_ref().map(|f| &f.message),
                        row.finished_at,
                        row.error.as_ref().map(|f| &f.code),
                    ],
                )?;
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::warn!("could not save the end of job {id}: {e}");
        }
        let _ = self.events.send(snapshot);
        self.forget_old_finished();
    }

    fn forget_old_finished(&self) {
        let mut jobs = self.lock();
        let mut finished: Vec<(i64, String)> = jobs
            .values()
            .filter(|e| e.snapshot.state.is_finished())
            .map(|e| (e.snapshot.started_at, e.snapshot.id.clone()))
            .collect();
        if finished.len() > RECENT_IN_MEMORY {
            finished.sort();
            for (_, id) in finished.iter().take(finished.len() - RECENT_IN_MEMORY) {
                jobs.remove(id);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding this lock cannot leave the map half-updated
        // (every update is a single insert or field write), so recover it.
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn to_sql_count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The columns [`snapshot_from_row`] reads, in its order.
const COLUMNS: &str =
    "id, kind, title, state, done, total, message, error, started_at, finished_at, error_code";

fn snapshot_from_row(r: &Row<'_>) -> rusqlite::Result<JobSnapshot> {
    let state: String = r.get(3)?;
    let done: i64 = r.get(4)?;
    let total: Option<i64> = r.get(5)?;
    Ok(JobSnapshot {
        id: r.get(0)?,
        kind: r.get(1)?,
        title: r.get(2)?,
        state: JobState::parse(&state),
        progress: Progress {
            done: u64::try_from(done).unwrap_or(0),
            total: total.and_then(|t| u64::try_from(t).ok()),
            message: r.get(6)?,
        },
        error: match (
            r.get::<_, Option<String>>(7)?,
            r.get::<_, Option<String>>(10)?,
        ) {
            (Some(message), code) => Some(Failure {
                // Rows from before codes were stored (migration 0009 fills them).
                code: code.unwrap_or_else(|| "internal".into()),
                message,
            }),
            (None, _) => None,
        },
        started_at: r.get(8)?,
        finished_at: r.get(9)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_reports_progress_and_its_final_state_is_stored() {
        let db = Db::open_in_memory().unwrap();
        let jobs = JobRegistry::new();
        let mut events = jobs.subscribe();
        let job = jobs
            .start(&db, "test", "count to three", |ctx| async move {
                for i in 1..=3 {
                    ctx.report(Progress::new(i, Some(3), format!("step {i}")));
                }
                Ok::<_, Error>("counted".to_string())
            })
            .await
            .unwrap();
        let done = jobs.wait(&job.id).await.unwrap();
        assert_eq!(done.state, JobState::Succeeded);
        assert_eq!(done.progress, Progress::new(3, Some(3), "counted"));

        let mut seen = Vec::new();
        while let Ok(s) = events.try_recv() {
            seen.push(s.progress.done);
        }
        assert!(
            seen.contains(&2),
            "intermediate progress is broadcast: {seen:?}"
        );

        let stored = JobRegistry::new().get(&db, &job.id).await.unwrap().unwrap();
        assert_eq!(stored.state, JobState::Succeeded);
        assert_eq!(stored.progress.done, 3);
    }

    #[tokio::test]
    async fn cancel_stops_a_job_that_checks_its_token() {
        let db = Db::open_in_memory().unwrap();
        let jobs = JobRegistry::new();
        let job = jobs
            .start(&db, "test", "wait forever", |ctx| async move {
                ctx.cancel_token().cancelled().await;
                Err(Error::Cancelled)
            })
            .await
            .unwrap();
        jobs.cancel(&job.id).unwrap();
        assert_eq!(jobs.wait(&job.id).await.unwrap().state, JobState::Cancelled);
        assert_eq!(jobs.cancel(&job.id).unwrap_err().code(), "job_not_running");
    }

    #[tokio::test]
    async fn a_failing_job_keeps_its_error_code_and_message_after_a_restart() {
        let db = Db::open_in_memory().unwrap();
        let jobs = JobRegistry::new();
        let job = jobs
            .start(&db, "test", "fail", |_| async {
                Err(crate::store::StoreError::NotFound {
                    key: "photos/cat.jpg".into(),
                })
            })
            .await
            .unwrap();
        let done = jobs.wait(&job.id).await.unwrap();
        assert_eq!(done.state, JobState::Failed);
        let expected = Failure::new("not_found", "object `photos/cat.jpg` does not exist");
        assert_eq!(done.error.as_ref(), Some(&expected));

        let stored = JobRegistry::new().get(&db, &job.id).await.unwrap().unwrap();
        assert_eq!(stored.state, JobState::Failed);
        assert_eq!(stored.error, Some(expected));
    }

    #[tokio::test]
    async fn an_error_coded_cancelled_ends_the_job_cancelled_not_failed() {
        let db = Db::open_in_memory().unwrap();
        let jobs = JobRegistry::new();
        let job = jobs
            .start(&db, "test", "stop", |_| async {
                Err(Failure::new("cancelled", "cancelled"))
            })
            .await
            .unwrap();
        let done = jobs.wait(&job.id).await.unwrap();
        assert_eq!(done.state, JobState::Cancelled);
        assert_eq!(done.error, None);
    }

    #[test]
    fn a_failed_row_from_before_error_codes_reads_as_internal() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::db::migrations().to_version(&mut conn, 8).unwrap();
        conn.execute_batch(
            "INSERT INTO jobs (id, kind, title, state, error, started_at, updated_at)
                 VALUES ('old', 'k', 't', 'failed', 'disk on fire', 1, 1);
             INSERT INTO jobs (id, kind, title, state, started_at, updated_at)
                 VALUES ('fine', 'k', 't', 'succeeded', 2, 2);",
        )
        .unwrap();
        crate::db::migrations().to_latest(&mut conn).unwrap();
        let read = |id: &str| {
            conn.query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
                [id],
                snapshot_from_row,
            )
            .unwrap()
        };
        assert_eq!(
            read("old").error,
            Some(Failure::new("internal", "disk on fire"))
        );
        assert_eq!(read("fine").error, None);
    }

    #[tokio::test]
    async fn rows_left_running_by_a_dead_process_become_interrupted() {
        let db = Db::open_in_memory().unwrap();
        db.call(|c| -> Result<_> {
            c.execute(
                "INSERT INTO jobs (id, kind, title, state, started_at, updated_at) VALUES ('old', 'k', 't', 'running', 1, 1)",
                [],
            )?;
            Ok(())
        })
        .await
        .unwrap();
        let jobs = JobRegistry::new();
        assert_eq!(jobs.mark_interrupted(&db).await.unwrap(), 1);
        let listed = jobs.list(&db, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].state, JobState::Interrupted);
    }
}
