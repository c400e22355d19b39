//! `GatedStore`: an object store for tests that parks one read until the test
//! opens a gate, so a race (a slow remake in flight, a render holding the
//! budget) is set up by order of events instead of by sleeping. The read is
//! parked after the object was opened: the reader holds the version that was
//! there when it asked, as a slow download would. It also keeps a log of
//! the requests it passed on, so a test can count what a path costs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::{Notify, Semaphore};

use super::StoreResult;
use super::{ByteRange, GetObject, ListPage, ListRequest, ObjectMeta, ObjectStore, PutOptions};

/// Wraps a store; every call goes through, except the one read it parks.
pub struct GatedStore {
    inner: Arc<dyn ObjectStore>,
    state: Mutex<GateState>,
    parked: Notify,
    gate: Semaphore,
}

#[derive(Default)]
struct GateState {
    /// The next whole-object GET of this key waits at the gate.
    park_get_of: Option<String>,
    /// Open the gate when the head of this key returns for the n-th time.
    open_on_head: Option<(String, usize)>,
    heads: HashMap<String, usize>,
    /// Every request passed on, as "GET key", "HEAD key", "PUT key", …
    log: Vec<String>,
}

impl GatedStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        GatedStore {
            inner,
            state: Mutex::new(GateState::default()),
            parked: Notify::new(),
            gate: Semaphore::new(0),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next whole-object GET of `key` opens the object, then waits until
    /// [`GatedStore::open`] before returning it.
    pub fn park_next_get(&self, key: &str) {
        self.state().park_get_of = Some(key.to_string());
    }

    /// Returns once the parked GET has arrived at the gate.
    pub async fn wait_parked(&self) {
        self.parked.notified().await;
    }

    /// Lets the parked GET through.
    pub fn open(&self) {
        self.gate.add_permits(1);
    }

    /// The requests passed on since the last call, oldest first.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut self.state().log)
    }

    fn record(&self, op: &str, key: &str) {
        self.state().log.push(format!("{op} {key}"));
    }

    /// Opens the gate as the `nth` head of `key` (counting from 1) returns,
    /// before its caller runs on: the caller's next step happens while the
    /// parked GET is still waiting.
    pub fn open_on_head(&self, key: &str, nth: usize) {
        self.state().open_on_head = Some((key.to_string(), nth));
    }
}

#[async_trait]
impl ObjectStore for GatedStore {
    fn location(&self) -> String {
        self.inner.location()
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> StoreResult<GetObject> {
        self.record("GET", key);
        let park = range.is_none() && {
            let mut state = self.state();
            let hit = state.park_get_of.as_deref() == Some(key);
            if hit {
                state.park_get_of = None;
            }
            hit
        };
        let object = self.inner.get(key, range).await;
        if park {
            // `notify_one` keeps the wake-up if no one waits yet.
            self.parked.notify_one();
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
        }
        object
    }

    async fn put(&self, key: &str, body: Bytes, options: PutOptions) -> StoreResult<ObjectMeta> {
        self.record("PUT", key);
        self.inner.put(key, body, options).await
    }

    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        self.record("HEAD", key);
        let result = self.inner.head(key).await;
        let open = {
            let mut state = self.state();
            let count = state.heads.entry(key.to_string()).or_default();
            *count += 1;
            let count = *count;
            state
                .open_on_head
                .as_ref()
                .is_some_and(|(k, nth)| k == key && *nth == count)
        };
        if open {
            self.open();
        }
        result
    }

    async fn list(&self, request: ListRequest) -> StoreResult<ListPage> {
        self.record("LIST", &request.prefix);
        self.inner.list(request).await
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.record("DELETE", key);
        self.inner.delete(key).await
    }
}
