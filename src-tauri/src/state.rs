//! What the shell holds: the app home, the job registry, and the opened
//! active profile, which can be switched while the app runs. Opening a
//! stack, the demo reset and the campaign run registry are the assembly's
//! (`stratus-app`), shared with the CLI.

use std::sync::Arc;

use stratus_app::campaign_runs::CampaignRuns;
use stratus_app::deploy::PendingPlans;
use stratus_core::home::AppHome;
use stratus_core::jobs::{JobContext, JobRegistry};
use stratus_core::profile::{Profile, ProfileBook};
use stratus_core::stack::Stack;
use stratus_core::store::ObjectStore;
use stratus_core::{Failure, Result};
use stratus_events::sync::autosync::SyncGate;
use stratus_media::{Limits, VariantService};
use tokio::sync::{Mutex, RwLock};

/// A variant service and the store it was made for.
struct ImageService {
    store: Arc<dyn ObjectStore>,
    service: Arc<VariantService>,
}

pub struct AppState {
    pub home: AppHome,
    pub jobs: JobRegistry,
    /// Campaign runs this app drives, with their live controls.
    pub campaign_runs: CampaignRuns,
    /// Held by whichever events sync runs (manual or timed): one at a time.
    pub sync_gate: SyncGate,
    /// Deploy plans shown in Settings and not yet applied or discarded.
    pub deploy_plans: PendingPlans,
    stack: RwLock<Arc<Stack>>,
    /// The variant service of the open stack, kept so concurrent requests
    /// share its single-flight (replaced when the stack changes).
    images: Mutex<Option<ImageService>>,
    /// Serialises changes to the profiles file.
    book_lock: Mutex<()>,
}

impl AppState {
    /// Opens the active profile; a profile that cannot be opened falls back
    /// to demo so the app starts. Demo data is not seeded here (the first
    /// seed takes seconds and the window waits for this):
    /// [`AppState::prepare_demo`] seeds it as a job once the app runs.
    pub async fn open(home: AppHome) -> Result<AppState, Failure> {
        let jobs = JobRegistry::new();
        let stack =
            stratus_app::stack::open_active_or_demo(&home, stratus_app::stack::Seeding::Later)
                .await?;
        jobs.mark_interrupted(&stack.db).await?;
        Ok(AppState {
            home,
            jobs,
            campaign_runs: CampaignRuns::default(),
            sync_gate: SyncGate::new(),
            deploy_plans: PendingPlans::default(),
            stack: RwLock::new(Arc::new(stack)),
            images: Mutex::new(None),
            book_lock: Mutex::new(()),
        })
    }

    pub async fn stack(&self) -> Arc<Stack> {
        Arc::clone(&*self.stack.read().await)
    }

    /// The image service over the open stack's media bucket.
    pub async fn images(&self) -> Arc<VariantService> {
        let media = Arc::clone(&self.stack().await.media);
        let mut slot = self.images.lock().await;
        if let Some(current) = &*slot {
            if Arc::ptr_eq(&current.store, &media) {
                return Arc::clone(&current.service);
            }
        }
        let service = Arc::new(VariantService::new(Arc::clone(&media), Limits::default()));
        *slot = Some(ImageService {
            store: media,
            service: Arc::clone(&service),
        });
        service
    }

    pub fn book(&self) -> Result<ProfileBook> {
        ProfileBook::load(&self.home)
    }

    /// Changes the profiles file under a lock; `change` gets the fresh book.
    pub async fn edit_book<T>(
        &self,
        change: impl FnOnce(&mut ProfileBook) -> Result<T>,
    ) -> Result<T> {
        let _guard = self.book_lock.lock().await;
        let mut book = self.book()?;
        change(&mut book)
    }

    /// Opens `profile` and makes it the one the app works on.
    pub async fn switch_to(&self, profile: Profile) -> Result<Arc<Stack>, Failure> {
        let stack = Arc::new(stratus_app::stack::open(&self.home, profile).await?);
        self.jobs.mark_interrupted(&stack.db).await?;
        *self.stack.write().await = Arc::clone(&stack);
        Ok(stack)
    }

    /// Starts the "Preparing demo data" job when the open demo profile
    /// misses seed steps (the first start, or a release with new steps);
    /// nothing otherwise. The UI shows the sections as preparing while the
    /// job runs and reloads them when it ends.
    pub async fn prepare_demo(&self) -> Result<(), Failure> {
        let stack = self.stack().await;
        if stratus_app::demo::missing_steps(&stack).await?.is_empty() {
            return Ok(());
        }
        let seeding = Arc::clone(&stack);
        self.jobs
            .start(
                &stack.db,
                "demo.seed",
                "Preparing demo data",
                move |ctx| async move {
                    stratus_app::demo::seed_stack(&seeding, ctx.reporter(), ctx.cancel_token())
                        .await
                },
            )
            .await?;
        Ok(())
    }

    /// Saves a profile a deploy pointed at its stack and opens it; the
    /// active profile is switched to it, so the app uses the stack at once.
    pub async fn save_deployed(&self, profile: Profile) -> Result<Arc<Stack>, Failure> {
        let name = profile.name.clone();
        let (saved, active) = self
            .edit_book(|book| {
                let saved = book.save(Some(&name), profile)?;
                Ok((saved, book.active_name() == name))
            })
            .await?;
        if active {
            self.switch_to(saved).await
        } else {
            Ok(Arc::new(stratus_app::stack::open(&self.home, saved).await?))
        }
    }

    /// Deletes and reseeds demo data; if demo is active, the app moves to the new data.
    /// A failing seed step keeps its capability's code.
    pub async fn reset_demo(&self, ctx: JobContext) -> Result<String, Failure> {
        let fresh =
            stratus_app::demo::reset(&self.home, ctx.reporter(), ctx.cancel_token()).await?;
        let summary = fresh.reset_summary();
        if self.stack().await.profile.is_demo() {
            *self.stack.write().await = Arc::new(fresh.stack);
        }
        Ok(summary)
    }
}
