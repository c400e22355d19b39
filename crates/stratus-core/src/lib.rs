//! Stratus core: the ports and plumbing every capability builds on.
//!
//! Nothing in this crate knows about Tauri or the UI; the desktop shell and
//! the CLI are thin adapters over it.

pub mod clock;
pub mod cloud;
pub mod db;
pub mod demo;
pub mod error;
pub mod home;
pub mod inbox;
pub mod jobs;
pub mod private_files;
pub mod profile;
pub mod published;
pub mod stack;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{CodedError, Error, Failure, Result};
