//! The assembly: what the desktop shell and the `stratus` CLI both run, so
//! the two cannot drift apart. It puts the capability crates together
//! (which the core cannot: it knows no capability) and knows no Tauri.
//!
//! - [`stack`]: opening a profile (the demo one seeded), with the fallback
//!   to demo a front end needs to start at all;
//! - [`demo`]: the one list of demo seed steps, seeding and resetting;
//! - job bodies, each a function the shell runs inside a job and the CLI
//!   runs in the foreground: [`events_sync`] (sync, then prune to the
//!   profile's retention), [`warm`] (a preset for every original),
//!   [`demo::reset`];
//! - [`privacy`]: a person's GDPR/CCPA export (events and campaigns
//!   joined in one file) and erasure, as functions and job bodies;
//! - [`campaign_runs`]: the campaign runs this process drives, their
//!   progress, and whether a run is interrupted;
//! - [`deploy`]: a profile's deploy (plan, apply, discard, status,
//!   teardown) and the plans the app holds between plan and apply.
//!
//! Where to add: a job both front ends start goes here, as a function
//! taking a progress callback and a cancellation token (or a
//! `JobContext`) and returning a summary; the shell's command and the
//! CLI's subcommand stay adapters around it.

pub mod campaign_runs;
pub mod demo;
pub mod deploy;
pub mod error;
pub mod events_sync;
pub mod privacy;
pub mod stack;
pub mod warm;

pub use error::Error;
