//! SNS: one `Publish` per recipient (PublishBatch only reaches topics).

use std::collections::HashSet;

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;

use super::{MessageId, Notifier, NotifyError, OptOutFilter, OutboundMessage};
use crate::campaign::Channel;

/// Publishes SMS (to a phone number) and push (to a platform endpoint) via SNS.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: aws_sdk_sns::Client,
}

impl SnsNotifier {
    /// A client without the SDK's own retries. The SDK's standard strategy
    /// re-sends on 5xx answers and timeouts, which for `Publish` can mean a
    /// second SMS; the runner retries only what certainly did not reach SNS,
    /// and throttling slows the whole campaign instead of one call.
    pub fn new(sdk: &SdkConfig) -> Self {
        let config = aws_sdk_sns::config::Builder::from(sdk)
            .retry_config(RetryConfig::disabled())
            .build();
        SnsNotifier {
            client: aws_sdk_sns::Client::from_conf(config),
        }
    }

    /// The client's configuration with the SDK's retries turned off, for
    /// the reason given at [`SnsNotifier::new`].
    pub fn from_client(client: &aws_sdk_sns::Client) -> Self {
        let config = client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        SnsNotifier {
            client: aws_sdk_sns::Client::from_conf(config),
        }
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, NotifyError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| NotifyError::Permanent {
            code: "InvalidAttribute".into(),
            message: e.to_string(),
        })
}

#[async_trait::async_trait]
impl Notifier for SnsNotifier {
    async fn publish(&self, message: &OutboundMessage) -> Result<MessageId, NotifyError> {
        let request = self.client.publish().message(&message.body);
        let request = match message.channel {
            Channel::Sms => {
                let mut r = request.phone_number(&message.address).message_attributes(
                    "AWS.SNS.SMS.SMSType",
                    string_attribute(message.sms_type.sns_value())?,
                );
                if let Some(sender) = &message.sender_id {
                    r = r.message_attributes("AWS.SNS.SMS.SenderID", string_attribute(sender)?);
                }
                r
            }
            // One document, a payload per platform (`push::RenderedPush`).
            Channel::Push => request
                .target_arn(&message.address)
                .message_structure("json"),
            Channel::InApp => {
                return Err(NotifyError::Permanent {
                    code: "wrong_channel".into(),
                    message: "in-app messages go to the inbox, not SNS".into(),
                })
            }
        };
        match request.send().await {
            Ok(out) => Ok(out.message_id().unwrap_or_default().to_string()),
            Err(e) => Err(classify(e)),
        }
    }

    async fn is_opted_out(&self, phone: &str) -> Result<bool, NotifyError> {
        match self
            .client
            .check_if_phone_number_is_opted_out()
            .phone_number(phone)
            .send()
            .await
        {
            Ok(out) => Ok(out.is_opted_out()),
            Err(e) => Err(classify(e)),
        }
    }

    /// `ListPhoneNumbersOptedOut`, every page (100 numbers each).
    async fn opt_out_filter(&self) -> Result<Option<OptOutFilter>, NotifyError> {
        let mut numbers = HashSet::new();
        let mut next: Option<String> = None;
        loop {
            let out = self
                .client
                .list_phone_numbers_opted_out()
                .set_next_token(next.take())
                .send()
                .await
                .map_err(classify)?;
            numbers.extend(out.phone_numbers().iter().cloned());
            match out.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_string()),
                _ => break,
            }
        }
        Ok(Some(OptOutFilter::new(move |phone| {
            numbers.contains(phone)
        })))
    }

    /// `GetSMSAttributes`: reads the account's SMS settings, sends nothing.
    /// Any answer but an outage means SNS is there again.
    async fn probe(&self) -> Result<(), NotifyError> {
        match self
            .client
            .get_sms_attributes()
            .send()
            .await
            .map_err(classify)
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_outage() => Err(e),
            Err(_) => Ok(()),
        }
    }
}

/// Maps an SDK failure to what the runner may do next. The question that
/// matters is whether the request may have reached SNS: only a failure to
/// connect (refused, DNS, connect timeout) proves it did not. A connection
/// lost after the request was written, a timeout, an unreadable answer or
/// anything unclassified may hide an accepted message, so it is in doubt.
pub(crate) fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: SdkError<E, aws_sdk_sns::config::http::HttpResponse>,
) -> NotifyError {
    match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            classify_code(
                service.err().code().unwrap_or("Unknown"),
                service.err().message().unwrap_or(""),
                status,
            )
        }
        SdkError::ConstructionFailure(_) => NotifyError::Permanent {
            code: "request".into(),
            message: format!("the request could not be built: {}", causes(&err)),
        },
        SdkError::DispatchFailure(_) if failed_to_connect(&err) => NotifyError::Unreachable {
            code: "connect".into(),
            message: causes(&err),
        },
        // Credentials are resolved before the request is signed, so it was
        // never sent. Every later call fails the same way: the breaker
        // pauses the run until they work again (refreshed, or fixed and
        // resumed), and no recipient is burnt.
        SdkError::DispatchFailure(_) if caused_by::<CredentialsError>(&err, |_| true) => {
            NotifyError::Unreachable {
                code: "credentials".into(),
                message: format!(
                    "the AWS credentials could not be used, nothing was sent: {}",
                    causes(&err)
                ),
            }
        }
        SdkError::TimeoutError(_) => NotifyError::InDoubt {
            code: "timeout".into(),
            message: "SNS did not answer in time".into(),
        },
        SdkError::DispatchFailure(failure) if failure.is_timeout() => NotifyError::InDoubt {
            code: "timeout".into(),
            message: format!("SNS did not answer in time: {}", causes(&err)),
        },
        SdkError::DispatchFailure(_) => NotifyError::InDoubt {
            code: "connection_lost".into(),
            message: format!("the connection to SNS failed mid-request: {}", causes(&err)),
        },
        SdkError::ResponseError(response) => NotifyError::InDoubt {
            code: "bad_response".into(),
            message: format!(
                "SNS's answer (HTTP {}) could not be read: {}",
                response.raw().status().as_u16(),
                causes(&err)
            ),
        },
        _ => NotifyError::InDoubt {
            code: "unclassified".into(),
            message: causes(&err),
        },
    }
}

/// Whether the HTTP client failed while connecting: then no byte of the
/// request was sent. hyper's pooled client marks exactly that case.
fn failed_to_connect(err: &(dyn std::error::Error + 'static)) -> bool {
    caused_by(err, hyper_util::client::legacy::Error::is_connect)
}

/// Whether an error of type `T` for which `matches` holds is in the chain.
fn caused_by<T: std::error::Error + 'static>(
    err: &(dyn std::error::Error + 'static),
    matches: impl Fn(&T) -> bool,
) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.downcast_ref::<T>().is_some_and(&matches) {
            return true;
        }
        next = e.source();
    }
    false
}

/// The error's causes in one line ("io error: client error (Connect): tcp
/// connect error: Connection refused (os error 111)"), without the SDK's
/// outer wrapper or any `Debug` dump.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = err.source().or(Some(err));
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && parts.last() != Some(&text) {
            parts.push(text);
        }
        next = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

/// Maps an SNS error code, message and HTTP status to what the runner does.
/// A 5xx answer may come after SNS accepted the message, so it is in doubt.
pub fn classify_code(code: &str, message: &str, status: u16) -> NotifyError {
    let lower = message.to_ascii_lowercase();
    match code {
        "Throttling"
        | "ThrottlingException"
        | "Throttled"
        | "TooManyRequestsException"
        | "KMSThrottling" => NotifyError::Throttled(message.to_string()),
        _ if status == 429 => NotifyError::Throttled(message.to_string()),
        "EndpointDisabled" => NotifyError::EndpointDisabled,
        "OptedOut" => NotifyError::OptedOut,
        _ if lower.contains("opted out") => NotifyError::OptedOut,
        "InvalidParameter" | "InvalidParameterValue" if lower.contains("phone") => {
            NotifyError::InvalidNumber(message.to_string())
        }
        "InternalError" | "InternalFailure" | "ServiceUnavailable" | "RequestTimeout" => {
            NotifyError::InDoubt {
                code: code.to_string(),
                message: message.to_string(),
            }
        }
        _ if status >= 500 => NotifyError::InDoubt {
            code: code.to_string(),
            message: message.to_string(),
        },
        _ => NotifyError::Permanent {
            code: code.to_string(),
            message: message.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sns_errors_are_classified_by_what_to_do_next() {
        assert!(matches!(
            classify_code("Throttling", "Rate exceeded", 400),
            NotifyError::Throttled(_)
        ));
        assert!(matches!(
            classify_code("Whatever", "slow down", 429),
            NotifyError::Throttled(_)
        ));
        assert!(matches!(
            classify_code("InternalError", "boom", 500),
            NotifyError::InDoubt { .. }
        ));
        assert!(matches!(
            classify_code("Odd", "bad gateway", 502),
            NotifyError::InDoubt { .. }
        ));
        assert_eq!(
            classify_code("EndpointDisabled", "Endpoint is disabled", 400),
            NotifyError::EndpointDisabled
        );
        assert!(matches!(
            classify_code(
                "InvalidParameter",
                "Invalid parameter: PhoneNumber Reason: +1 is not valid",
                400
            ),
            NotifyError::InvalidNumber(_)
        ));
        assert_eq!(
            classify_code("AuthorizationError", "not allowed", 403),
            NotifyError::Permanent {
                code: "AuthorizationError".into(),
                message: "not allowed".into()
            }
        );
    }
}
