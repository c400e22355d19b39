//! GDPR/CCPA requests for one person (by any of their ids).
//!
//! - [`erase`]: removes the person's lines from every batch object of the
//!   bucket (rewritten without them, everyone else's lines byte for byte,
//!   the ledger updated so sync does not bring them back), their cached
//!   events and their identity graph entries, and keeps a record of the
//!   request (`privacy_requests`).

pub mod erase;
