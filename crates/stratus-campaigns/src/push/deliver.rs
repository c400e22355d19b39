//! One push recipient, every device: the runner (local, or a cloud worker)
//! marks the customer `in_flight` once, then [`fan_out`] publishes the
//! same `MessageStructure=json` message to each of the customer's enabled
//! devices and folds their answers into the row's one outcome (see
//! docs/campaigns.md, "Push: one row per customer"). What SNS says about a
//! device comes back as [`DeviceNote`]s: the local runner writes them at
//! once ([`deliver`]), a cloud worker keeps them on the recipient's mark
//! and the desktop's catch-up writes them ([`record_notes`]), so either
//! way a disabled or vanished endpoint is disabled here too and the next
//! campaign skips it.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use stratus_core::db::Db;

use super::devices;
use crate::notifier::{MessageId, Notifier, NotifyError, OutboundMessage};
use crate::Result;

/// What one publish taught about one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceNote {
    pub endpoint_arn: String,
    /// SNS disabled the endpoint (or no longer knows it): the device is
    /// disabled and later campaigns skip it. Otherwise the device stays
    /// enabled and only its last error is noted.
    pub disabled: bool,
    /// The device's `last_error`.
    pub note: String,
}

/// Publishes `message` to every endpoint in `endpoints` (the customer's
/// sendable devices) and folds the answers:
///
/// - every publish accepted, or some accepted and the rest refused for
///   good → `Ok` with the message ids, space-separated;
/// - any publish in doubt → `InDoubt` (the row becomes `unknown`): the
///   devices it certainly reached are named in the message;
/// - nothing accepted and the first failure certainly sent nothing
///   (unreachable, throttled) → that failure, so the runner tries the
///   whole customer again; devices after it were not tried;
/// - no device left (none, or all disabled) → `EndpointDisabled`;
/// - otherwise the first permanent refusal.
///
/// The notes say what to record on the devices, whatever the outcome.
pub async fn fan_out(
    notifier: &dyn Notifier,
    message: &OutboundMessage,
    endpoints: &[String],
) -> (Result<MessageId, NotifyError>, Vec<DeviceNote>) {
    let mut notes = Vec::new();
    let mut accepted: Vec<MessageId> = Vec::new();
    let mut in_doubt: Option<NotifyError> = None;
    let mut refused: Option<NotifyError> = None;
    for endpoint in endpoints {
        let mut one = message.clone();
        one.address = endpoint.clone();
        let note = |disabled: bool, note: String| DeviceNote {
            endpoint_arn: endpoint.clone(),
            disabled,
            note,
        };
        match notifier.publish(&one).await {
            Ok(id) => accepted.push(id),
            Err(e @ (NotifyError::Throttled(_) | NotifyError::Unreachable { .. }))
                if accepted.is_empty() && in_doubt.is_none() =>
            {
                // Nothing sent yet: the runner retries the whole customer.
                return (Err(e), notes);
            }
            Err(NotifyError::Throttled(m)) | Err(NotifyError::Unreachable { message: m, .. }) => {
                // Others already got it; this device misses this campaign.
                notes.push(note(false, format!("not sent to this device: {m}")));
            }
            Err(e @ NotifyError::InDoubt { .. }) => {
                in_doubt.get_or_insert(e);
            }
            Err(e) => {
                let gone = matches!(e, NotifyError::EndpointDisabled)
                    || matches!(&e, NotifyError::Permanent { code, .. } if code == "NotFound");
                notes.push(note(gone, format!("{}: {e}", e.code())));
                if gone {
                    refused.get_or_insert(NotifyError::EndpointDisabled);
                } else if !matches!(refused, Some(NotifyError::Permanent { .. })) {
                    // A real refusal outranks "disabled" as the row's reason.
                    refused = Some(e);
                }
            }
        }
    }
    if let Some(NotifyError::InDoubt { code, message }) = in_doubt {
        let reached = if accepted.is_empty() {
            String::new()
        } else {
            format!(" (accepted for {}: {})", accepted.len(), accepted.join(" "))
        };
        let error = NotifyError::InDoubt {
            code,
            message: format!("{message}{reached}"),
        };
        return (Err(error), notes);
    }
    if !accepted.is_empty() {
        return (Ok(accepted.join(" ")), notes);
    }
    (Err(refused.unwrap_or(NotifyError::EndpointDisabled)), notes)
}

/// The local runner's fan-out: the customer's devices enabled now, and
/// what SNS said about them written back at once.
pub async fn deliver(
    db: &Db,
    notifier: &dyn Notifier,
    message: &OutboundMessage,
) -> Result<Result<MessageId, NotifyError>> {
    let customer = message.customer_id.clone();
    let endpoints = db.call(move |c| sendable_endpoints(c, &customer)).await?;
    let (outcome, notes) = fan_out(notifier, message, &endpoints).await;
    if !notes.is_empty() {
        db.call(move |c| record_notes(c, &notes, None)).await?;
    }
    Ok(outcome)
}

/// The endpoint ARNs a campaign sends `customer`'s message to now.
pub fn sendable_endpoints(conn: &Connection, customer: &str) -> Result<Vec<String>> {
    Ok(devices::sendable(conn, customer)?
        .into_iter()
        .filter_map(|d| d.endpoint_arn)
        .collect())
}

/// Writes what publishes taught about devices. `as_of` (Unix ms, a cloud
/// mark's time): a device changed after it (registered again meanwhile)
/// is left as it is.
pub fn record_notes(conn: &Connection, notes: &[DeviceNote], as_of: Option<i64>) -> Result<()> {
    for note in notes {
        if note.disabled {
            devices::record_disabled_as_of(conn, &note.endpoint_arn, &note.note, as_of)?;
        } else {
            devices::record_error(conn, &note.endpoint_arn, &note.note)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;
    use crate::campaign::{Channel, SmsType};

    /// Answers each endpoint as told, and counts the publishes.
    struct Scripted {
        answers: HashMap<String, std::result::Result<MessageId, NotifyError>>,
        published: Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl Notifier for Scripted {
        async fn publish(
            &self,
            message: &OutboundMessage,
        ) -> std::result::Result<MessageId, NotifyError> {
            self.published.lock().unwrap().push(message.address.clone());
            self.answers[&message.address].clone()
        }

        async fn is_opted_out(&self, _: &str) -> std::result::Result<bool, NotifyError> {
            Ok(false)
        }
    }

    fn message() -> OutboundMessage {
        OutboundMessage {
            campaign_id: "c".into(),
            customer_id: "ann".into(),
            channel: Channel::Push,
            address: String::new(),
            body: "{}".into(),
            sms_type: SmsType::Promotional,
            sender_id: None,
        }
    }

    async fn run(
        answers: &[(&str, std::result::Result<MessageId, NotifyError>)],
    ) -> (
        std::result::Result<MessageId, NotifyError>,
        Vec<DeviceNote>,
        Vec<String>,
    ) {
        let notifier = Scripted {
            answers: answers
                .iter()
                .map(|(e, a)| (e.to_string(), a.clone()))
                .collect(),
            published: Mutex::new(Vec::new()),
        };
        let endpoints: Vec<String> = answers.iter().map(|(e, _)| e.to_string()).collect();
        let (outcome, notes) = fan_out(&notifier, &message(), &endpoints).await;
        let published = notifier.published.into_inner().unwrap();
        (outcome, notes, published)
    }

    fn unreachable() -> NotifyError {
        NotifyError::Unreachable {
            code: "connect".into(),
            message: "refused".into(),
        }
    }

    #[tokio::test]
    async fn one_outcome_per_customer_and_a_note_per_device_sns_spoke_of() {
        let (outcome, notes, _) = run(&[
            ("a", Ok("m1".into())),
            ("b", Err(NotifyError::EndpointDisabled)),
            ("c", Ok("m2".into())),
        ])
        .await;
        assert_eq!(outcome, Ok("m1 m2".into()));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].disabled && notes[0].endpoint_arn == "b");

        // Every device disabled: skipped as endpoint_disabled, all noted.
        let (outcome, notes, _) = run(&[
            ("a", Err(NotifyError::EndpointDisabled)),
            (
                "b",
                Err(NotifyError::Permanent {
                    code: "NotFound".into(),
                    message: "gone".into(),
                }),
            ),
        ])
        .await;
        assert_eq!(outcome, Err(NotifyError::EndpointDisabled));
        assert!(notes.iter().all(|n| n.disabled) && notes.len() == 2);

        // The first device unreachable: nothing sent, retried whole.
        let (outcome, notes, published) =
            run(&[("a", Err(unreachable())), ("b", Ok("m".into()))]).await;
        assert!(matches!(outcome, Err(NotifyError::Unreachable { .. })));
        assert!(notes.is_empty());
        assert_eq!(published, ["a"], "the devices after it are not tried");

        // Once one got it, a later unreachable device only gets a note.
        let (outcome, notes, _) = run(&[("a", Ok("m".into())), ("b", Err(unreachable()))]).await;
        assert_eq!(outcome, Ok("m".into()));
        assert!(!notes[0].disabled && notes[0].note.contains("not sent to this device"));

        // Any publish in doubt: unknown, naming what was accepted.
        let (outcome, _, _) = run(&[
            ("a", Ok("m".into())),
            (
                "b",
                Err(NotifyError::InDoubt {
                    code: "timeout".into(),
                    message: "no answer".into(),
                }),
            ),
        ])
        .await;
        match outcome {
            Err(NotifyError::InDoubt { message, .. }) => {
                assert!(message.contains("accepted for 1: m"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}
