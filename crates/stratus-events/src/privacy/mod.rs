//! GDPR/CCPA requests for one person (by any of their ids).
//!
//! - [`erase`]: removes the person's lines from every batch object of the
//!   bucket, accepted and rejected (rewritten without them, everyone else's
//!   lines byte for byte, the ledger updated so sync does not bring them
//!   back), their cached events and their identity graph entries;
//! - [`export`]: gathers what the cache and the bucket hold on them (the
//!   caller adds other capabilities' rows and writes the file);
//! - [`record`]: each request kept in `privacy_requests` (who, when, ids,
//!   state, counts);
//! - [`bucket`]: which objects are read and which lines are the person's,
//!   one rule for both.

pub mod bucket;
pub mod erase;
pub mod export;
pub mod record;
