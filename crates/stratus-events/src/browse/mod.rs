//! Browsing the cache: the support screen's reads. Each takes a
//! `&Connection`; run it with `Db::call`/`Db::read`, whose closures return
//! this crate's errors.
//!
//! - [`filter`]: the filters as one parameterised `WHERE`;
//! - [`query`] (+ `search`): keyset pages of events, the detail, sessions;
//! - [`facets`]: counts by name and day; [`customers`]: customer search and summary;
//! - [`export`]: streamed CSV or NDJSON; [`export_file`]: to a new private file;
//! - [`stored`]: the envelope from a row's columns and `extra`.

pub mod customers;
pub mod export;
pub mod export_file;
pub mod facets;
pub mod filter;
pub mod query;
mod search;
pub mod stored;
