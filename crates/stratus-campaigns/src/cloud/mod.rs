//! The cloud runner: a campaign that goes on with the laptop closed.
//!
//! Launching in the cloud ([`launch::launch`]) freezes the audience as a
//! local launch does, renders every message here, uploads them as a
//! manifest of gzipped NDJSON chunks ([`manifest`]) to the events bucket,
//! writes the run's control item ([`control`]) and sends one SQS message
//! per chunk ([`queue`]). The worker function (the same `stratus-lambda`
//! artifact, `stratus-gateway`) sends a chunk per invocation
//! ([`worker::Worker`]), keeping each recipient's mark in DynamoDB
//! ([`marks`]) with the same exactly-once-or-unknown rule as the local
//! runner. The desktop steers through the control item ([`steer`]) and
//! catches the recipients rows up from the marks ([`catch_up`]); the rows
//! stay the local record, so the table, exports and retries work as for
//! a local run. Design and limits: `docs/campaigns.md`.

pub mod catch_up;
pub mod control;
pub mod launch;
pub mod local;
pub mod manifest;
pub mod marks;
pub mod queue;
pub mod rules;
pub mod runs;
pub mod schedule;
pub mod scratch;
pub mod sends;
pub mod steer;
pub mod waves;
pub mod worker;

/// The AWS configuration cloud runs are reached with (a profile's).
pub use aws_config::SdkConfig;
pub use catch_up::{catch_up, CatchUp};
pub use launch::{launch, CloudLaunch, CloudServices, CloudTarget};
pub use runs::{CloudRun, CloudRunState};
pub use worker::{ChunkReport, Worker, WorkerSettings};
