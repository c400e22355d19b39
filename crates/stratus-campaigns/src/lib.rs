//! Campaigns: push and SMS at scale. See `docs/campaigns.md`.
//!
//! Customers are imported ([`import`]), selected by a [`segment`], addressed
//! by a [`template`], snapshotted into recipient rows at [`campaign`] launch
//! and sent by the crash-safe runner (internal; its door is [`run`])
//! through a [`notifier`].
//!
//! What the CLI and the desktop app call:
//! - edit: [`campaign::create_draft`], [`campaign::update_draft`],
//!   [`campaign::list`], [`campaign::get`], [`segment::count`],
//!   [`template::preview`], [`push::PushContent`];
//! - push setup: [`push::apps`], [`push::Registrar`] (platform
//!   applications, device registration, disabled-endpoint checks),
//!   [`push::devices`];
//! - before launch: [`dry_run::dry_run`] / [`dry_run::dry_run_spec`] and
//!   [`test_send::test_send`] / [`test_send::test_send_campaign`];
//! - run and steer, from any process: [`run::run_to_end`] (a
//!   [`run::RunRequest`]), [`run::pause`], [`run::resume`], [`run::cancel`],
//!   [`run::set_pace`], [`run::status`], [`run::is_attached`],
//!   [`run::is_interrupted`], [`run::retry_failed`];
//! - in the cloud (the laptop may close): [`cloud::launch`],
//!   [`cloud::catch_up`], [`cloud::steer`]; the worker [`cloud::Worker`];
//! - afterwards: [`recipients::page`], [`recipients::export_csv`],
//!   [`recipients::error_groups`]; for one person (any of their ids):
//!   [`received::received_by`].

pub mod campaign;
pub mod cloud;
pub mod customer;
pub mod customer_search;
pub mod demo;
pub mod dry_run;
pub mod eligibility;
pub mod error;
pub mod gamify;
pub mod held;
pub mod import;
pub mod inbox;
pub mod message;
pub mod notifier;
pub mod overview;
pub mod phone;
pub mod prices;
pub mod push;
pub mod received;
pub mod recipients;
pub mod run;
mod runner;
pub mod segment;
pub mod sms;
pub mod template;
pub mod test_send;

pub use error::{Error, Result};
