//! A fault-injecting HTTP/1 proxy for tests.
//!
//! It sits between Stratus and the S3/SNS-compatible test server (moto) and
//! breaks chosen requests the ways a real network and a real provider do:
//!
//! - **refuse**: the port refuses connections, so a request certainly never
//!   reached the server (the only fault a client may always retry);
//! - **cut after forward**: the server got and handled the request, then the
//!   client's connection is cut before any answer;
//! - **fail after forward**: the server handled it, the client gets a 5xx;
//! - **delay after forward**: the server handled it, the answer is held back
//!   past the client's timeout;
//! - **reject**: the request is answered with an error and *not* forwarded
//!   (throttling, validation), so it certainly did not happen.
//!
//! The three "after forward" faults are the in-doubt cases: the provider
//! acted, the client cannot know. Tests compare what the server received
//! with what Stratus recorded.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

/// What happens to a request a [`Rule`] picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward it, then cut the client's connection without an answer.
    CutAfterForward,
    /// Forward it, drop the server's answer and answer with this status
    /// (500 → `InternalError`, 503 → `ServiceUnavailable`).
    FailAfterForward(u16),
    /// Forward it and hold the server's answer back this long.
    DelayAfterForward(Duration),
    /// Do not forward it; answer with this status and error code
    /// (e.g. 400 `Throttling`).
    Reject(u16, &'static str),
}

impl Fault {
    /// True when the server saw the request: the client cannot know
    /// whether the operation happened.
    pub fn reaches_server(self) -> bool {
        !matches!(self, Fault::Reject(..))
    }
}

/// Which requests a rule looks at. Empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct Match {
    method: Option<Method>,
    path_contains: Option<String>,
    body_contains: Option<String>,
}

impl Match {
    /// Every request.
    pub fn any() -> Match {
        Match::default()
    }

    /// Requests whose body contains `needle` (e.g. `Action=Publish` for an
    /// SNS publish in the query protocol).
    pub fn body_contains(needle: &str) -> Match {
        Match {
            body_contains: Some(needle.to_string()),
            ..Match::default()
        }
    }

    /// Narrows to one HTTP method.
    pub fn method(mut self, method: Method) -> Match {
        self.method = Some(method);
        self
    }

    /// Narrows to paths containing `needle`.
    pub fn path_contains(mut self, needle: &str) -> Match {
        self.path_contains = Some(needle.to_string());
        self
    }

    fn matches(&self, method: &Method, uri: &Uri, body: &[u8]) -> bool {
        self.method.as_ref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|needle| uri.path().contains(needle))
            && self
                .body_contains
                .as_deref()
                .is_none_or(|needle| contains(body, needle.as_bytes()))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Applies `fault` to every `every`-th matching request (deterministic, so a
/// test knows exactly how many were hit), at most `limit` times.
#[derive(Debug, Clone)]
pub struct Rule {
    pub fault: Fault,
    pub matching: Match,
    pub every: u64,
    pub limit: Option<u64>,
}

impl Rule {
    /// Every matching request.
    pub fn always(fault: Fault, matching: Match) -> Rule {
        Rule {
            fault,
            matching,
            every: 1,
            limit: None,
        }
    }

    /// Every `n`-th matching request (the `n`-th, `2n`-th, …).
    pub fn every(n: u64, fault: Fault, matching: Match) -> Rule {
        Rule {
            fault,
            matching,
            every: n.max(1),
            limit: None,
        }
    }

    /// At most `limit` faults in all.
    pub fn limit(mut self, limit: u64) -> Rule {
        self.limit = Some(limit);
        self
    }
}

struct RuleState {
    rule: Rule,
    seen: u64,
    applied: u64,
}

struct Shared {
    upstream: String,
    client: Client<HttpConnector, Full<Bytes>>,
    rules: Mutex<Vec<RuleState>>,
    /// The listening socket while the proxy accepts connections; `None`
    /// while it refuses them.
    listener: Mutex<Option<Arc<TcpListener>>>,
    /// Bumped whenever `listener` changes, to wake the accept loop.
    listener_changed: watch::Sender<u64>,
    connections: Mutex<Vec<AbortHandle>>,
    forwarded: AtomicU64,
    faulted: AtomicU64,
}

impl Shared {
    fn pick(&self, method: &Method, uri: &Uri, body: &[u8]) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        for state in rules.iter_mut() {
            if !state.rule.matching.matches(method, uri, body) {
                continue;
            }
            state.seen += 1;
            let under_limit = state.rule.limit.is_none_or(|l| state.applied < l);
            if under_limit && state.seen % state.rule.every == 0 {
                state.applied += 1;
                return Some(state.rule.fault);
            }
        }
        None
    }

    fn abort_connections(&self) {
        let mut connections = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for connection in connections.drain(..) {
            connection.abort();
        }
    }
}

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream`
    /// (`http://host:port`). Must be called inside a Tokio runtime.
    pub async fn start(upstream: &str) -> std::io::Result<FaultProxy> {
        let upstream = upstream
            .trim_end_matches('/')
            .strip_prefix("http://")
            .ok_or_else(|| std::io::Error::other("the upstream must be an http:// URL"))?
            .to_string();
        let listener = bind("127.0.0.1:0".parse().map_err(std::io::Error::other)?)?;
        let addr = listener.local_addr()?;
        let (listener_changed, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            upstream,
            client: Client::builder(TokioExecutor::new()).build_http(),
            rules: Mutex::new(Vec::new()),
            listener: Mutex::new(Some(Arc::new(listener))),
            listener_changed,
            connections: Mutex::new(Vec::new()),
            forwarded: AtomicU64::new(0),
            faulted: AtomicU64::new(0),
        });
        let task = tokio::spawn(accept_loop(shared.clone()));
        Ok(FaultProxy { addr, shared, task })
    }

    /// The URL to give Stratus as its endpoint.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds a rule; rules are tried in the order they were added and the
    /// first that fires decides.
    pub fn add_rule(&self, rule: Rule) {
        self.shared
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(RuleState {
                rule,
                seen: 0,
                applied: 0,
            });
    }

    /// Removes every rule: requests pass untouched again.
    pub fn clear_rules(&self) {
        self.shared
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// While true the port refuses connections (ECONNREFUSED) and open ones
    /// are closed, as when the provider is unreachable. Takes effect before
    /// it returns. Must be called inside a Tokio runtime.
    pub fn set_refusing(&self, refusing: bool) -> std::io::Result<()> {
        let mut listener = self
            .shared
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if refusing {
            if let Some(current) = listener.take() {
                // Shutting the listening socket down takes it out of the
                // LISTEN state at once, so the kernel answers new connection
                // attempts with a reset even before the accept loop drops it.
                let _ = socket2::SockRef::from(current.as_ref()).shutdown(std::net::Shutdown::Both);
            }
            self.shared.abort_connections();
        } else if listener.is_none() {
            *listener = Some(Arc::new(bind(self.addr)?));
        }
        self.shared.listener_changed.send_modify(|n| *n += 1);
        Ok(())
    }

    /// Requests the server received through the proxy.
    pub fn forwarded(&self) -> u64 {
        self.shared.forwarded.load(Ordering::SeqCst)
    }

    /// Requests a rule broke (forwarded or not).
    pub fn faulted(&self) -> u64 {
        self.shared.faulted.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.shared.abort_connections();
    }
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream)
            .finish()
    }
}

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    // Re-binding the same port after a refusing spell must not wait for
    // TIME_WAIT to pass.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn accept_loop(shared: Arc<Shared>) {
    let mut changed = shared.listener_changed.subscribe();
    loop {
        changed.borrow_and_update();
        let current = shared
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(current) = current else {
            if changed.changed().await.is_err() {
                return;
            }
            continue;
        };
        tokio::select! {
            accepted = current.accept() => {
                if let Ok((stream, _)) = accepted {
                    let handle = tokio::spawn(serve_connection(stream, shared.clone()));
                    let mut connections = shared
                        .connections
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    connections.retain(|c| !c.is_finished());
                    connections.push(handle.abort_handle());
                }
            }
            result = changed.changed() => {
                if result.is_err() {
                    return;
                }
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let service = service_fn(move |request| handle(shared.clone(), request));
    // An error here is the cut we made on purpose, or the client leaving.
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Returned by the service to make hyper close the connection unanswered.
#[derive(Debug)]
struct Cut;

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection cut by the fault proxy")
    }
}

impl std::error::Error for Cut {}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Cut> {
    let (mut parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Err(Cut);
    };
    let fault = shared.pick(&parts.method, &parts.uri, &body);
    if fault.is_some() {
        shared.faulted.fetch_add(1, Ordering::SeqCst);
    }
    if let Some(Fault::Reject(status, code)) = fault {
        return Ok(error_answer(status, code, &body));
    }
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    parts.uri = match format!("http://{}{path}", shared.upstream).parse() {
        Ok(uri) => uri,
        Err(_) => return Ok(plain(StatusCode::BAD_REQUEST, "bad request target")),
    };
    let request_body = body.clone();
    let answer = shared
        .client
        .request(Request::from_parts(parts, Full::new(body)))
        .await;
    shared.forwarded.fetch_add(1, Ordering::SeqCst);
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => return Ok(plain(StatusCode::BAD_GATEWAY, &format!("upstream: {e}"))),
    };
    let (parts, answer_body) = answer.into_parts();
    let answer_body = answer_body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    match fault {
        None | Some(Fault::Reject(..)) => Ok(Response::from_parts(parts, Full::new(answer_body))),
        Some(Fault::CutAfterForward) => Err(Cut),
        Some(Fault::FailAfterForward(status)) => {
            let code = match status {
                503 => "ServiceUnavailable",
                500 => "InternalError",
                _ => "InjectedFault",
            };
            Ok(error_answer(status, code, &request_body))
        }
        Some(Fault::DelayAfterForward(delay)) => {
            tokio::time::sleep(delay).await;
            Ok(Response::from_parts(parts, Full::new(answer_body)))
        }
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_string())));
    *response.status_mut() = status;
    response
}

/// An error answer in the shape the client's protocol expects: the query
/// protocol's `ErrorResponse` (SNS, SQS) when the request was a form with an
/// `Action`, S3's `Error` otherwise.
fn error_answer(status: u16, code: &str, request_body: &[u8]) -> Response<Full<Bytes>> {
    let message = "fault injected by the test proxy";
    let xml = if contains(request_body, b"Action=") {
        format!(
            "<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code>\
             <Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
        )
    } else {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
             <Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>"
        )
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Full::new(Bytes::from(xml)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    response
}
