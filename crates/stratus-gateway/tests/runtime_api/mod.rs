//! A Lambda Runtime API emulator: the HTTP API a `provided.al2023` bootstrap
//! polls for its next invocation and posts its answer to
//! (`/2018-06-01/runtime/...`), so the packaged function runs here exactly
//! as it does on Lambda.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, oneshot};

/// How the function answered one invocation.
#[derive(Debug)]
pub enum Outcome {
    /// The body posted to `/invocation/{id}/response`.
    Response(Vec<u8>),
    /// The body posted to `/invocation/{id}/error`.
    Error(String),
}

struct Invocation {
    id: String,
    event: String,
    answer: oneshot::Sender<Outcome>,
}

struct Shared {
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<String>>,
}

pub struct RuntimeApi {
    addr: SocketAddr,
    queue: mpsc::UnboundedSender<Invocation>,
    shared: Arc<Shared>,
    next_id: Mutex<u64>,
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let (queue, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(receiver),
            waiting: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        RuntimeApi {
            addr,
            queue,
            shared,
            next_id: Mutex::new(0),
        }
    }

    /// `AWS_LAMBDA_RUNTIME_API` for the bootstrap.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Hands `event` to the function and waits for its answer (`None` if
    /// none came within `patience`).
    pub async fn invoke(&self, event: &str, patience: Duration) -> Option<Outcome> {
        let id = {
            let mut n = self.next_id.lock().unwrap();
            *n += 1;
            format!("00000000-0000-4000-8000-{:012}", *n)
        };
        let (answer, outcome) = oneshot::channel();
        self.queue
            .send(Invocation {
                id,
                event: event.to_string(),
                answer,
            })
            .ok()?;
        tokio::time::timeout(patience, outcome).await.ok()?.ok()
    }

    /// What the function reported if it failed to start.
    pub fn init_error(&self) -> Option<String> {
        self.shared.init_error.lock().unwrap().clone()
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> (StatusCode, HeaderMap, String) {
    let Some(invocation) = shared.queue.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        // The deploy's function timeout (15 min, the campaign worker's):
        // a shorter one makes the worker hand a slow chunk back to the
        // queue on a loaded machine, where only a real event source
        // mapping would deliver it again.
        + 900_000;
    let mut headers = HeaderMap::new();
    let header = |v: &str| HeaderValue::from_str(v).unwrap();
    headers.insert("lambda-runtime-aws-request-id", header(&invocation.id));
    headers.insert("lambda-runtime-deadline-ms", header(&deadline.to_string()));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        header("arn:aws:lambda:us-east-1:123456789012:function:stratus-test"),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        header("Root=1-00000000-000000000000000000000000;Sampled=0"),
    );
    headers.insert("content-type", header("application/json"));
    shared
        .waiting
        .lock()
        .unwrap()
        .insert(invocation.id, invocation.answer);
    (StatusCode::OK, headers, invocation.event)
}

fn settle(shared: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    match shared.waiting.lock().unwrap().remove(id) {
        Some(answer) => {
            let _ = answer.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    settle(&shared, &id, Outcome::Response(body.to_vec()))
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    settle(
        &shared,
        &id,
        Outcome::Error(String::from_utf8_lossy(&body).into_owned()),
    )
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *shared.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}
