//! Thin adapters: unpack, call one core function, map the result.

pub mod app;
pub mod campaigns;
pub mod demo;
pub mod deploy;
pub mod events;
pub mod images;
pub mod jobs;
pub mod privacy;
pub mod profiles;
pub mod store;

use std::sync::Arc;

use crate::state::AppState;

/// The managed state as commands receive it.
pub type AppHandleState<'a> = tauri::State<'a, Arc<AppState>>;
