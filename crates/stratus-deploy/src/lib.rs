//! Deploying the serverless half to AWS (see docs/production.md): the
//! CloudFormation template (`infra/stratus.yaml`), the function artifact,
//! change sets shown as a [`Plan`] before anything changes, progress while
//! the stack settles, its outputs for the profile, and teardown. Tauri-free:
//! the CLI uses it today, the app's Settings next.

pub mod emit;
pub mod error;
pub mod keys;
pub mod plan;
pub mod record;
pub mod settings;
pub mod stack;
pub mod template;

pub use error::{DeployError, Result};
pub use plan::{Action, Change, Plan, Replacement};
pub use record::{profile_after_deploy, DeploymentRecord};
pub use settings::{DeployOutputs, DeploySettings, Wiring};
pub use stack::Deployer;
