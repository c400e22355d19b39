/// What can go wrong talking to an object store. Messages name the key or
/// bucket and say what to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("object `{key}` does not exist")]
    NotFound { key: String },

    #[error("object `{key}` already exists (conditional create refused to overwrite it)")]
    AlreadyExists { key: String },

    #[error("invalid object key `{key}`: {reason}")]
    InvalidKey { key: String, reason: &'static str },

    #[error("`{key}` is a symbolic link or lies under one; Stratus does not follow links inside a local bucket")]
    Symlink { key: String },

    #[error("bucket `{bucket}` does not exist; check the bucket name in the profile")]
    NoSuchBucket { bucket: String },

    #[error("access denied to {target}; check the credentials and the bucket policy")]
    AccessDenied { target: String },

    #[error("no AWS credentials found: {message}; set an AWS profile in the profile settings or configure the default credential chain")]
    NoCredentials { message: String },

    #[error("cannot reach {endpoint}: {message}; check the endpoint URL and the network")]
    Unreachable { endpoint: String, message: String },

    #[error("requested range of `{key}` is not satisfiable")]
    InvalidRange { key: String },

    #[error("I/O error on `{key}`: {message}")]
    Io { key: String, message: String },

    #[error("the object store answered an error for `{target}`: {code}: {message}")]
    Service {
        target: String,
        code: String,
        message: String,
    },
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound { .. } => "not_found",
            StoreError::AlreadyExists { .. } => "already_exists",
            StoreError::InvalidKey { .. } => "invalid_key",
            StoreError::Symlink { .. } => "symlink",
            StoreError::NoSuchBucket { .. } => "no_such_bucket",
            StoreError::AccessDenied { .. } => "access_denied",
            StoreError::NoCredentials { .. } => "no_credentials",
            StoreError::Unreachable { .. } => "unreachable",
            StoreError::InvalidRange { .. } => "invalid_range",
            StoreError::Io { .. } => "io",
            StoreError::Service { .. } => "store_service",
        }
    }
}
