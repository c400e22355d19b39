//! One profile's deploy: plan (upload the artifact, create a change set),
//! apply (execute it with progress, keep the record, point the profile at
//! the stack, publish the presets), discard, status and teardown. The CLI
//! asks on the terminal between plan and apply; the app shows the plan in
//! Settings and applies it as a job.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use stratus_core::cloud::{self, Patience};
use stratus_core::home::AppHome;
use stratus_core::jobs::Progress;
use stratus_core::profile::{CloudSettings, Profile, ProfileKind};
use stratus_core::stack::Stack;
use stratus_core::Failure;
use stratus_deploy::template::TEMPLATE;
use stratus_deploy::{
    profile_after_deploy, DeployError, DeployOutputs, DeploySettings, Deployer, DeploymentRecord,
    Plan, Wiring,
};
use stratus_media::{published, PresetCatalog};

use crate::error::Error;

/// What the admin chooses for a deploy (the CLI's flags, the app's form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployOptions {
    /// Empty or `None`: the last deploy's, else the profile's name.
    pub prefix: Option<String>,
    pub wiring: Wiring,
    pub firehose: bool,
    pub allowed_origins: Vec<String>,
    /// `None`: `<prefix>-artifacts-<account>-<region>`.
    pub artifact_bucket: Option<String>,
    /// `None`: [`DeploySettings::DEFAULT_COLLECTOR_CONCURRENCY`].
    pub collector_concurrency: Option<u32>,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            prefix: None,
            wiring: Wiring::CloudFront,
            firehose: false,
            allowed_origins: Vec::new(),
            artifact_bucket: None,
            collector_concurrency: None,
        }
    }
}

impl DeployOptions {
    /// Origins from a comma-separated list, blanks dropped.
    pub fn origins_from(list: &str) -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// A change set created and not yet executed, with what it was made from.
#[derive(Debug, Clone)]
pub struct PlannedDeploy {
    pub profile: String,
    pub plan: Plan,
    pub settings: DeploySettings,
    pub account: String,
}

/// A finished deploy.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub outputs: DeployOutputs,
    pub record: DeploymentRecord,
    /// The profile as saved, pointed at the stack.
    pub profile: Profile,
    /// Where the presets were published and how many.
    pub presets_location: String,
    pub presets: usize,
}

impl Deployed {
    /// How the app's job ends.
    pub fn summary(&self) -> String {
        format!(
            "Stack {} deployed; profile “{}” now uses it; {} presets published",
            self.record.stack_name, self.profile.name, self.presets
        )
    }
}

/// What a teardown deletes and what it keeps, said before asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeardownNotice {
    pub stack_name: String,
    pub deletes: String,
    pub keeps: Vec<String>,
}

impl TeardownNotice {
    pub fn of(record: &DeploymentRecord) -> Self {
        let mut keeps: Vec<String> = [&record.media_bucket, &record.events_bucket]
            .into_iter()
            .flatten()
            .map(|b| format!("bucket {b} with its objects"))
            .collect();
        keeps.push("the artifact bucket".to_string());
        TeardownNotice {
            stack_name: record.stack_name.clone(),
            deletes: format!(
                "stack {} (functions, CDN, roles, secrets, logs, the campaign worker with its queue and marks table: a cloud run under way stops)",
                record.stack_name
            ),
            keeps,
        }
    }

    /// The notice as the CLI prints it.
    pub fn lines(&self) -> Vec<String> {
        vec![
            format!("This deletes {}.", self.deletes),
            format!(
                "Kept: {} (delete the buckets yourself when you no longer need the data; while they exist, their names are taken: deploy again with another --prefix).",
                self.keeps.join(", ")
            ),
        ]
    }
}

/// The deployment as it stands: the record kept at the last deploy and the
/// stack's status in CloudFormation now.
#[derive(Debug, Clone)]
pub struct DeployStatus {
    pub record: Option<DeploymentRecord>,
    /// `None` when nothing is deployed or the stack is gone.
    pub stack_status: Option<String>,
    pub stack_reason: String,
}

/// The prefix a deploy without one uses: the last deploy's, else the
/// profile's name made fit for resource names.
pub fn default_prefix(home: &AppHome, profile: &Profile) -> Result<String, Error> {
    Ok(match DeploymentRecord::load(home, &profile.name)? {
        Some(record) => record.name_prefix,
        None => profile
            .name
            .to_ascii_lowercase()
            .replace(['_', ' ', '.'], "-"),
    })
}

/// The template's parameters for `options`, refused before anything is
/// uploaded when the prefix would be. Needs no AWS (`--emit` uses it); the
/// artifact bucket stays empty when not chosen, since its default needs the
/// account ([`ProfileDeploy::plan`] fills it in).
pub fn settings_for(
    home: &AppHome,
    profile: &Profile,
    options: &DeployOptions,
) -> Result<DeploySettings, Error> {
    let prefix = match options.prefix.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => default_prefix(home, profile)?,
    };
    if !DeploySettings::valid_prefix(&prefix) {
        return Err(DeployError::InvalidSettings(format!(
            "“{prefix}” cannot prefix resource names: choose 3–25 lower-case letters, digits and “-”, starting with a letter"
        ))
        .into());
    }
    Ok(DeploySettings {
        name_prefix: prefix,
        wiring: options.wiring,
        use_firehose: options.firehose,
        allowed_origins: options.allowed_origins.clone(),
        artifact_bucket: options.artifact_bucket.clone().unwrap_or_default(),
        collector_concurrency: options
            .collector_concurrency
            .unwrap_or(DeploySettings::DEFAULT_COLLECTOR_CONCURRENCY),
    })
}

/// A cloud profile's deploy: its AWS clients and where its record lives.
pub struct ProfileDeploy {
    home: AppHome,
    profile: Profile,
    cloud: CloudSettings,
    deployer: Deployer,
    template: Cow<'static, str>,
}

impl ProfileDeploy {
    /// The deploy of `profile`; the demo profile has no cloud to deploy to.
    pub async fn connect(home: &AppHome, profile: Profile) -> Result<Self, Error> {
        let ProfileKind::Cloud(cloud_settings) = &profile.kind else {
            return Err(Error::NeedsCloud);
        };
        let cloud_settings = cloud_settings.clone();
        let sdk = cloud::sdk_config(&cloud_settings, Patience::Normal).await;
        let deployer = Deployer::new(&sdk, cloud::s3_client(&sdk, &cloud_settings));
        Ok(ProfileDeploy {
            home: home.clone(),
            profile,
            cloud: cloud_settings,
            deployer,
            template: Cow::Borrowed(TEMPLATE),
        })
    }

    /// Deploys `template` instead of the real one (tests against a server
    /// that cannot create every resource type).
    pub fn with_template(self, template: String) -> Self {
        ProfileDeploy {
            template: Cow::Owned(template),
            ..self
        }
    }

    /// Polls CloudFormation this often (tests against moto use zero).
    pub fn with_poll(mut self, poll: std::time::Duration) -> Self {
        self.deployer.poll = poll;
        self
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn region(&self) -> &str {
        &self.cloud.region
    }

    pub fn record(&self) -> Result<Option<DeploymentRecord>, Error> {
        Ok(DeploymentRecord::load(&self.home, &self.profile.name)?)
    }

    /// The template's parameters for `options` (see [`settings_for`]).
    pub fn settings(&self, options: &DeployOptions) -> Result<DeploySettings, Error> {
        settings_for(&self.home, &self.profile, options)
    }

    /// The account the credentials belong to.
    pub async fn account(&self) -> Result<String, Error> {
        Ok(self.deployer.account().await?)
    }

    /// Uploads the artifact and creates a change set for `settings`
    /// (from [`ProfileDeploy::settings`]); nothing in the stack changes.
    pub async fn plan(
        &self,
        mut settings: DeploySettings,
        zip: &[u8],
    ) -> Result<PlannedDeploy, Error> {
        let account = self.account().await?;
        if settings.artifact_bucket.is_empty() {
            settings.artifact_bucket = DeploySettings::default_artifact_bucket(
                &settings.name_prefix,
                &account,
                &self.cloud.region,
            );
        }
        let key = self
            .deployer
            .upload_artifact(&settings.artifact_bucket, zip)
            .await?;
        let plan = self.deployer.plan(&self.template, &settings, &key).await?;
        Ok(PlannedDeploy {
            profile: self.profile.name.clone(),
            plan,
            settings,
            account,
        })
    }

    /// Deletes a plan's change set (and the empty stack a first plan made).
    pub async fn discard(&self, planned: &PlannedDeploy) -> Result<(), Error> {
        Ok(self.deployer.discard(&planned.plan).await?)
    }

    /// Executes the plan, reporting resources settled out of planned; then
    /// keeps the record, hands the profile pointed at the stack to
    /// `save_profile` (which saves it and opens it: the CLI's book, the
    /// app's locked book and active stack) and publishes the presets into
    /// the new media bucket, so a deploy carries the editor's current set.
    pub async fn apply<S, Fut>(
        &self,
        planned: &PlannedDeploy,
        progress: impl Fn(Progress),
        save_profile: S,
    ) -> Result<Deployed, Error>
    where
        S: FnOnce(Profile) -> Fut,
        Fut: Future<Output = Result<Arc<Stack>, Failure>>,
    {
        let outputs = self
            .deployer
            .apply(&planned.plan, |done, total| {
                progress(Progress::new(
                    done as u64,
                    Some(total as u64),
                    "resources settled",
                ))
            })
            .await?;
        let record = DeploymentRecord::new(
            planned.plan.stack_name.clone(),
            planned.settings.name_prefix.clone(),
            self.cloud.region.clone(),
            planned.settings.wiring,
            &outputs,
        );
        record.save(&self.home, &self.profile.name)?;
        let updated = profile_after_deploy(&self.profile, &outputs, planned.settings.wiring);
        let stack = save_profile(updated).await.map_err(Error::Failed)?;
        let catalog = PresetCatalog::load(&stack.db).await?;
        published::publish(&*stack.media, &catalog).await?;
        Ok(Deployed {
            outputs,
            record,
            profile: stack.profile.clone(),
            presets_location: stack.media.location(),
            presets: catalog.presets().len(),
        })
    }

    /// A stack's status and reason in CloudFormation, `None` if it does
    /// not exist (or is deleted).
    pub async fn stack_state(&self, stack: &str) -> Result<Option<(String, String)>, Error> {
        Ok(self.deployer.stack_state(stack).await?)
    }

    /// The record and the stack's status now.
    pub async fn status(&self) -> Result<DeployStatus, Error> {
        let record = self.record()?;
        let (stack_status, stack_reason) = match &record {
            Some(r) => match self.stack_state(&r.stack_name).await? {
                Some((status, reason)) => (Some(status), reason),
                None => (None, String::new()),
            },
            None => (None, String::new()),
        };
        Ok(DeployStatus {
            record,
            stack_status,
            stack_reason,
        })
    }

    /// What a teardown would delete and keep; refused when nothing is
    /// deployed.
    pub fn teardown_notice(&self) -> Result<TeardownNotice, Error> {
        self.record()?
            .map(|r| TeardownNotice::of(&r))
            .ok_or_else(|| Error::NotDeployed(self.profile.name.clone()))
    }

    /// Deletes the stack (buckets are retained by the template) and forgets
    /// the record.
    pub async fn teardown(&self) -> Result<TeardownNotice, Error> {
        let notice = self.teardown_notice()?;
        self.deployer.teardown(&notice.stack_name).await?;
        DeploymentRecord::remove(&self.home, &self.profile.name)?;
        Ok(notice)
    }
}
