//! `stratus events`: sync the events bucket into the local cache, query and
//! export it (facets, saved views), generate load, handle a person's
//! GDPR/CCPA requests, and manage the collector's write keys.

mod export;
mod export_person;
mod facets;
mod filter_args;
mod forget;
mod gen;
mod keys;
mod person;
mod query;
mod status;
mod sync;
mod views;

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use crate::context::Context;

#[derive(Subcommand)]
pub enum EventsCommand {
    /// Copy new batch objects from the events bucket into the local cache.
    Sync(sync::SyncArgs),
    /// Browse the cache: a customer's timeline, filters, full-text search.
    Query(query::QueryArgs),
    /// A customer's person card: ids and links, traits, devices, campaigns.
    Person(person::PersonArgs),
    /// Erase a person (GDPR/CCPA): their lines in the bucket, cache, graph and customer row.
    Forget(forget::ForgetArgs),
    /// Write everything held on a person (GDPR/CCPA access) to one JSON file.
    ExportPerson(export_person::ExportPersonArgs),
    /// Write every matching event to CSV or NDJSON (streamed, no row cap).
    Export(export::ExportArgs),
    /// Counts by event name and property keys, or a property's top values.
    Facets(facets::FacetsArgs),
    /// Saved views (named filters): save, list, delete; open with --view.
    #[command(subcommand)]
    Views(views::ViewsCommand),
    /// Generate realistic traffic into the events bucket (load tests, demos).
    Gen(gen::GenArgs),
    /// The cache's sync status: last sync, objects behind, bad lines, odd keys.
    Status,
    /// Write keys of the collector: create, list, revoke, publish.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
}

pub async fn run(ctx: &Context, cmd: EventsCommand) -> Result<ExitCode> {
    match cmd {
        EventsCommand::Sync(args) => sync::run(ctx, args).await,
        EventsCommand::Query(args) => query::run(ctx, args).await,
        EventsCommand::Person(args) => person::run(ctx, args).await,
        EventsCommand::Forget(args) => forget::run(ctx, args).await,
        EventsCommand::ExportPerson(args) => export_person::run(ctx, args).await,
        EventsCommand::Export(args) => export::run(ctx, args).await,
        EventsCommand::Facets(args) => facets::run(ctx, args).await,
        EventsCommand::Views(cmd) => views::run(ctx, cmd).await,
        EventsCommand::Gen(args) => gen::run(ctx, args).await,
        EventsCommand::Status => status::run(ctx).await,
        EventsCommand::Keys(cmd) => keys::run(ctx, cmd).await,
    }
}
