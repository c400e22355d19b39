//! Decoding with limits: size and pixel count are checked from the header
//! before any pixel is decoded, so a decompression bomb costs nothing.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::error::MediaError;

/// What an original may cost to decode, and a variant to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Width × height of the source, checked from the header.
    pub max_pixels: u64,
    pub max_source_bytes: u64,
    /// Width × height of a variant, checked on the plan before the output
    /// is allocated: `-up` and `contain`'s padding can ask for more pixels
    /// than the original has.
    pub max_output_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: 50_000_000,
            max_source_bytes: 64 * 1024 * 1024,
            max_output_pixels: 50_000_000,
        }
    }
}

fn undecodable(key: &str, reason: impl Into<String>) -> MediaError {
    MediaError::Undecodable {
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// Reads only the header: format and dimensions, checked against the limits.
pub fn probe(
    key: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(ImageFormat, u32, u32), MediaError> {
    let size = bytes.len() as u64;
    if size > limits.max_source_bytes {
        return Err(MediaError::TooLarge {
            key: key.to_string(),
            bytes: size,
            limit: limits.max_source_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(undecodable(key, "the file is empty"));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| undecodable(key, e.to_string()))?;
    let format = reader.format().ok_or_else(|| {
        undecodable(
            key,
            "not an image Stratus can read (JPEG, PNG, GIF, WebP or TIFF)",
        )
    })?;
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| undecodable(key, format!("unreadable {format:?} header: {e}")))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            key: key.to_string(),
            width,
            height,
            megapixels: pixels / 1_000_000,
            limit_mp: limits.max_pixels / 1_000_000,
        });
    }
    Ok((format, width, height))
}

/// Converts pixels tagged with `icc` to sRGB; a profile that cannot be
/// used is logged and the pixels are kept as they are.
pub(super) fn in_srgb(key: &str, image: &mut DynamicImage, icc: &[u8]) {
    if let Err(reason) = super::colour::to_srgb(image, icc) {
        tracing::warn!(key, "colour profile not applied: {reason}");
    }
}

/// Decodes an original (first frame of an animation), applies its EXIF
/// orientation, so the result is upright, and converts it to sRGB when it
/// carries another colour profile.
pub fn decode(key: &str, bytes: &[u8], limits: &Limits) -> Result<DynamicImage, MediaError> {
    let (format, width, height) = probe(key, bytes, limits)?;
    if format == ImageFormat::Jpeg {
        check_jpeg_complete(key, bytes)?;
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // The header was checked; these limits also hold the decoder to it.
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(width);
    decode_limits.max_image_height = Some(height);
    // 16-bit RGBA is the widest layout a decoder allocates.
    decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).max(64 * 1024 * 1024));
    reader.limits(decode_limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| undecodable(key, format!("{format:?}: {e}")))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let mut image = DynamicImage::from_decoder(decoder)
        .map_err(|e| undecodable(key, format!("{format:?}: {e}")))?;
    image.apply_orientation(orientation);
    if let Some(icc) = icc {
        in_srgb(key, &mut image, &icc);
    }
    Ok(image)
}

/// A JPEG cut short decodes "successfully" into grey in lenient decoders;
/// refuse it instead of storing a broken variant for a year. The image ends
/// with an EOI marker after its last scan (`FF D9` cannot occur inside
/// entropy-coded data, where `FF` is always followed by `00` or a restart).
pub(super) fn check_jpeg_complete(key: &str, bytes: &[u8]) -> Result<(), MediaError> {
    let last = |marker: u8| {
        bytes
            .windows(2)
            .rposition(|w| w[0] == 0xFF && w[1] == marker)
    };
    match (last(0xDA), last(0xD9)) {
        (Some(sos), Some(eoi)) if eoi > sos => Ok(()),
        (None, _) => Err(undecodable(key, "JPEG has no image data (no scan)")),
        _ => Err(undecodable(
            key,
            "JPEG is truncated (the file ends before the image does)",
        )),
    }
}
