//! Browsing the cache: the support screen's reads. Each takes a
//! `&Connection`; run it with `Db::call`/`Db::read`, whose closures return
//! this crate's errors.
//!
//! - [`filter`]: the filters as one parameterised `WHERE`;
//! - [`page`]: keyset pages of events (the table, a customer's timeline),
//!   full-text ones through `search`; both build on [`rows`] (the row, the
//!   cursor, the SELECT), so neither imports the other;
//! - [`sessions`]: a customer's sessions;
//! - [`stored`]: the envelope from a row's columns and `extra`, the event detail;
//! - [`facets`]: counts by name and day, a property's top values;
//!   [`views`]: saved filters; [`customers`]: customer search and summary;
//! - [`person`]: the person card (ids and links, traits, devices, consent, directory);
//! - [`export`]: streamed CSV or NDJSON, to a writer or a new private file.

pub mod customers;
pub mod export;
pub mod facets;
pub mod filter;
pub mod page;
pub mod person;
pub mod rows;
mod search;
pub mod sessions;
pub mod stored;
pub mod views;
