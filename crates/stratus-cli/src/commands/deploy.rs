//! `stratus deploy` and `stratus teardown`: the serverless half on AWS
//! through a CloudFormation change set (plan, ask, apply), the outputs
//! written into the profile, the editor's presets published.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use stratus_app::deploy::{artifact, flow, DeployOptions, ProfileDeploy};
use stratus_core::cloud::{self, Patience};
use stratus_core::profile::{Profile, ProfileKind};
use stratus_core::stack::Stack;
use stratus_core::Failure;
use stratus_deploy::emit::emit;
use stratus_deploy::{DeploymentRecord, Wiring};

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
    /// Collector instances that may run at once (Lambda reserved
    /// concurrency; default 10): a write key's account-wide ceiling is its
    /// rate times this. 0 reserves none (accounts with a concurrency quota
    /// below 110 need 0).
    #[arg(long, value_name = "N")]
    collector_concurrency: Option<u32>,
    /// The packaged function (default: `$STRATUS_LAMBDA_ZIP`, else the
    /// release zip that `scripts/package-lambda.sh --release --build` makes).
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
    /// Deploy this template instead of the built-in `infra/stratus.yaml`
    /// (a copy your team reviewed or amended; it must keep the built-in
    /// one's parameters and outputs).
    #[arg(long, value_name = "FILE", conflicts_with = "emit")]
    template: Option<PathBuf>,
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
        "Running functions read it within 5 minutes. Sign new URLs with {} ({}); URLs signed with a dropped key stop working within the same 5 minutes.",
        rotation.new_id,
        stratus_deploy::keys::read_command(
            &secret,
            cloud_settings.aws_profile.as_deref(),
            &cloud_settings.region
        )
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
    let options = DeployOptions {
        prefix: args.prefix.clone(),
        wiring: match args.wiring {
            WiringArg::Cloudfront => Wiring::CloudFront,
            WiringArg::Website => Wiring::Website,
        },
        firehose: args.firehose,
        allowed_origins: DeployOptions::origins_from(&args.allowed_origins),
        artifact_bucket: args.artifact_bucket.clone(),
        collector_concurrency: args.collector_concurrency,
    };
    let zip = artifact::load(args.artifact.as_deref())?.bytes;
    let template = match &args.template {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| anyhow!("cannot read the template {}: {e}", path.display()))?,
        ),
        None => None,
    };
    // Refused before anything is uploaded or planned: a plan nobody can
    // answer would be left behind in the account.
    if args.emit.is_none() && !args.yes && !args.plan_only && !std::io::stdin().is_terminal() {
        bail!("stratus deploy asks before it applies: run it in a terminal, or pass --yes (apply without asking) or --plan-only (show the plan and stop)");
    }

    if let Some(dir) = &args.emit {
        // No AWS needed: the demo profile can emit too.
        let settings = flow::settings_for(&ctx.home, &profile, &options)?;
        for path in emit(dir, &settings, &zip)? {
            println!("wrote {}", path.display());
        }
        println!(
            "Upload stratus-lambda.zip, then: aws cloudformation deploy --template-file stratus.yaml --stack-name {} --capabilities CAPABILITY_IAM --parameter-overrides file://parameters.json (set ArtifactBucket and ArtifactKey to where you uploaded it)",
            settings.stack_name()
        );
        return Ok(ExitCode::SUCCESS);
    }

    let deploy = match ProfileDeploy::connect(&ctx.home, profile.clone()).await {
        Err(stratus_app::Error::NeedsCloud) => bail!("the demo profile is offline: add a cloud profile (stratus profile add) and deploy with --profile NAME, or use --emit DIR"),
        other => other?,
    };
    let deploy = match template {
        Some(template) => deploy.with_template(template),
        None => deploy,
    };
    let settings = deploy.settings(&options)?;
    println!(
        "Region {}: uploading the function ({} KiB) and planning stack {}",
        deploy.region(),
        zip.len() / 1024,
        settings.stack_name()
    );
    let planned = deploy.plan(settings, &zip).await?;
    let plan = &planned.plan;
    if plan.is_empty() {
        println!(
            "Stack {} is up to date: nothing to change.",
            plan.stack_name
        );
        if args.plan_only {
            // A plan changes nothing, not even the profile or the
            // published presets (an apply of an empty plan rewrites both).
            return Ok(ExitCode::SUCCESS);
        }
    } else {
        for line in plan.lines() {
            println!("{line}");
        }
        let destructive = plan.destructive().count();
        if destructive > 0 {
            println!("Warning: {destructive} resource(s) will be removed or replaced.");
        }
        if args.plan_only {
            println!(
                "Plan only: change set {} is left on stack {} for review.",
                plan.change_set_name, plan.stack_name
            );
            return Ok(ExitCode::SUCCESS);
        }
        if !args.yes && !confirm("Apply this plan?")? {
            deploy.discard(&planned).await?;
            println!("Nothing was changed (the change set is deleted).");
            return Ok(ExitCode::from(1));
        }
    }
    let bar = TerminalProgress::new();
    let deployed = deploy
        .apply(
            &planned,
            |p| bar.update(p),
            |after| save_and_open(ctx, &profile, after),
        )
        .await;
    bar.finish();
    let deployed = deployed?;
    for line in deployed.outputs.lines() {
        println!("{line}");
    }
    println!(
        "Presets published to {} ({} presets). Profile `{}` now uses the deployed stack.",
        deployed.presets_location, deployed.presets, deployed.profile.name
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn teardown(ctx: &Context, args: TeardownArgs) -> Result<ExitCode> {
    let profile = ctx.profile()?;
    let deploy = match ProfileDeploy::connect(&ctx.home, profile).await {
        Err(stratus_app::Error::NeedsCloud) => bail!("the demo profile has nothing deployed"),
        other => other?,
    };
    let notice = deploy.teardown_notice()?;
    for line in notice.lines() {
        println!("{line}");
    }
    if !args.yes && !confirm("Delete the stack?")? {
        println!("Nothing was changed.");
        return Ok(ExitCode::from(1));
    }
    deploy.teardown().await?;
    println!("Stack {} deleted.", notice.stack_name);
    Ok(ExitCode::SUCCESS)
}

/// Saves the profile a deploy pointed at its stack and opens it (the
/// presets are published through it).
async fn save_and_open(
    ctx: &Context,
    before: &Profile,
    after: Profile,
) -> std::result::Result<Arc<Stack>, Failure> {
    let saved = ctx
        .book()
        .and_then(|mut book| Ok(book.save(Some(&before.name), after)?))
        .map_err(|e| Failure::new("profile_not_saved", format!("{e:#}")))?;
    Ok(Arc::new(Stack::open(&ctx.home, saved).await?))
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
