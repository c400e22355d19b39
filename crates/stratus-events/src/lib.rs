//! Events: collect, sync, browse. See `docs/events.md`.
//!
//! - [`envelope`], [`validate`], [`enrich`]: the event line and its checks.
//! - [`collector`] (+ [`sdk_formats`], [`batch_key`]): the batch writer behind the HTTP collector;
//!   [`spool`]: its durable local queue for a long-running server.
//! - [`sync`] (+ [`batch_reader`], [`ledger`], [`retention`]): S3 batches → SQLite.
//! - [`query`] (+ `search`), [`filter`], [`facets`], [`export`]: the support screen's reads.
//! - [`customers`], [`status`], [`export_file`], [`autosync`]: the support screen's
//!   customer search, sync status panel, export to a file and timed sync;
//!   [`retention_setting`]: the cache's retention, kept per profile.
//! - [`stored`]: the envelope from a row's columns and `extra`.
//! - [`write_keys`]: who may send to the collector (keys, publishing, rate limit).
//! - [`demo`], [`gen`] (+ [`traffic`]): demo data and the load generator.
//!
//! The reads take a `&Connection`; run them with `Db::call`/`Db::read`, whose
//! closures return this crate's errors.

pub mod autosync;
pub mod batch_key;
pub mod batch_reader;
pub mod collector;
pub mod customers;
pub mod demo;
pub mod enrich;
pub mod envelope;
pub mod error;
pub mod export;
pub mod export_file;
pub mod facets;
pub mod filter;
pub mod gen;
pub mod ledger;
pub mod memory_budget;
pub mod query;
pub mod retention;
pub mod retention_setting;
pub mod sdk_formats;
mod search;
pub mod spool;
pub mod status;
pub mod stored;
pub mod sync;
pub mod traffic;
pub mod validate;
pub mod write_keys;

pub use error::{EnvelopeError, Error, Result};
