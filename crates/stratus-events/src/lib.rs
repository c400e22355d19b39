//! Events: collect, sync, browse. See `docs/events.md`. One folder per wing:
//!
//! - [`envelope`]: the event line, its checks and the collector's fields.
//! - [`collector`]: the batch writer behind the HTTP collector, the SDK
//!   formats it takes, the batch key layout, its spool and its write keys.
//! - [`sync`]: S3 batches → the SQLite cache (reader, ledger, memory budget),
//!   its status, the timed sync, retention.
//! - [`browse`]: the support screen's reads: pages, search, facets,
//!   customers, export.
//! - [`privacy`]: GDPR/CCPA requests for one person (erasure).
//! - [`demo`]: demo data and the load generator.
//!
//! A wing uses the ones above it in this list, never one below.

pub mod browse;
pub mod collector;
pub mod demo;
pub mod envelope;
pub mod error;
pub mod privacy;
pub mod sync;

pub use error::{EnvelopeError, Error, Result};
