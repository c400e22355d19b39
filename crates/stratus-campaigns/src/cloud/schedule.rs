//! Scheduled cloud runs: the manifest is uploaded at launch and an
//! EventBridge Scheduler one-time schedule puts the run's start message
//! on the chunk queue at its time ([`super::worker::Worker::start`] then
//! queues the chunks), so the campaign starts with nobody's laptop open.

use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target,
};
use chrono::{TimeZone, Utc};

use super::marks::service_error;
use super::queue::StartMessage;
use crate::{Error, Result};

/// The schedules of a profile's cloud runs.
#[derive(Debug, Clone)]
pub struct RunSchedules {
    client: aws_sdk_scheduler::Client,
    /// The role the scheduler sends to the queue with (the deploy's).
    role_arn: String,
}

/// A run's schedule name (Scheduler allows letters, digits, `-_.`, 64).
pub fn schedule_name(run_id: &str) -> String {
    format!("stratus-{run_id}")
}

impl RunSchedules {
    pub fn new(client: aws_sdk_scheduler::Client, role_arn: impl Into<String>) -> Self {
        RunSchedules {
            client,
            role_arn: role_arn.into(),
        }
    }

    pub fn client(&self) -> &aws_sdk_scheduler::Client {
        &self.client
    }

    /// A one-time schedule that puts `run_id`'s start message on the queue
    /// at `at` (Unix ms, UTC) and deletes itself afterwards. One that
    /// exists already (a launch finishing its upload) is kept.
    pub async fn create(&self, run_id: &str, at: i64, queue_arn: &str) -> Result<()> {
        let when = Utc
            .timestamp_millis_opt(at)
            .single()
            .ok_or_else(|| Error::InvalidCampaign("the schedule is not a valid time".into()))?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| Error::Cloud(e.to_string()))?;
        let target = Target::builder()
            .arn(queue_arn)
            .role_arn(&self.role_arn)
            .input(
                StartMessage {
                    start: run_id.to_string(),
                }
                .to_json(),
            )
            .build()
            .map_err(|e| Error::Cloud(e.to_string()))?;
        let answer = self
            .client
            .create_schedule()
            .name(schedule_name(run_id))
            .schedule_expression(format!("at({})", when.format("%Y-%m-%dT%H:%M:%S")))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .target(target)
            .action_after_completion(ActionAfterCompletion::Delete)
            .description(format!("Starts cloud run {run_id} (Stratus)"))
            .send()
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conflict_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(service_error("cannot create the run's schedule", &e)),
        }
    }

    /// Removes the schedule (a cancelled run); one already gone is fine.
    pub async fn delete(&self, run_id: &str) -> Result<()> {
        match self
            .client
            .delete_schedule()
            .name(schedule_name(run_id))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(service_error("cannot delete the run's schedule", &e)),
        }
    }
}
