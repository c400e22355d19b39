//! Checks every request of `stratus serve` passes before any route sees it:
//! the `Host` must name this server (a web page on another site cannot
//! reach it by pointing its own DNS name at 127.0.0.1 — DNS rebinding), a
//! declared `Content-Length` above the limit is refused before a byte of
//! the body is read, and the body must arrive within a deadline (a client
//! trickling one byte every few seconds is cut).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::Sleep;

use crate::error::ApiError;

/// Which `Host` names the server answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    /// Lower-case names without port; `*` allows any.
    names: Vec<String>,
    /// The address the server is bound to.
    bound: IpAddr,
}

impl AllowedHosts {
    /// The bound address (and `localhost` on a loopback address), plus
    /// `extra` names (e.g. the name a reverse proxy forwards). Bound to
    /// every interface (`0.0.0.0`), any IP literal is taken: only names can
    /// be rebound.
    pub fn for_bind(bound: IpAddr, extra: &[String]) -> Self {
        let mut names: Vec<String> = extra
            .iter()
            .map(|n| normalise(n))
            .filter(|n| !n.is_empty())
            .collect();
        if bound.is_loopback() || bound.is_unspecified() {
            names.push("localhost".into());
        }
        AllowedHosts { names, bound }
    }

    /// Any host (tests of the Router alone; not for a listening server).
    pub fn any() -> Self {
        AllowedHosts {
            names: vec!["*".into()],
            bound: IpAddr::from([0, 0, 0, 0]),
        }
    }

    /// Whether a request's `Host` header value names this server. A request
    /// without `Host` (HTTP/1.0) is not a browser's, so it passes.
    pub fn allows(&self, host: Option<&str>) -> bool {
        let Some(host) = host else {
            return true;
        };
        if self.names.iter().any(|n| n == "*") {
            return true;
        }
        let name = normalise(host);
        if self.names.contains(&name) {
            return true;
        }
        match name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            Ok(ip) => {
                let ip = ip.to_canonical();
                self.bound.is_unspecified()
                    || ip == self.bound.to_canonical()
                    || (self.bound.is_loopback() && ip.is_loopback())
            }
            Err(_) => false,
        }
    }
}

/// `Example.COM.:8787` → `example.com`; `[::1]:8787` → `[::1]`.
fn normalise(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    let without_port = if host.starts_with('[') {
        match host.find(']') {
            Some(end) => host[..=end].to_string(),
            None => host,
        }
    } else if host.matches(':').count() == 1 {
        host.split(':').next().unwrap_or_default().to_string()
    } else {
        host
    };
    without_port.trim_end_matches('.').to_string()
}

/// What the guard enforces.
#[derive(Debug, Clone)]
pub struct Guard {
    pub hosts: AllowedHosts,
    /// A declared body above this is refused with 413 before it is read.
    pub max_body_bytes: u64,
    /// The whole body must arrive within this.
    pub body_timeout: Duration,
}

/// The middleware: `router.layer(axum::middleware::from_fn_with_state(guard, check))`.
pub async fn check(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    if !guard.hosts.allows(host) {
        return ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "host_not_allowed",
            "this server does not answer to that host name; add it with --allowed-hosts",
        )
        .into_response();
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > guard.max_body_bytes) {
        let mut response = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!(
                "the request body is above the limit of {} bytes; send smaller batches",
                guard.max_body_bytes
            ),
        )
        .into_response();
        // The body is never read, so the connection cannot be reused.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    let (parts, body) = request.into_parts();
    let body = Body::new(DeadlineBody {
        inner: body,
        deadline: Box::pin(tokio::time::sleep(guard.body_timeout)),
        after: guard.body_timeout,
    });
    next.run(Request::from_parts(parts, body)).await
}

/// The body did not arrive within the server's body timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub struct BodyTimedOut(Duration);

/// True when reading a body failed because of [`BodyTimedOut`].
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// A request body that fails once its deadline passes.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    after: Duration,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                let after = self.after;
                Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut(after)))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_server_answers_to_its_own_names_only() {
        let hosts = AllowedHosts::for_bind(IpAddr::from([127, 0, 0, 1]), &[]);
        for ok in [
            "127.0.0.1:8787",
            "localhost:8787",
            "LOCALHOST",
            "[::1]:8787",
        ] {
            assert!(hosts.allows(Some(ok)), "{ok}");
        }
        for bad in ["evil.example:8787", "192.0.2.1", "localhost.evil.example"] {
            assert!(!hosts.allows(Some(bad)), "{bad}");
        }
        let listed = AllowedHosts::for_bind(
            IpAddr::from([0, 0, 0, 0]),
            &["collector.example.com".to_string()],
        );
        assert!(listed.allows(Some("collector.example.com.:443")));
        assert!(listed.allows(Some("192.0.2.1:8787")));
        assert!(!listed.allows(Some("rebind.example.net")));
    }
}
