//! The in-app inbox's door: a customer's app reads its own messages with
//! the app's write key and the customer's inbox token; every other
//! combination is refused before the bucket is read.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::Value;
use stratus_core::db::Db;
use stratus_core::inbox::{self, InboxMessage};
use stratus_core::store::{LocalStore, ObjectStore, PutOptions};
use stratus_events::collector::write_keys::{create_key, KeyKind, KeyRing, NewKey};
use stratus_gateway::inbox::{routes, InboxFunction, InboxSecret};
use stratus_gateway::AllowedOrigins;
use tower::ServiceExt;

/// The headers of one request.
type Headers<'a> = &'a [(&'a str, &'a str)];

const SECRET: &str = "0123456789abcdef0123456789abcdef-inbox";

struct Inbox {
    app: axum::Router,
    store: Arc<dyn ObjectStore>,
    secret: InboxSecret,
    _dir: tempfile::TempDir,
}

fn inbox(db: &Db) -> Inbox {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalStore::open(dir.path().join("events")).unwrap());
    let secret = InboxSecret::new(SECRET).unwrap();
    let function = Arc::new(InboxFunction {
        store: Arc::clone(&store),
        keys: KeyRing::profile(db.clone(), Duration::ZERO),
        secret: secret.clone(),
        origins: AllowedOrigins::Any,
    });
    Inbox {
        app: routes(function),
        store,
        secret,
        _dir: dir,
    }
}

async fn put_message(store: &dyn ObjectStore, customer: &str, id: &str, body: &str) {
    let message = InboxMessage {
        id: id.into(),
        campaign_id: id.into(),
        customer_id: customer.into(),
        title: "Hi".into(),
        body: body.into(),
        deep_link: Some("myapp://rewards".into()),
        data: Default::default(),
        sent_at: 1,
    };
    store
        .put(
            &inbox::key(customer, id),
            Bytes::from(serde_json::to_vec(&message).unwrap()),
            PutOptions::default(),
        )
        .await
        .unwrap();
}

fn in_a_day() -> u64 {
    u64::try_from(stratus_core::clock::now_millis() / 1000).unwrap() + 86_400
}

async fn get(app: &axum::Router, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = Request::get("/v1/inbox?limit=10");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_customer_reads_their_own_inbox_newest_first_and_nobody_elses() {
    let db = Db::open_in_memory().unwrap();
    let inbox = inbox(&db);
    let key = create_key(&db, &NewKey::new(KeyKind::Server, "app"))
        .await
        .unwrap()
        .token;
    // UUIDv7-like ids sort by time: the second is newer.
    put_message(inbox.store.as_ref(), "ann/1", "0190-a", "first").await;
    put_message(inbox.store.as_ref(), "ann/1", "0190-b", "second").await;
    put_message(inbox.store.as_ref(), "bob", "0190-c", "for bob").await;
    let ann_token = inbox.secret.token("ann/1", in_a_day());

    let (status, body) = get(
        &inbox.app,
        &[
            ("x-stratus-key", &key),
            ("x-stratus-customer", "ann/1"),
            ("x-stratus-inbox-token", &ann_token),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bodies: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["second", "first"]);
    assert_eq!(body["messages"][0]["deep_link"], "myapp://rewards");

    // Ann's token does not open Bob's inbox.
    let (status, body) = get(
        &inbox.app,
        &[
            ("x-stratus-key", &key),
            ("x-stratus-customer", "bob"),
            ("x-stratus-inbox-token", &ann_token),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "inbox_token_invalid");
}

#[tokio::test]
async fn requests_without_every_proof_are_refused() {
    let db = Db::open_in_memory().unwrap();
    let inbox = inbox(&db);
    let key = create_key(&db, &NewKey::new(KeyKind::Server, "app"))
        .await
        .unwrap()
        .token;
    put_message(inbox.store.as_ref(), "ann", "0190-a", "secret offer").await;
    let token = inbox.secret.token("ann", in_a_day());
    let expired = inbox.secret.token("ann", 1);
    let forged = InboxSecret::new(&"x".repeat(40))
        .unwrap()
        .token("ann", in_a_day());
    let cases: [(Headers<'_>, StatusCode, &str); 6] = [
        (
            &[
                ("x-stratus-customer", "ann"),
                ("x-stratus-inbox-token", &token),
            ],
            StatusCode::UNAUTHORIZED,
            "write_key_missing",
        ),
        (
            &[
                ("x-stratus-key", "sk_not_a_key"),
                ("x-stratus-customer", "ann"),
                ("x-stratus-inbox-token", &token),
            ],
            StatusCode::UNAUTHORIZED,
            "write_key_unknown",
        ),
        (
            &[("x-stratus-key", &key), ("x-stratus-inbox-token", &token)],
            StatusCode::UNAUTHORIZED,
            "customer_missing",
        ),
        (
            &[("x-stratus-key", &key), ("x-stratus-customer", "ann")],
            StatusCode::UNAUTHORIZED,
            "inbox_token_missing",
        ),
        (
            &[
                ("x-stratus-key", &key),
                ("x-stratus-customer", "ann"),
                ("x-stratus-inbox-token", &expired),
            ],
            StatusCode::UNAUTHORIZED,
            "inbox_token_expired",
        ),
        (
            &[
                ("x-stratus-key", &key),
                ("x-stratus-customer", "ann"),
                ("x-stratus-inbox-token", &forged),
            ],
            StatusCode::UNAUTHORIZED,
            "inbox_token_invalid",
        ),
    ];
    for (headers, status, code) in cases {
        let (got, body) = get(&inbox.app, headers).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{body}");
        assert!(!body.to_string().contains("secret offer"));
    }
}
