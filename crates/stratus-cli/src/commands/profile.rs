use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use stratus_core::cloud::CheckOutcome;
use stratus_core::profile::{CloudSettings, Profile, ProfileKind};
use stratus_core::stack::Stack;

use crate::context::Context;

#[derive(Subcommand)]
pub enum ProfileCommand {
    /// List profiles; `*` marks the active one.
    List,
    /// Add a cloud profile (credentials come from the AWS credential chain).
    Add(AddArgs),
    /// Make a profile the active one.
    Use { name: String },
    /// Test a profile: credentials, buckets, topic. Exits non-zero on failure.
    Test { name: Option<String> },
    /// Delete a cloud profile.
    Rm { name: String },
}

#[derive(Args)]
pub struct AddArgs {
    name: String,
    #[arg(long)]
    region: String,
    #[arg(long)]
    media_bucket: String,
    #[arg(long)]
    events_bucket: String,
    /// Named profile from ~/.aws/config (default: the default credential chain).
    #[arg(long)]
    aws_profile: Option<String>,
    /// S3-compatible endpoint, e.g. http://127.0.0.1:9000.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Path-style bucket addressing (most S3-compatible servers want it).
    #[arg(long)]
    path_style: bool,
    /// Allow a plain http:// endpoint on another computer (unencrypted).
    #[arg(long)]
    allow_insecure_http: bool,
    #[arg(long)]
    topic_arn: Option<String>,
    /// Public base URL of the deployed image function, e.g. https://img.example.com.
    #[arg(long)]
    image_function_url: Option<String>,
    /// Make it the active profile.
    #[arg(long = "use")]
    make_active: bool,
}

pub async fn run(ctx: &Context, cmd: ProfileCommand) -> Result<ExitCode> {
    match cmd {
        ProfileCommand::List => {
            let book = ctx.book()?;
            for p in book.list() {
                let mark = if p.name == book.active_name() {
                    "*"
                } else {
                    " "
                };
                println!("{mark} {:<20} {}", p.name, describe(&p));
            }
        }
        ProfileCommand::Add(a) => {
            let mut book = ctx.book()?;
            let settings = CloudSettings {
                aws_profile: a.aws_profile,
                region: a.region,
                endpoint_url: a.endpoint_url,
                force_path_style: a.path_style,
                allow_insecure_http: a.allow_insecure_http,
                media_bucket: a.media_bucket,
                events_bucket: a.events_bucket,
                topic_arn: a.topic_arn,
                image_function_url: a.image_function_url,
            };
            let profile = book.save(None, Profile::cloud(a.name, settings))?;
            println!("added profile `{}`", profile.name);
            if a.make_active {
                book.set_active(&profile.name)?;
                println!("now using `{}`", profile.name);
            }
        }
        ProfileCommand::Use { name } => {
            let profile = ctx.book()?.set_active(&name)?;
            println!("now using `{}` ({})", profile.name, describe(&profile));
        }
        ProfileCommand::Test { name } => {
            let profile = match name {
                Some(n) => ctx.book()?.get(&n)?,
                None => ctx.profile()?,
            };
            let report = Stack::open(&ctx.home, profile).await?.check().await;
            for check in &report.checks {
                let (mark, code) = match check.outcome {
                    CheckOutcome::Ok => ("ok  ", String::new()),
                    CheckOutcome::Skipped => ("skip", String::new()),
                    CheckOutcome::Failed => (
                        "FAIL",
                        format!(" [{}]", check.code.as_deref().unwrap_or("error")),
                    ),
                };
                println!("{mark} {}{code}: {}", check.target, check.message);
            }
            if !report.ok() {
                eprintln!(
                    "profile `{}` is not usable: fix the failures above",
                    report.profile
                );
                return Ok(ExitCode::FAILURE);
            }
            println!("profile `{}` works", report.profile);
        }
        ProfileCommand::Rm { name } => {
            ctx.book()?.remove(&name)?;
            println!("deleted profile `{name}`");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(p: &Profile) -> String {
    match &p.kind {
        ProfileKind::Demo => "demo (offline, local folders)".to_string(),
        ProfileKind::Cloud(c) => format!(
            "{} media={} events={}{}",
            stratus_core::cloud::endpoint_label(c),
            c.media_bucket,
            c.events_bucket,
            c.topic_arn
                .as_deref()
                .map(|t| format!(" topic={t}"))
                .unwrap_or_default()
        ),
    }
}
