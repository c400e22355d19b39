//! decode (with limits) → EXIF orientation → resize → encode. CPU-bound and
//! synchronous: callers run it on a blocking thread.

mod decode;
mod encode;
pub mod geometry;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, GenericImageView};

pub use decode::{decode, probe, Limits};

use crate::error::MediaError;
use crate::output::OutputFormat;
use crate::spec::VariantSpec;

/// A made variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub format: OutputFormat,
    pub width: u32,
    pub height: u32,
}

/// Makes one variant of an original's bytes.
///
/// Resizing is Lanczos3 in sRGB space (as browsers and sharp do by default),
/// with alpha premultiplied so transparent edges do not darken.
pub fn render(
    key: &str,
    source: &[u8],
    spec: &VariantSpec,
    format: OutputFormat,
    limits: &Limits,
) -> Result<Rendered, MediaError> {
    let decoded = decode(key, source, limits)?;
    // Two pixel layouts keep the resizer and encoders simple: RGBA when the
    // source has alpha, RGB otherwise (greyscale and 16-bit become 8-bit RGB).
    let source = if decoded.color().has_alpha() {
        DynamicImage::ImageRgba8(decoded.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(decoded.to_rgb8())
    };
    let (sw, sh) = source.dimensions();
    let plan = geometry::plan(sw, sh, spec);
    let mut resized = DynamicImage::new(plan.resized.0, plan.resized.1, source.color());
    let (left, top, cw, ch) = plan.crop;
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(left, top, cw, ch);
    Resizer::new()
        .resize(&source, &mut resized, &options)
        .map_err(|e| MediaError::Undecodable {
            key: key.to_string(),
            reason: format!("resize failed: {e}"),
        })?;
    let canvas = pad(resized, plan.canvas, format);
    let quality = spec.quality.unwrap_or(100);
    let bytes = encode::encode(&canvas, format, quality).map_err(|reason| MediaError::Encode {
        key: key.to_string(),
        format: format.ext(),
        reason,
    })?;
    Ok(Rendered {
        bytes,
        format,
        width: canvas.width(),
        height: canvas.height(),
    })
}

/// `contain`: centre the image on a canvas of the box's size, transparent
/// where the format has alpha, white otherwise.
fn pad(image: DynamicImage, canvas: (u32, u32), format: OutputFormat) -> DynamicImage {
    if (image.width(), image.height()) == canvas {
        return image;
    }
    let mut out = if format == OutputFormat::Jpeg {
        let mut white = image::RgbImage::new(canvas.0, canvas.1);
        white
            .pixels_mut()
            .for_each(|p| *p = image::Rgb([255, 255, 255]));
        DynamicImage::ImageRgb8(white)
    } else {
        DynamicImage::ImageRgba8(image::RgbaImage::new(canvas.0, canvas.1))
    };
    let x = i64::from((canvas.0 - image.width()) / 2);
    let y = i64::from((canvas.1 - image.height()) / 2);
    let top = if format == OutputFormat::Jpeg {
        DynamicImage::ImageRgb8(image.to_rgb8())
    } else {
        DynamicImage::ImageRgba8(image.to_rgba8())
    };
    image::imageops::overlay(&mut out, &top, x, y);
    out
}
