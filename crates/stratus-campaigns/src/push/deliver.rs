//! One push recipient, every device: the runner marks the customer's row
//! `in_flight` once, then this publishes the same `MessageStructure=json`
//! message to each of the customer's enabled devices and folds their
//! answers into the row's one outcome (see docs/campaigns.md, "Push: one
//! row per customer"). What SNS says about a device is written back at
//! once: a disabled or vanished endpoint is disabled here too, so the next
//! campaign skips it.

use stratus_core::db::Db;

use super::devices;
use crate::notifier::{MessageId, Notifier, NotifyError, OutboundMessage};
use crate::Result;

/// Publishes `message` to every sendable device of its customer.
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
pub async fn deliver(
    db: &Db,
    notifier: &dyn Notifier,
    message: &OutboundMessage,
) -> Result<Result<MessageId, NotifyError>> {
    let customer = message.customer_id.clone();
    let targets = db.call(move |c| devices::sendable(c, &customer)).await?;
    let mut accepted: Vec<MessageId> = Vec::new();
    let mut in_doubt: Option<NotifyError> = None;
    let mut refused: Option<NotifyError> = None;
    for device in targets {
        let Some(endpoint) = device.endpoint_arn else {
            continue;
        };
        let mut one = message.clone();
        one.address = endpoint.clone();
        match notifier.publish(&one).await {
            Ok(id) => accepted.push(id),
            Err(e @ (NotifyError::Throttled(_) | NotifyError::Unreachable { .. }))
                if accepted.is_empty() && in_doubt.is_none() =>
            {
                // Nothing sent yet: the runner retries the whole customer.
                return Ok(Err(e));
            }
            Err(NotifyError::Throttled(m)) | Err(NotifyError::Unreachable { message: m, .. }) => {
                // Others already got it; this device misses this campaign.
                let error = format!("not sent to this device: {m}");
                db.call(move |c| devices::record_error(c, &endpoint, &error))
                    .await?;
            }
            Err(e @ NotifyError::InDoubt { .. }) => {
                in_doubt.get_or_insert(e);
            }
            Err(e) => {
                let gone = matches!(e, NotifyError::EndpointDisabled)
                    || matches!(&e, NotifyError::Permanent { code, .. } if code == "NotFound");
                let text = format!("{}: {e}", e.code());
                if gone {
                    db.call(move |c| devices::record_disabled(c, &endpoint, &text))
                        .await?;
                    refused.get_or_insert(NotifyError::EndpointDisabled);
                } else {
                    db.call(move |c| devices::record_error(c, &endpoint, &text))
                        .await?;
                    // A real refusal outranks "disabled" as the row's reason.
                    if !matches!(refused, Some(NotifyError::Permanent { .. })) {
                        refused = Some(e);
                    }
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
        return Ok(Err(NotifyError::InDoubt {
            code,
            message: format!("{message}{reached}"),
        }));
    }
    if !accepted.is_empty() {
        return Ok(Ok(accepted.join(" ")));
    }
    Ok(Err(refused.unwrap_or(NotifyError::EndpointDisabled)))
}
