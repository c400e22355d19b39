//! A `Stack` is what one profile points at, opened: its database and its
//! buckets (local folders for demo, S3 for cloud). Capabilities take a Stack.

use std::sync::Arc;

use aws_config::SdkConfig;

use crate::cloud::{self, CheckOutcome, ConnectionCheck, ConnectionReport, Patience};
use crate::db::Db;
use crate::home::AppHome;
use crate::profile::{Profile, ProfileKind};
use crate::store::{LocalStore, ObjectStore, PutOptions, S3Store};
use crate::{Error, Result};

/// Which of a profile's buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketRole {
    /// Image originals and variants.
    Media,
    /// Event batches written by the collector.
    Events,
}

impl BucketRole {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "media" => Ok(BucketRole::Media),
            "events" => Ok(BucketRole::Events),
            other => Err(Error::InvalidProfile(format!(
                "unknown bucket `{other}`: use `media` or `events`"
            ))),
        }
    }
}

/// One profile, opened.
#[derive(Clone)]
pub struct Stack {
    pub profile: Profile,
    pub db: Db,
    pub media: Arc<dyn ObjectStore>,
    pub events: Arc<dyn ObjectStore>,
    /// AWS configuration of a cloud profile; `None` in demo mode.
    pub sdk: Option<SdkConfig>,
    home: AppHome,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("profile", &self.profile.name)
            .finish()
    }
}

impl Stack {
    /// Opens the profile's database (migrating it) and its stores. Does not
    /// touch the network: an offline machine can open any profile.
    pub async fn open(home: &AppHome, profile: Profile) -> Result<Stack> {
        home.make_private()
            .map_err(|e| Error::io(format!("cannot create {}", home.root().display()), e))?;
        let db_path = home.database(&profile.name);
        let db = tokio::task::spawn_blocking(move || Db::open(&db_path))
            .await
            .map_err(|e| Error::Internal(format!("database open failed: {e}")))??;
        let (media, events, sdk): (Arc<dyn ObjectStore>, Arc<dyn ObjectStore>, _) = match &profile
            .kind
        {
            ProfileKind::Demo => {
                let media =
                    LocalStore::open(home.local_bucket(&profile.name, profile.media_bucket()))?;
                let events =
                    LocalStore::open(home.local_bucket(&profile.name, profile.events_bucket()))?;
                (Arc::new(media), Arc::new(events), None)
            }
            ProfileKind::Cloud(settings) => {
                let sdk = cloud::sdk_config(settings, Patience::Normal).await;
                let s3 = cloud::s3_client(&sdk, settings);
                let endpoint = cloud::endpoint_label(settings);
                (
                    Arc::new(S3Store::new(
                        s3.clone(),
                        &settings.media_bucket,
                        endpoint.clone(),
                    )),
                    Arc::new(S3Store::new(s3, &settings.events_bucket, endpoint)),
                    Some(sdk),
                )
            }
        };
        Ok(Stack {
            profile,
            db,
            media,
            events,
            sdk,
            home: home.clone(),
        })
    }

    pub fn home(&self) -> &AppHome {
        &self.home
    }

    pub fn bucket(&self, role: BucketRole) -> &Arc<dyn ObjectStore> {
        match role {
            BucketRole::Media => &self.media,
            BucketRole::Events => &self.events,
        }
    }

    pub fn bucket_name(&self, role: BucketRole) -> &str {
        match role {
            BucketRole::Media => self.profile.media_bucket(),
            BucketRole::Events => self.profile.events_bucket(),
        }
    }

    /// "Test connection": for a cloud profile credentials, buckets and topic;
    /// for demo, that its local buckets can be written.
    pub async fn check(&self) -> ConnectionReport {
        match &self.profile.kind {
            ProfileKind::Cloud(_) => cloud::check_cloud(&self.profile).await,
            ProfileKind::Demo => {
                let mut checks = Vec::new();
                for role in [BucketRole::Media, BucketRole::Events] {
                    let store = self.bucket(role);
                    let target = format!("{} (local folder)", self.bucket_name(role));
                    let probe = ".probe/connection-test";
                    let result = async {
                        store
                            .put(
                                probe,
                                bytes::Bytes::from_static(b"ok"),
                                PutOptions::default(),
                            )
                            .await?;
                        store.delete(probe).await
                    }
                    .await;
                    checks.push(match result {
                        Ok(()) => ConnectionCheck {
                            target,
                            outcome: CheckOutcome::Ok,
                            code: None,
                            message: format!("writable at {}", store.location()),
                        },
                        Err(e) => ConnectionCheck {
                            target,
                            outcome: CheckOutcome::Failed,
                            code: Some(e.code().to_string()),
                            message: e.to_string(),
                        },
                    });
                }
                ConnectionReport {
                    profile: self.profile.name.clone(),
                    checks,
                }
            }
        }
    }
}
