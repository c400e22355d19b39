//! `in_flight` marks, on disk before the publish and batched. A mark that
//! only reached the OS cache can roll back after a power loss, and the
//! message would then be sent again; so each mark is committed with
//! `synchronous=FULL` (the WAL is synced at commit). Send tasks that ask
//! while a commit is under way are marked together in the next one (group
//! commit): one sync per batch, not one per recipient.

use stratus_core::db::Db;
use tokio::sync::{mpsc, oneshot};

use super::recipient;
use crate::{Error, Result};

/// Recipients marked in one commit at most.
const MAX_BATCH: usize = 256;

/// What a claim got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Claim {
    /// Marked `in_flight`, on disk: publish now.
    Marked,
    /// The row is no longer pending: someone else settled it.
    Taken,
    /// The campaign is not running in the database (paused or cancelled
    /// from somewhere): nothing was marked, do not publish.
    Stopped,
}

struct Request {
    customer: String,
    rendered: String,
    reply: oneshot::Sender<Result<Claim>>,
}

/// Hands `in_flight` marks to one writer task; cheap to share.
pub(super) struct MarkWriter {
    claims: mpsc::UnboundedSender<Request>,
}

impl MarkWriter {
    /// Starts the writer; it stops when the `MarkWriter` is dropped.
    pub fn start(db: Db, campaign: String) -> Self {
        let (claims, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(db, campaign, rx));
        MarkWriter { claims }
    }

    /// `pending → in_flight`, durably. Returns once the mark is on disk.
    pub async fn claim(&self, customer: &str, rendered: &str) -> Result<Claim> {
        let (reply, answer) = oneshot::channel();
        self.claims
            .send(Request {
                customer: customer.to_string(),
                rendered: rendered.to_string(),
                reply,
            })
            .map_err(|_| Error::Internal("the mark writer stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("the mark writer stopped".into()))?
    }
}

async fn write_batches(db: Db, campaign: String, mut rx: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(claim) => batch.push(claim),
                Err(_) => break,
            }
        }
        let (rows, replies): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|c| ((c.customer, c.rendered), c.reply))
            .unzip();
        let id = campaign.clone();
        let result = db
            .call(move |c| recipient::mark_in_flight_durably(c, &id, &rows))
            .await;
        match result {
            Ok(Some(marked)) => {
                for (reply, marked) in replies.into_iter().zip(marked) {
                    let _ = reply.send(Ok(if marked { Claim::Marked } else { Claim::Taken }));
                }
            }
            Ok(None) => {
                for reply in replies {
                    let _ = reply.send(Ok(Claim::Stopped));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(Error::Internal(format!(
                        "cannot record the send before it: {message}"
                    ))));
                }
            }
        }
    }
}
