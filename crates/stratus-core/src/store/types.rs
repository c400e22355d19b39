use std::collections::BTreeMap;

/// What the store knows of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// Opaque version tag, without quotes. Changes whenever the content does.
    pub etag: Option<String>,
    /// Unix milliseconds.
    pub last_modified: Option<i64>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    /// User metadata (S3 `x-amz-meta-*`), keys in lower case.
    pub metadata: BTreeMap<String, String>,
}

/// How to store an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    /// User metadata; keys are lower-cased ASCII as S3 stores them.
    pub metadata: BTreeMap<String, String>,
    /// Conditional create: fail if the key already exists.
    pub if_none_match: bool,
}

/// An inclusive byte range, like HTTP `Range: bytes=start-end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    /// Inclusive end; `None` reads to the end of the object.
    pub end: Option<u64>,
}

impl ByteRange {
    pub fn to_header(self) -> String {
        match self.end {
            Some(end) => format!("bytes={}-{}", self.start, end),
            None => format!("bytes={}-", self.start),
        }
    }
}

/// A request for one page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub prefix: String,
    /// Only keys strictly after this one (S3 `StartAfter`), e.g. a watermark.
    pub start_after: Option<String>,
    /// Opaque token from the previous page's `next_continuation`.
    pub continuation: Option<String>,
    /// Group keys by the part after the prefix up to this delimiter (usually `/`).
    pub delimiter: Option<char>,
    /// At most this many entries (objects plus common prefixes); S3 caps it at 1000.
    pub limit: usize,
}

impl ListRequest {
    pub fn prefix(prefix: impl Into<String>) -> Self {
        ListRequest {
            prefix: prefix.into(),
            start_after: None,
            continuation: None,
            delimiter: None,
            limit: 1000,
        }
    }

    pub fn with_delimiter(mut self, delimiter: char) -> Self {
        self.delimiter = Some(delimiter);
        self
    }

    pub fn after(mut self, key: Option<String>) -> Self {
        self.start_after = key;
        self
    }

    pub fn continue_from(mut self, token: Option<String>) -> Self {
        self.continuation = token;
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit.clamp(1, 1000);
        self
    }
}

/// One page of a listing, in lexicographic key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<ObjectMeta>,
    /// "Folders" when a delimiter was given, each ending with it.
    pub common_prefixes: Vec<String>,
    /// Pass as `continuation` to get the next page; `None` on the last page.
    pub next_continuation: Option<String>,
}
