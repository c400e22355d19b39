//! `stratus customers`: import the audience, count a segment, manage
//! customers' push devices.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, Context as _, Result};
use bytes::Bytes;
use clap::{Subcommand, ValueEnum};
use stratus_campaigns::import::{self, BadRow, ImportFormat, ImportMode, ImportOptions};
use stratus_campaigns::push::{devices, register, Platform, Registrar};
use stratus_campaigns::segment;
use stratus_core::clock::now_millis;
use stratus_core::cloud;
use stratus_core::profile::ProfileKind;
use stratus_core::stack::Stack;
use stratus_core::store::{LocalStore, ObjectStore, S3Store};

use crate::context::Context;

#[derive(Subcommand)]
pub enum CustomersCommand {
    /// Import customers from CSV or NDJSON (a local file or s3://bucket/key).
    /// Every bad row is reported with its line; exits non-zero if any was refused.
    Import {
        source: String,
        /// Import nothing if any row is bad (default: import the good rows).
        #[arg(long)]
        all_or_nothing: bool,
        /// Default: from the file name (.csv, .ndjson, .jsonl).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Region (e.g. US) for phone numbers written without +country.
        #[arg(long, value_name = "ISO")]
        default_region: Option<String>,
    },
    /// How many customers a segment selects, e.g. "level = gold and points >= 500".
    Count { segment: String },
    /// A customer's push devices (registered as SNS platform endpoints).
    #[command(subcommand)]
    Device(DeviceCommand),
}

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// Registers a device token (the same token again re-enables it).
    Add {
        customer: String,
        /// apns, apns_sandbox or fcm.
        #[arg(long)]
        platform: String,
        #[arg(long)]
        token: String,
    },
    /// A customer's devices.
    List { customer: String },
    /// Removes a device (by id, token or endpoint ARN).
    Remove { customer: String, device: String },
    /// Asks SNS which endpoints it has disabled and records them.
    Check {
        /// Only this customer's devices.
        #[arg(long)]
        customer: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Ndjson,
}

pub async fn run(ctx: &Context, cmd: CustomersCommand) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    match cmd {
        CustomersCommand::Import {
            source,
            all_or_nothing,
            format,
            default_region,
        } => {
            let format = match format {
                Some(FormatArg::Csv) => ImportFormat::Csv,
                Some(FormatArg::Ndjson) => ImportFormat::Ndjson,
                None => ImportFormat::from_file_name(&source).ok_or_else(|| {
                    anyhow!("cannot tell the format of `{source}`: name it .csv/.ndjson or pass --format")
                })?,
            };
            let data = read_source(ctx, &stack, &source).await?;
            let options = ImportOptions {
                format,
                mode: if all_or_nothing {
                    ImportMode::AllOrNothing
                } else {
                    ImportMode::ValidRows
                },
                default_region,
            };
            let report = match import::import_customers(&stack.db, data, options).await {
                Ok(report) => report,
                Err(stratus_campaigns::Error::ImportRejected(bad)) => {
                    print_bad_rows(&bad);
                    eprintln!(
                        "error[import_rejected]: {} bad row(s); nothing was imported (--all-or-nothing)",
                        bad.len()
                    );
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => return Err(e.into()),
            };
            print_bad_rows(&report.bad_rows);
            if !report.ignored_columns.is_empty() {
                eprintln!("ignored column(s): {}", report.ignored_columns.join(", "));
            }
            println!(
                "{} inserted, {} updated, {} rejected",
                report.inserted,
                report.updated,
                report.bad_rows.len()
            );
            if report.devices > 0 {
                let registered = register::register_pending(&stack).await?;
                println!("{registered} new device token(s) registered as push endpoints");
            }
            if !report.bad_rows.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        CustomersCommand::Count { segment } => {
            let audience = segment::audience(&stack.db, &segment).await?;
            println!("{}", audience.count);
            // Beside the count, not in it: scripts read stdout.
            if let Some(cache) = audience.events_cache {
                eprintln!("{}", cache.note(now_millis()));
            }
        }
        CustomersCommand::Device(cmd) => return device(&stack, cmd).await,
    }
    Ok(ExitCode::SUCCESS)
}

async fn device(stack: &Stack, cmd: DeviceCommand) -> Result<ExitCode> {
    match cmd {
        DeviceCommand::Add {
            customer,
            platform,
            token,
        } => {
            let platform = Platform::parse(&platform)?;
            let d = register::register_device(stack, &customer, platform, &token).await?;
            println!(
                "{} {} {}",
                d.id,
                d.platform,
                d.endpoint_arn.as_deref().unwrap_or("-")
            );
        }
        DeviceCommand::List { customer } => {
            let list = stack.db.call(move |c| devices::list(c, &customer)).await?;
            for d in list {
                println!(
                    "{}  {:<12} {:<8} {}  {}",
                    d.id,
                    d.platform.as_str(),
                    if d.enabled { "enabled" } else { "disabled" },
                    d.endpoint_arn.as_deref().unwrap_or("(not registered)"),
                    d.last_error.as_deref().unwrap_or("")
                );
            }
        }
        DeviceCommand::Remove { customer, device } => {
            let removed = stack
                .db
                .call(move |c| devices::remove(c, &customer, &device))
                .await?;
            if !removed {
                eprintln!("error[device_not_found]: no such device of this customer");
                return Ok(ExitCode::FAILURE);
            }
        }
        DeviceCommand::Check { customer } => {
            let sdk = stack
                .sdk
                .as_ref()
                .ok_or_else(|| anyhow!("the demo profile has no SNS to ask"))?;
            let report = Registrar::new(sdk).check(&stack.db, customer).await?;
            println!(
                "{} device(s) checked, {} now recorded as disabled",
                report.checked, report.disabled
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_bad_rows(rows: &[BadRow]) {
    for row in rows {
        match &row.customer_id {
            Some(id) => eprintln!("line {}: {} (customer `{id}`)", row.line, row.reason),
            None => eprintln!("line {}: {}", row.line, row.reason),
        }
    }
}

/// A local file, or `s3://bucket/key` through the profile (a local bucket
/// folder in demo mode).
async fn read_source(ctx: &Context, stack: &Stack, source: &str) -> Result<Bytes> {
    let Some(rest) = source.strip_prefix("s3://") else {
        let bytes = std::fs::read(source).with_context(|| format!("cannot read {source}"))?;
        return Ok(Bytes::from(bytes));
    };
    let (bucket, key) = rest
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| anyhow!("`{source}` is not of the form s3://bucket/key"))?;
    let store: Arc<dyn ObjectStore> = match &stack.profile.kind {
        ProfileKind::Demo => Arc::new(LocalStore::open(
            ctx.home.local_bucket(&stack.profile.name, bucket),
        )?),
        ProfileKind::Cloud(settings) => {
            let sdk = stack
                .sdk
                .as_ref()
                .ok_or_else(|| anyhow!("the cloud profile has no AWS configuration"))?;
            Arc::new(S3Store::new(
                cloud::s3_client(sdk, settings),
                bucket,
                cloud::endpoint_label(settings),
            ))
        }
    };
    Ok(store.get_bytes(key).await?)
}
