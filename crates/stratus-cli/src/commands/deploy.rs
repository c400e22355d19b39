//! `stratus deploy` and `stratus teardown`: the serverless half on AWS
//! through a CloudFormation change set (plan, ask, apply), the outputs
//! written into the profile, the editor's presets published.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use stratus_core::cloud::{self, Patience};
use stratus_core::jobs::Progress;
use stratus_core::profile::{Profile, ProfileKind};
use stratus_deploy::emit::emit;
use stratus_deploy::template::TEMPLATE;
use stratus_deploy::{
    profile_after_deploy, DeployError, DeploySettings, Deployer, DeploymentRecord, Wiring,
};
use stratus_media::published;
use stratus_media::PresetCatalog;

use super::progress::TerminalProgress;
use crate::context::Context;

#[derive(Clone, Copy, ValueEnum)]
pub enum WiringArg {
    Cloudfront,
    Website,
}

#[derive(Args)]
pub struct DeployArgs {
    /// Prefix of every resource name (3–25 of a–z, 0–9, `-`); the stack is
    /// `stratus-<prefix>`. Default: the profile's last deploy, else its name.
    #[arg(long)]
    prefix: Option<String>,
    /// How variants reach browsers: a CloudFront distribution (default) or
    /// S3 website routing rules.
    #[arg(long, value_enum, default_value = "cloudfront")]
    wiring: WiringArg,
    /// Buffer events through Amazon Data Firehose (high volume).
    #[arg(long)]
    firehose: bool,
    /// Origins that may send events from a browser (comma-separated; default any).
    #[arg(long, default_value = "")]
    allowed_origins: String,
    /// The packaged function (default: the release zip that
    /// `scripts/package-lambda.sh --release --build` makes).
    #[arg(long, value_name = "ZIP")]
    artifact: Option<PathBuf>,
    /// Bucket for the artifact (created if missing; default
    /// `<prefix>-artifacts-<account>-<region>`).
    #[arg(long)]
    artifact_bucket: Option<String>,
    /// Apply without asking (scripts).
    #[arg(long, short)]
    yes: bool,
    /// Show the plan and stop (the change set is left for review).
    #[arg(long, conflicts_with = "yes")]
    plan_only: bool,
    /// Write the template, artifact and parameters here instead of
    /// deploying (for a team's own pipeline).
    #[arg(long, value_name = "DIR")]
    emit: Option<PathBuf>,
}

#[derive(Args)]
pub struct TeardownArgs {
    /// Delete without asking.
    #[arg(long, short)]
    yes: bool,
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Put a new URL-signing key first in the deployed stack's secret and
    /// keep the newest old ones, so URLs they signed keep working; running
    /// functions pick it up within 5 minutes.
    Rotate {
        /// Keys kept in all, the new one included.
        #[arg(long, default_value_t = 2)]
        keep: usize,
    },
}

pub async fn keys(ctx: &Context, cmd: KeysCommand) -> Result<ExitCode> {
    let KeysCommand::Rotate { keep } = cmd;
    let profile = ctx.profile()?;
    let secret = DeploymentRecord::load(&ctx.home, &profile.name)?
        .and_then(|r| r.signing_key_secret)
        .ok_or_else(|| {
            anyhow!(
                "profile `{}` has no deployed signing-key secret (stratus deploy records it)",
                profile.name
            )
        })?;
    let ProfileKind::Cloud(cloud_settings) = &profile.kind else {
        bail!("the demo profile has nothing deployed");
    };
    let sdk = cloud::sdk_config(cloud_settings, Patience::Normal).await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let rotation = stratus_deploy::keys::rotate(&client, &secret, keep).await?;
    println!(
        "New signing key {} is first in {secret}; kept: {}; dropped: {}.",
        rotation.new_id,
        list_or_none(&rotation.kept),
        list_or_none(&rotation.dropped)
    );
    println!(
        "Running functions read it within 5 minutes. Sign new URLs with {} (aws secretsmanager get-secret-value --secret-id {secret}); URLs signed with a dropped key stop working within the same 5 minutes.",
        rotation.new_id
    );
    Ok(ExitCode::SUCCESS)
}

fn list_or_none(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".to_string()
    } else {
        ids.join(", ")
    }
}

pub async fn deploy(ctx: &Context, args: DeployArgs) -> Result<ExitCode> {
    let profile = ctx.profile()?;
    let previous = DeploymentRecord::load(&ctx.home, &profile.name)?;
    let prefix = args
        .prefix
        .clone()
        .or_else(|| previous.as_ref().map(|r| r.name_prefix.clone()))
        .unwrap_or_else(|| {
            profile
                .name
                .to_ascii_lowercase()
                .replace(['_', ' ', '.'], "-")
        });
    if !DeploySettings::valid_prefix(&prefix) {
        return Err(DeployError::InvalidSettings(format!(
            "`{prefix}` cannot prefix resource names: use --prefix with 3–25 lower-case letters, digits and `-`, starting with a letter"
        ))
        .into());
    }
    let wiring = match args.wiring {
        WiringArg::Cloudfront => Wiring::CloudFront,
        WiringArg::Website => Wiring::Website,
    };
    let zip = read_artifact(args.artifact.clone())?;
    let mut settings = DeploySettings {
        name_prefix: prefix.clone(),
        wiring,
        use_firehose: args.firehose,
        allowed_origins: args
            .allowed_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect(),
        artifact_bucket: args.artifact_bucket.clone().unwrap_or_default(),
    };

    if let Some(dir) = &args.emit {
        for path in emit(dir, &settings, &zip)? {
            println!("wrote {}", path.display());
        }
        println!(
            "Upload stratus-lambda.zip, then: aws cloudformation deploy --template-file stratus.yaml --stack-name {} --capabilities CAPABILITY_IAM --parameter-overrides file://parameters.json (set ArtifactBucket and ArtifactKey to where you uploaded it)",
            settings.stack_name()
        );
        return Ok(ExitCode::SUCCESS);
    }

    let ProfileKind::Cloud(cloud_settings) = &profile.kind else {
        bail!("the demo profile is offline: add a cloud profile (stratus profile add) and deploy with --profile NAME, or use --emit DIR");
    };
    let sdk = cloud::sdk_config(cloud_settings, Patience::Normal).await;
    let deployer = Deployer::new(&sdk, cloud::s3_client(&sdk, cloud_settings));
    let account = deployer.account().await?;
    if settings.artifact_bucket.is_empty() {
        settings.artifact_bucket =
            DeploySettings::default_artifact_bucket(&prefix, &account, &cloud_settings.region);
    }
    println!(
        "Account {account}, region {}: uploading the function ({} KiB) to s3://{}",
        cloud_settings.region,
        zip.len() / 1024,
        settings.artifact_bucket
    );
    let key = deployer
        .upload_artifact(&settings.artifact_bucket, &zip)
        .await?;
    let plan = deployer.plan(TEMPLATE, &settings, &key).await?;
    if plan.is_empty() {
        println!(
            "Stack {} is up to date: nothing to change.",
            plan.stack_name
        );
    } else {
        for line in plan.lines() {
            println!("{line}");
        }
        let destructive: Vec<_> = plan.destructive().collect();
        if !destructive.is_empty() {
            println!(
                "Warning: {} resource(s) will be removed or replaced.",
                destructive.len()
            );
        }
        if args.plan_only {
            println!(
                "Plan only: change set {} is left on stack {} for review.",
                plan.change_set_name, plan.stack_name
            );
            return Ok(ExitCode::SUCCESS);
        }
        if !args.yes && !confirm("Apply this plan?")? {
            println!("Nothing was changed.");
            return Ok(ExitCode::from(1));
        }
    }
    let bar = TerminalProgress::new();
    let outputs = deployer
        .apply(&plan, |done, total| {
            bar.update(Progress::new(
                done as u64,
                Some(total as u64),
                "resources settled",
            ))
        })
        .await;
    bar.finish();
    let outputs = outputs?;

    let record = DeploymentRecord::new(
        plan.stack_name.clone(),
        prefix,
        cloud_settings.region.clone(),
        &outputs,
    );
    record.save(&ctx.home, &profile.name)?;
    let updated = save_profile(
        ctx,
        &profile,
        profile_after_deploy(&profile, &outputs, wiring),
    )?;
    for line in outputs.lines() {
        println!("{line}");
    }
    // A deploy carries the editor's current presets.
    let stack = stratus_core::stack::Stack::open(&ctx.home, updated).await?;
    let catalog = PresetCatalog::load(&stack.db).await?;
    published::publish(&*stack.media, &catalog).await?;
    println!(
        "Presets published to {} ({} presets). Profile `{}` now uses the deployed stack.",
        stack.media.location(),
        catalog.presets().len(),
        profile.name
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn teardown(ctx: &Context, args: TeardownArgs) -> Result<ExitCode> {
    let profile = ctx.profile()?;
    let Some(record) = DeploymentRecord::load(&ctx.home, &profile.name)? else {
        bail!(
            "profile `{}` has no deployment to remove (stratus deploy records one)",
            profile.name
        );
    };
    let ProfileKind::Cloud(cloud_settings) = &profile.kind else {
        bail!("the demo profile has nothing deployed");
    };
    println!(
        "This deletes stack {} (functions, CDN, roles, secrets, logs, the campaign worker with its queue and marks table: a cloud run under way stops).",
        record.stack_name
    );
    let kept: Vec<&str> = [&record.media_bucket, &record.events_bucket]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    println!(
        "Kept: the buckets {} with their objects (delete them yourself when you no longer need the data), and the artifact bucket.",
        kept.join(" and ")
    );
    if !args.yes && !confirm("Delete the stack?")? {
        println!("Nothing was changed.");
        return Ok(ExitCode::from(1));
    }
    let sdk = cloud::sdk_config(cloud_settings, Patience::Normal).await;
    let deployer = Deployer::new(&sdk, cloud::s3_client(&sdk, cloud_settings));
    deployer.teardown(&record.stack_name).await?;
    DeploymentRecord::remove(&ctx.home, &profile.name)?;
    println!("Stack {} deleted.", record.stack_name);
    Ok(ExitCode::SUCCESS)
}

fn read_artifact(path: Option<PathBuf>) -> Result<Vec<u8>> {
    let path = path.unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target"));
        target.join("lambda").join("stratus-lambda-release.zip")
    });
    std::fs::read(&path).map_err(|e| {
        DeployError::Artifact(format!(
            "{}: {e}; build it with scripts/package-lambda.sh --release --build (make deploy does), or name one with --artifact",
            path.display()
        ))
        .into()
    })
}

fn save_profile(ctx: &Context, before: &Profile, after: Profile) -> Result<Profile> {
    let mut book = ctx.book()?;
    Ok(book.save(Some(&before.name), after)?)
}

/// Asks on the terminal; anything but yes is no, and without a terminal
/// the answer is no (scripts pass --yes).
fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            "{question} needs an answer: run in a terminal or pass --yes"
        ));
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
