//! The proxy breaks exactly the requests its rules pick, and the in-doubt
//! faults really reach the server first.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use stratus_faultproxy::{Fault, FaultProxy, Match, Rule};

/// An upstream that counts the requests it handled and echoes the body.
async fn upstream() -> (String, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handled = Arc::new(AtomicU64::new(0));
    let count = handled.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let count = count.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let count = count.clone();
                    async move {
                        let body = req.into_body().collect().await?.to_bytes();
                        count.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, hyper::Error>(Response::new(Full::new(body)))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, handled)
}

async fn post(url: &str, body: &'static str) -> Result<(u16, String), String> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("{url}/x"))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let answer = client
        .request(request)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = answer.status().as_u16();
    let text = answer
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        status,
        String::from_utf8_lossy(&text.to_bytes()).into_owned(),
    ))
}

#[tokio::test]
async fn untouched_requests_pass_through() {
    let (url, handled) = upstream().await;
    let proxy = FaultProxy::start(&url).await.unwrap();
    assert_eq!(
        post(&proxy.url(), "hello").await.unwrap(),
        (200, "hello".into())
    );
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    assert_eq!((proxy.forwarded(), proxy.faulted()), (1, 0));
}

#[tokio::test]
async fn every_nth_matching_request_is_cut_after_the_server_handled_it() {
    let (url, handled) = upstream().await;
    let proxy = FaultProxy::start(&url).await.unwrap();
    proxy.add_rule(Rule::every(
        3,
        Fault::CutAfterForward,
        Match::body_contains("Action=Publish"),
    ));
    let mut outcomes = Vec::new();
    for _ in 0..6 {
        outcomes.push(post(&proxy.url(), "Action=Publish&x=1").await.is_ok());
        // A request the rule does not match is never counted.
        assert!(post(&proxy.url(), "Action=Other").await.is_ok());
    }
    assert_eq!(outcomes, [true, true, false, true, true, false]);
    assert_eq!(
        handled.load(Ordering::SeqCst),
        12,
        "cut requests reached the server too"
    );
    assert_eq!(proxy.faulted(), 2);
}

#[tokio::test]
async fn a_failure_after_forward_reaches_the_server_and_a_rejection_does_not() {
    let (url, handled) = upstream().await;
    let proxy = FaultProxy::start(&url).await.unwrap();
    proxy.add_rule(Rule::always(Fault::FailAfterForward(500), Match::any()).limit(1));
    proxy.add_rule(Rule::always(Fault::Reject(400, "Throttling"), Match::any()).limit(1));
    let (status, body) = post(&proxy.url(), "Action=Publish").await.unwrap();
    assert_eq!(status, 500);
    assert!(body.contains("<Code>InternalError</Code>"), "{body}");
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    let (status, body) = post(&proxy.url(), "Action=Publish").await.unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("<Code>Throttling</Code>"), "{body}");
    assert_eq!(
        handled.load(Ordering::SeqCst),
        1,
        "a rejected request never reaches the server"
    );
    assert_eq!(post(&proxy.url(), "ok").await.unwrap().0, 200);
}

#[tokio::test]
async fn a_delayed_answer_outlives_a_client_timeout_but_the_server_acted() {
    let (url, handled) = upstream().await;
    let proxy = FaultProxy::start(&url).await.unwrap();
    proxy.add_rule(Rule::always(
        Fault::DelayAfterForward(Duration::from_secs(30)),
        Match::any(),
    ));
    let attempt = tokio::time::timeout(Duration::from_millis(300), post(&proxy.url(), "x")).await;
    assert!(
        attempt.is_err(),
        "the answer came before the client gave up"
    );
    assert_eq!(handled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refusing_proxy_refuses_connections_until_healed() {
    let (url, handled) = upstream().await;
    let proxy = FaultProxy::start(&url).await.unwrap();
    assert!(post(&proxy.url(), "warm").await.is_ok());
    proxy.set_refusing(true).unwrap();
    let error = post(&proxy.url(), "x").await.unwrap_err();
    assert!(error.contains("ConnectionRefused"), "{error}");
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    proxy.set_refusing(false).unwrap();
    // The listener is back on the same port before set_refusing returns.
    assert_eq!(post(&proxy.url(), "y").await.unwrap().0, 200);
    assert_eq!(handled.load(Ordering::SeqCst), 2);
}
