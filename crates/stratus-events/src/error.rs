//! Errors of the events capability. Two kinds: [`EnvelopeError`] rejects one
//! event (the rest of a request goes on); [`Error`] stops an operation.

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why one event was rejected. Each says which field and what to fix; the
/// collector writes them to `bad/` and returns them per event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("an event must be a JSON object, got {0}")]
    NotAnObject(&'static str),

    #[error("required field `{0}` is missing or empty")]
    MissingField(&'static str),

    #[error("field `{field}` is invalid: {reason}")]
    InvalidField { field: &'static str, reason: String },

    #[error(
        "`event_id` `{0}` is not a UUID; send a UUIDv7 made once per event and reused on retries"
    )]
    InvalidEventId(String),

    #[error("`{field}` `{value}` is not an RFC 3339 timestamp (e.g. 2026-11-26T15:04:05.123Z)")]
    InvalidTimestamp { field: &'static str, value: String },

    #[error("`{field}` is {actual} bytes, above the {limit}-byte limit")]
    TooLarge {
        field: &'static str,
        actual: usize,
        limit: usize,
    },

    #[error("`properties` must be flat: `{0}` holds an object or array; send scalars only")]
    NotFlat(String),

    #[error("unknown event type `{0}`: use `track`, `identify` or `page`")]
    UnknownType(String),

    #[error("the event's time {at} is {reason}; send events as they happen (at most 7 days late, 1 day ahead)")]
    TimeOutOfRange { at: String, reason: &'static str },
}

impl EnvelopeError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            EnvelopeError::NotAnObject(_) => "not_an_object",
            EnvelopeError::MissingField(_) => "missing_field",
            EnvelopeError::InvalidField { .. } => "invalid_field",
            EnvelopeError::InvalidEventId(_) => "invalid_event_id",
            EnvelopeError::InvalidTimestamp { .. } => "invalid_timestamp",
            EnvelopeError::TooLarge { .. } => "too_large",
            EnvelopeError::NotFlat(_) => "properties_not_flat",
            EnvelopeError::UnknownType(_) => "unknown_type",
            EnvelopeError::TimeOutOfRange { .. } => "time_out_of_range",
        }
    }
}

/// What stops a collect, sync, query or export.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] stratus_core::Error),

    #[error(transparent)]
    Store(#[from] stratus_core::store::StoreError),

    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),

    #[error("the request body is not a batch: {0}")]
    InvalidBatch(String),

    #[error("the batch holds {actual} events, above the limit of {limit}; split it into smaller batches")]
    BatchTooLarge { actual: usize, limit: usize },

    #[error(
        "the request body is {actual} bytes, above the limit of {limit}; send smaller batches"
    )]
    RequestTooLarge { actual: usize, limit: usize },

    #[error("invalid filter: {0}")]
    InvalidFilter(String),

    #[error("invalid page cursor `{0}`; start again from the first page")]
    InvalidCursor(String),

    #[error(
        "the query took longer than {0} ms and was stopped; narrow the filters or the time range"
    )]
    QueryTimeout(u64),

    #[error("export failed: {0}")]
    Export(String),

    #[error("invalid view name: {0}")]
    InvalidViewName(String),

    #[error("no saved view named `{0}`; `stratus events views list` shows them")]
    ViewNotFound(String),

    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    #[error("cancelled")]
    Cancelled,

    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Core(e) => e.code(),
            Error::Store(e) => e.code(),
            Error::Db(_) => "database",
            Error::InvalidBatch(_) => "invalid_batch",
            Error::BatchTooLarge { .. } => "batch_too_large",
            Error::RequestTooLarge { .. } => "request_too_large",
            Error::InvalidFilter(_) => "invalid_filter",
            Error::InvalidCursor(_) => "invalid_cursor",
            Error::QueryTimeout(_) => "query_timeout",
            Error::Export(_) => "export_failed",
            Error::InvalidViewName(_) => "invalid_view_name",
            Error::ViewNotFound(_) => "view_not_found",
            Error::Io(_) => "io",
            Error::Cancelled => "cancelled",
            Error::Internal(_) => "internal",
        }
    }
}

impl stratus_core::CodedError for Error {
    fn code(&self) -> &str {
        Error::code(self)
    }
}

impl stratus_core::CodedError for EnvelopeError {
    fn code(&self) -> &str {
        EnvelopeError::code(self)
    }
}

/// A write error of the output stays an I/O error, so a caller can tell a
/// closed pipe (`stratus events export | head`) from a failed export.
impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Self {
        if !e.is_io_error() {
            return Error::Export(e.to_string());
        }
        match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::Io(io),
            _ => Error::Export("the export could not be written".into()),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        if e.is_io() {
            Error::Io(e.into())
        } else {
            Error::Export(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use stratus_core::db::Db;
    use stratus_core::jobs::{JobRegistry, JobState};
    use stratus_core::Failure;

    use crate::browse::filter::EventFilter;
    use crate::browse::page::events_page;

    /// An events error crosses `Db::call` and the job registry with its code:
    /// the stored job says `invalid_cursor`, not `internal`.
    #[tokio::test]
    async fn a_job_failing_with_an_events_error_stores_its_code() {
        let db = Db::open_in_memory().unwrap();
        let page = db
            .call(|c| events_page(c, &EventFilter::default(), None, 10))
            .await
            .unwrap();
        assert!(page.events.is_empty());

        let jobs = JobRegistry::new();
        let job = jobs
            .start(&db, "events.query", "bad page", {
                let db = db.clone();
                move |_| async move {
                    db.call(|c| events_page(c, &EventFilter::default(), Some("not-a-cursor"), 10))
                        .await
                        .map(|p| format!("{} events", p.events.len()))
                }
            })
            .await
            .unwrap();
        assert_eq!(jobs.wait(&job.id).await.unwrap().state, JobState::Failed);

        let stored = JobRegistry::new().get(&db, &job.id).await.unwrap().unwrap();
        assert_eq!(
            stored.error,
            Some(Failure::new(
                "invalid_cursor",
                "invalid page cursor `not-a-cursor`; start again from the first page"
            ))
        );
    }
}
