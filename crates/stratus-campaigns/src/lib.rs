//! Campaigns: push and SMS at scale. See `shared/design/campaigns.md`.
//!
//! Customers are imported ([`import`]), selected by a [`segment`], addressed
//! by a [`template`], snapshotted into recipient rows at [`campaign`] launch
//! and sent by the crash-safe [`runner`] through a [`notifier`].

pub mod campaign;
pub mod customer;
pub mod customer_search;
pub mod demo;
pub mod error;
pub mod gamify;
pub mod import;
pub mod inbox;
pub mod notifier;
pub mod overview;
pub mod phone;
pub mod runner;
pub mod segment;
pub mod sms;
pub mod template;

pub use error::{Error, Result};
