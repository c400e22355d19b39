//! `stratus`: the command line of Stratus, for admins and scripts. Every
//! command works on the active profile unless `--profile` names another.

/// Every command's `println!` is [`output::line`]: a closed stdout
/// (`stratus … | head`) is a normal end, not a panic.
macro_rules! println {
    () => {
        $crate::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}

mod commands;
mod context;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::{
    campaign::CampaignCommand, customers::CustomersCommand, demo::DemoCommand, deploy::DeployArgs,
    deploy::KeysCommand, deploy::TeardownArgs, events::EventsCommand, image::ImageCommand,
    profile::ProfileCommand, push::PushCommand, serve::ServeArgs, store::StoreCommand,
};
use context::Context;

#[derive(Parser)]
#[command(
    name = "stratus",
    version,
    about = "Admin console for a serverless media, messaging and analytics stack"
)]
struct Cli {
    /// App data directory (default: the desktop app's, or $STRATUS_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Use this profile instead of the active one.
    #[arg(long, global = true, value_name = "NAME")]
    profile: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Demo data of the offline `demo` profile.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Cloud profiles: list, add, switch, test.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Objects in the profile's buckets.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Image variants: get, upload originals, warm a preset.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Tracked events: sync the bucket into the local cache, query, export, generate.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Run the serverless functions locally against the active profile.
    Serve(ServeArgs),
    /// The audience: import customers, count a segment.
    #[command(subcommand)]
    Customers(CustomersCommand),
    /// SMS, push and in-app campaigns: create, dry-run, test, launch, steer, export.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Mobile push setup: platform applications, in-app inbox tokens.
    #[command(subcommand)]
    Push(PushCommand),
    /// Deploy the image CDN and the collector to AWS: shows the plan, asks,
    /// applies, and points the profile at the result.
    Deploy(DeployArgs),
    /// Delete the deployed stack (the buckets and their data are kept).
    Teardown(TeardownArgs),
    /// The deployed stack's URL-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// See the note on `mimalloc` in Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STRATUS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,aws_config=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if matches!(cli.command, Command::Serve(_)) {
        runtime.max_blocking_threads(commands::serve::BLOCKING_THREADS);
    }
    match runtime.build() {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(e) => report(&anyhow::Error::new(e).context("cannot start the async runtime")),
    }
}

async fn run(cli: Cli) -> ExitCode {
    let ctx = match Context::new(cli.data_dir, cli.profile) {
        Ok(ctx) => ctx,
        Err(e) => return report(&e),
    };
    let result = match cli.command {
        Command::Demo(cmd) => commands::demo::run(&ctx, cmd).await,
        Command::Profile(cmd) => commands::profile::run(&ctx, cmd).await,
        Command::Store(cmd) => commands::store::run(&ctx, cmd).await,
        Command::Image(cmd) => commands::image::run(&ctx, cmd).await,
        Command::Events(cmd) => commands::events::run(&ctx, cmd).await,
        Command::Serve(args) => commands::serve::run(&ctx, args).await,
        Command::Customers(cmd) => commands::customers::run(&ctx, cmd).await,
        Command::Push(cmd) => commands::push::run(&ctx, cmd).await,
        Command::Campaign(cmd) => commands::campaign::run(&ctx, cmd).await,
        Command::Deploy(args) => commands::deploy::deploy(&ctx, args).await,
        Command::Teardown(args) => commands::deploy::teardown(&ctx, args).await,
        Command::Keys(cmd) => commands::deploy::keys(&ctx, cmd).await,
    };
    match result {
        Ok(code) => code,
        // The reader of stdout stopped reading (`| head`): a normal end.
        Err(e) if output::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

/// Prints an error as `error[code]: message` and fails.
fn report(e: &anyhow::Error) -> ExitCode {
    use stratus_core::CodedError as _;
    if let Some(core) = e.downcast_ref::<stratus_core::Error>() {
        eprintln!("error[{}]: {core}", core.code());
    } else if let Some(media) = e.downcast_ref::<stratus_media::MediaError>() {
        eprintln!("error[{}]: {media}", media.code());
    } else if let Some(events) = e.downcast_ref::<stratus_events::Error>() {
        eprintln!("error[{}]: {events}", events.code());
    } else if let Some(retention) =
        e.downcast_ref::<stratus_events::sync::retention::RetentionSettingError>()
    {
        eprintln!("error[{}]: {retention}", retention.code());
    } else if let Some(keys) = e.downcast_ref::<stratus_events::collector::write_keys::KeyError>() {
        eprintln!("error[{}]: {keys}", keys.code());
    } else if let Some(store) = e.downcast_ref::<stratus_core::store::StoreError>() {
        eprintln!("error[{}]: {store}", store.code());
    } else if let Some(campaigns) = e.downcast_ref::<stratus_campaigns::Error>() {
        eprintln!("error[{}]: {campaigns}", campaigns.code());
    } else if let Some(deploy) = e.downcast_ref::<stratus_deploy::DeployError>() {
        eprintln!("error[{}]: {deploy}", deploy.code());
    } else if let Some(app) = e.downcast_ref::<stratus_app::Error>() {
        eprintln!("error[{}]: {}", app.code(), app.message());
    } else if let Some(failure) = e.downcast_ref::<stratus_core::Failure>() {
        eprintln!("error[{}]: {failure}", failure.code);
    } else {
        eprintln!("error: {e:#}");
    }
    ExitCode::FAILURE
}
