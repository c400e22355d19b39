//! Demo mode: the built-in offline profile, seeded with data so that every
//! screen has something real to show without an AWS account.
//!
//! Seeding is a list of named steps; each runs once per demo database (the
//! `demo_seed` table remembers it), so seeding is idempotent. Each capability
//! crate offers its own steps (`demo_steps()`); the edges (app, CLI) put the
//! list together, since the core knows no capability.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use rusqlite::params;

use crate::clock::now_millis;
use crate::home::AppHome;
use crate::jobs::{CancellationToken, Progress};
use crate::profile::{Profile, DEMO};
use crate::stack::Stack;
use crate::store::PutOptions;
use crate::{CodedError, Error, Failure, Result};

/// A step fails with its own crate's error, kept as its code and message.
type StepFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Failure>> + Send + 'a>>;

/// One seeding step: a stable name and the work (see [`coded`]).
pub struct SeedStep {
    pub name: &'static str,
    pub run: for<'a> fn(&'a Stack) -> StepFuture<'a>,
}

/// Wraps a capability's step so its error keeps its code:
/// `run: |stack| Box::pin(demo::coded(seed_customers(stack)))`.
pub async fn coded<E: CodedError>(
    work: impl Future<Output = Result<(), E>>,
) -> Result<(), Failure> {
    work.await.map_err(|e| Failure::of(&e))
}

/// The core's own steps; they run first.
pub fn core_steps() -> Vec<SeedStep> {
    vec![SeedStep {
        name: "core.welcome.v1",
        run: |stack| Box::pin(coded(seed_welcome(stack))),
    }]
}

/// What a seed run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub applied: Vec<&'static str>,
    pub already_applied: Vec<&'static str>,
}

/// Runs every step not yet applied to this demo stack. A failing step's
/// error keeps its crate's code.
pub async fn seed(
    stack: &Stack,
    steps: &[SeedStep],
    progress: impl Fn(Progress),
    cancel: &CancellationToken,
) -> Result<SeedReport, Failure> {
    if !stack.profile.is_demo() {
        return Err(Error::InvalidProfile(format!(
            "demo data can only be seeded into the demo profile, not `{}`",
            stack.profile.name
        ))
        .into());
    }
    let total = steps.len() as u64;
    let mut report = SeedReport {
        applied: Vec::new(),
        already_applied: Vec::new(),
    };
    for (i, step) in steps.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled.into());
        }
        progress(Progress::new(
            i as u64,
            Some(total),
            format!("seeding {}", step.name),
        ));
        let name = step.name;
        let done: bool = stack
            .db
            .call(move |c| -> Result<_> {
                Ok(c.query_row(
                    "SELECT EXISTS(SELECT 1 FROM demo_seed WHERE step = ?1)",
                    [name],
                    |r| r.get(0),
                )?)
            })
            .await?;
        if done {
            report.already_applied.push(name);
            continue;
        }
        (step.run)(stack).await?;
        stack
            .db
            .call(move |c| -> Result<_> {
                c.execute(
                    "INSERT OR IGNORE INTO demo_seed (step, applied_at) VALUES (?1, ?2)",
                    params![name, now_millis()],
                )?;
                Ok(())
            })
            .await?;
        report.applied.push(name);
    }
    progress(Progress::new(total, Some(total), "demo data ready"));
    Ok(report)
}

/// The names of the steps not yet applied to this stack, in order: one
/// query, so a front end can decide at once whether seeding is needed
/// (the app starts its window first and seeds as a job).
pub async fn pending_steps(stack: &Stack, steps: &[SeedStep]) -> Result<Vec<&'static str>> {
    let names: Vec<&'static str> = steps.iter().map(|s| s.name).collect();
    stack
        .db
        .call(move |c| -> Result<_> {
            let mut stmt = c.prepare("SELECT step FROM demo_seed")?;
            let applied = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<std::collections::HashSet<String>>>()?;
            Ok(names
                .into_iter()
                .filter(|n| !applied.contains(*n))
                .collect())
        })
        .await
}

/// Opens the demo profile, seeding what is missing (all of it on the first start).
pub async fn open_seeded(home: &AppHome, steps: &[SeedStep]) -> Result<Stack, Failure> {
    let stack = Stack::open(home, Profile::demo()).await?;
    seed(&stack, steps, |_| {}, &CancellationToken::new()).await?;
    Ok(stack)
}

/// Removes all demo data (database and local buckets). Open handles to the
/// old database keep working on the unlinked file until dropped; callers
/// reopen the demo stack afterwards.
pub async fn wipe(home: &AppHome) -> Result<()> {
    let dir = home.profile_dir(DEMO);
    let trash = home
        .trash_dir()
        .join(format!("demo-{}", uuid::Uuid::now_v7()));
    tokio::task::spawn_blocking(move || -> Result<()> {
        if !dir.exists() {
            return Ok(());
        }
        if let Some(parent) = trash.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io("cannot create the trash folder", e))?;
        }
        // Rename first (atomic): a crash mid-delete never leaves a half-demo.
        std::fs::rename(&dir, &trash)
            .map_err(|e| Error::io(format!("cannot move {} aside", dir.display()), e))?;
        std::fs::remove_dir_all(&trash)
            .map_err(|e| Error::io(format!("cannot delete {}", trash.display()), e))?;
        Ok(())
    })
    .await
    .map_err(|e| Error::Internal(format!("wipe failed: {e}")))?
}

async fn seed_welcome(stack: &Stack) -> Result<()> {
    let text_plain = PutOptions {
        content_type: Some("text/plain; charset=utf-8".into()),
        ..PutOptions::default()
    };
    stack
        .media
        .put(
            "README.txt",
            Bytes::from_static(include_bytes!("../demo/media-README.txt")),
            text_plain.clone(),
        )
        .await?;
    stack
        .events
        .put(
            "README.txt",
            Bytes::from_static(include_bytes!("../demo/events-README.txt")),
            text_plain,
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ListRequest;

    #[tokio::test]
    async fn seeding_twice_applies_each_step_once_and_reset_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let home = AppHome::new(dir.path());
        let stack = Stack::open(&home, Profile::demo()).await.unwrap();
        assert_eq!(
            pending_steps(&stack, &core_steps()).await.unwrap(),
            vec!["core.welcome.v1"]
        );
        let first = seed(&stack, &core_steps(), |_| {}, &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(first.applied, vec!["core.welcome.v1"]);
        assert!(pending_steps(&stack, &core_steps())
            .await
            .unwrap()
            .is_empty());
        let second = seed(&stack, &core_steps(), |_| {}, &CancellationToken::new())
            .await
            .unwrap();
        assert!(second.applied.is_empty());
        assert_eq!(second.already_applied, vec!["core.welcome.v1"]);
        let listed = stack.media.list(ListRequest::prefix("")).await.unwrap();
        assert_eq!(
            listed.objects.len(),
            1,
            "seeding twice must not duplicate objects"
        );

        stack
            .media
            .put("mine.txt", Bytes::from_static(b"x"), PutOptions::default())
            .await
            .unwrap();
        wipe(&home).await.unwrap();
        let fresh = open_seeded(&home, &core_steps()).await.unwrap();
        let keys: Vec<_> = fresh
            .media
            .list(ListRequest::prefix(""))
            .await
            .unwrap()
            .objects
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(
            keys,
            vec!["README.txt"],
            "reset removes what the user added and reseeds"
        );
    }

    #[tokio::test]
    async fn refuses_to_seed_a_cloud_profile() {
        let dir = tempfile::tempdir().unwrap();
        let home = AppHome::new(dir.path());
        let mut stack = Stack::open(&home, Profile::demo()).await.unwrap();
        stack.profile.name = "prod".into();
        stack.profile.kind = crate::profile::ProfileKind::Cloud(crate::profile::CloudSettings {
            aws_profile: None,
            region: "us-east-1".into(),
            endpoint_url: None,
            force_path_style: false,
            allow_insecure_http: false,
            media_bucket: "m-bucket".into(),
            events_bucket: "e-bucket".into(),
            topic_arn: None,
            image_function_url: None,
        });
        let err = seed(&stack, &core_steps(), |_| {}, &CancellationToken::new())
            .await
            .unwrap_err();
        assert_eq!(err.code, "invalid_profile");
    }
}
