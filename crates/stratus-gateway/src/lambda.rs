//! The functions on AWS Lambda. One handler takes two kinds of event:
//! HTTP (API Gateway REST or HTTP API, function URLs), served by the same
//! Router as `stratus serve`; and the media bucket's S3 notifications
//! (originals replaced or removed), which purge variants and invalidate
//! the CDN ([`crate::original_changes`]).

use std::sync::Arc;

use aws_lambda_events::event::s3::S3Event;
use axum::Router;
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use lambda_http::request::LambdaRequest;
use lambda_http::tower::ServiceExt;
use serde_json::value::RawValue;
use serde_json::Value;
use stratus_core::store::ObjectStore;

use crate::original_changes::{changed_originals, purge_changed, Cdn, ObjectChange};

/// What S3 notifications act on: the media bucket and, with the default
/// wiring, the CDN in front of it.
pub struct Notifications {
    pub store: Arc<dyn ObjectStore>,
    pub cdn: Option<Arc<dyn Cdn>>,
}

/// Serves `router` and S3 notifications until the runtime stops it.
pub async fn run(
    router: Router,
    notifications: Option<Notifications>,
) -> Result<(), lambda_http::Error> {
    let notifications = notifications.map(Arc::new);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let (router, notifications) = (router.clone(), notifications.clone());
        async move { handle(router, notifications.as_deref(), event).await }
    }))
    .await
}

async fn handle(
    router: Router,
    notifications: Option<&Notifications>,
    event: LambdaEvent<Box<RawValue>>,
) -> Result<Value, lambda_http::Error> {
    let LambdaEvent { payload, context } = event;
    if let Some(changes) = s3_changes(payload.get()) {
        let Some(n) = notifications else {
            return Err("an S3 notification reached a function without a media bucket".into());
        };
        let originals = changed_originals(&changes);
        // An error fails the invocation, so Lambda retries the event.
        let purged = purge_changed(&*n.store, n.cdn.as_deref(), &originals).await?;
        tracing::info!(
            originals = purged.originals.len(),
            variants_deleted = purged.variants_deleted,
            invalidated = purged.invalidated.len(),
            "originals changed"
        );
        return Ok(serde_json::to_value(purged)?);
    }
    let request: LambdaRequest = serde_json::from_str(payload.get())?;
    // lambda_http's own adapter (what `lambda_http::run` wraps a service
    // in): the event becomes an http::Request and the answer the response
    // shape of the event's origin.
    let response = lambda_http::Adapter::from(router)
        .oneshot(LambdaEvent::new(request, context))
        .await?;
    Ok(serde_json::to_value(response)?)
}

/// The object changes in an S3 notification, if the event is one.
fn s3_changes(payload: &str) -> Option<Vec<ObjectChange>> {
    let event: S3Event = serde_json::from_str(payload).ok()?;
    let from_s3 = event
        .records
        .iter()
        .all(|r| r.event_source.as_deref() == Some("aws:s3"));
    if event.records.is_empty() || !from_s3 {
        return None;
    }
    Some(
        event
            .records
            .iter()
            .filter_map(|r| {
                Some(ObjectChange {
                    event: r.event_name.clone()?,
                    encoded_key: r.s3.object.key.clone()?,
                })
            })
            .collect(),
    )
}
