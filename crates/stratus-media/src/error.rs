//! What can go wrong with a variant, each with a stable code and a message
//! that names the original and the limit.

use stratus_core::store::StoreError;

pub type Result<T, E = MediaError> = std::result::Result<T, E>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum MediaError {
    #[error("invalid variant spec `{spec}`: {reason}")]
    InvalidSpec { spec: String, reason: String },

    #[error("invalid image key `{key}`: {reason}")]
    InvalidKey { key: String, reason: &'static str },

    #[error("`{spec}` may not be made on demand: only the presets {allowed} are allowed")]
    NotAllowed { spec: String, allowed: String },

    #[error("unknown preset `{0}`")]
    UnknownPreset(String),

    #[error(
        "original `{key}` is {width}×{height} ({megapixels} MP), above the {limit_mp} MP limit"
    )]
    TooManyPixels {
        key: String,
        width: u32,
        height: u32,
        megapixels: u64,
        limit_mp: u64,
    },

    #[error(
        "`{spec}` of `{key}` would be {width}×{height}, above the limit of {max_side} px a side and {limit_mp} MP; ask for a smaller box or drop `-up`"
    )]
    OutputTooLarge {
        key: String,
        spec: String,
        width: u32,
        height: u32,
        max_side: u32,
        limit_mp: u64,
    },

    #[error("original `{key}` is {bytes} bytes, above the {limit} byte limit")]
    TooLarge { key: String, bytes: u64, limit: u64 },

    #[error("original `{key}` cannot be decoded: {reason}")]
    Undecodable { key: String, reason: String },

    #[error("cannot encode `{key}` as {format}: {reason}")]
    Encode {
        key: String,
        format: &'static str,
        reason: String,
    },

    #[error("too many images are being resized right now to make `{key}`; try again in {retry_after_secs} s")]
    Busy { key: String, retry_after_secs: u64 },

    #[error("original `{0}` does not exist")]
    OriginalNotFound(String),

    #[error("an original `{0}` already exists; delete it first or choose another name")]
    OriginalExists(String),

    #[error("invalid focal point `{0}`: give x,y as fractions (0–1) of the width and height from the top-left corner, e.g. 0.42,0.31")]
    InvalidFocus(String),

    #[error(transparent)]
    Store(#[from] StoreError),
}

impl MediaError {
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::InvalidSpec { .. } => "invalid_spec",
            MediaError::InvalidKey { .. } => "invalid_key",
            MediaError::NotAllowed { .. } => "spec_not_allowed",
            MediaError::UnknownPreset(_) => "unknown_preset",
            MediaError::TooManyPixels { .. } => "too_many_pixels",
            MediaError::TooLarge { .. } => "too_large",
            MediaError::OutputTooLarge { .. } => "output_too_large",
            MediaError::Undecodable { .. } => "undecodable",
            MediaError::Encode { .. } => "encode_failed",
            MediaError::Busy { .. } => "busy",
            MediaError::OriginalNotFound(_) => "original_not_found",
            MediaError::OriginalExists(_) => "original_exists",
            MediaError::InvalidFocus(_) => "invalid_focus",
            MediaError::Store(e) => e.code(),
        }
    }
}

impl stratus_core::CodedError for MediaError {
    fn code(&self) -> &str {
        MediaError::code(self)
    }
}
