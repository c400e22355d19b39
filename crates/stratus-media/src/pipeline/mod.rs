//! decode (with limits) → EXIF orientation → resize → encode. CPU-bound and
//! synchronous: callers run it on a blocking thread.

mod colour;
mod decode;
pub(crate) mod encode;
pub mod geometry;
pub mod shrink;
pub mod smart_crop;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, GenericImageView, ImageFormat};

use decode::{check_jpeg_complete, in_srgb};
pub use decode::{decode, probe, Limits};
use geometry::Plan;

use crate::error::MediaError;
use crate::focus::FocalPoint;
use crate::output::OutputFormat;
use crate::spec::{Fit, Gravity, VariantSpec, MAX_DIMENSION};
use smart_crop::Strategy;

/// A made variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub format: OutputFormat,
    pub width: u32,
    pub height: u32,
}

/// Makes one variant of an original's bytes, as [`render_with_focus`] for
/// an original without a focal point.
pub fn render(
    key: &str,
    source: &[u8],
    spec: &VariantSpec,
    format: OutputFormat,
    limits: &Limits,
) -> Result<Rendered, MediaError> {
    render_with_focus(key, source, None, spec, format, limits)
}

/// Makes one variant of an original's bytes; `focus` is the original's
/// focal point, which a `cover` crop with `focus` gravity keeps.
///
/// Resizing is Lanczos3 in sRGB space (as browsers and sharp do by default),
/// with alpha premultiplied so transparent edges do not darken.
pub fn render_with_focus(
    key: &str,
    source: &[u8],
    focus: Option<FocalPoint>,
    spec: &VariantSpec,
    format: OutputFormat,
    limits: &Limits,
) -> Result<Rendered, MediaError> {
    let (resized, plan) = resize(key, source, focus, spec, limits)?;
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

/// Decodes the original and resizes it as the plan says (RGB or RGBA, 8
/// or 16 bits per channel as the source has),
/// before any padding; the plan says what canvas it goes on.
pub(crate) fn resize(
    key: &str,
    source: &[u8],
    focus: Option<FocalPoint>,
    spec: &VariantSpec,
    limits: &Limits,
) -> Result<(DynamicImage, Plan), MediaError> {
    let (source, plan) = load(key, source, spec, limits)?;
    let plan = aim(&source, plan, spec, focus);
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
    Ok((resized, plan))
}

/// Decodes the original upright and in sRGB, as RGB or RGBA (8 or 16 bits
/// per channel, as the source has), with the resize planned in
/// its coordinates. A JPEG much larger than the output is decoded at a
/// fraction of its size (see `shrink`).
fn load(
    key: &str,
    bytes: &[u8],
    spec: &VariantSpec,
    limits: &Limits,
) -> Result<(DynamicImage, Plan), MediaError> {
    let (format, width, height) = probe(key, bytes, limits)?;
    if format == ImageFormat::Jpeg {
        check_jpeg_complete(key, bytes)?;
        let headers = shrink::headers(bytes);
        let orientation = headers.orientation;
        let upright = if shrink::swaps_sides(orientation) {
            (height, width)
        } else {
            (width, height)
        };
        let full_plan = geometry::plan(upright.0, upright.1, spec);
        check_output(key, spec, &full_plan, limits)?;
        let factor = shrink::shrink_factor(&full_plan);
        if let Some(mut image) = shrink::decode_scaled(bytes, width, height, factor) {
            image.apply_orientation(orientation);
            if let Some(icc) = &headers.icc {
                in_srgb(key, &mut image, icc);
            }
            let decoded = image.dimensions();
            return Ok((image, shrink::scale_plan(full_plan, upright, decoded)));
        }
    }
    let decoded = decode(key, bytes, limits)?;
    // Few pixel layouts keep the resizer and encoders simple: RGBA when the
    // source has alpha, RGB otherwise (greyscale is expanded). A 16-bit
    // source stays 16-bit through the resize, so gradients converted from a
    // wide gamut do not band; it becomes 8-bit only to be encoded.
    let sixteen = matches!(
        decoded.color().bytes_per_pixel() / decoded.color().channel_count(),
        2
    );
    let image = match decoded {
        DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_)
        | DynamicImage::ImageRgb16(_)
        | DynamicImage::ImageRgba16(_) => decoded,
        other if sixteen && other.color().has_alpha() => {
            DynamicImage::ImageRgba16(other.to_rgba16())
        }
        other if sixteen => DynamicImage::ImageRgb16(other.to_rgb16()),
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    };
    let (sw, sh) = image.dimensions();
    let plan = geometry::plan(sw, sh, spec);
    check_output(key, spec, &plan, limits)?;
    Ok((image, plan))
}

/// Where a `cover` crop's window goes: the spec's gravity, with the
/// original's focal point or its pixels where the gravity needs them. The
/// window's size was planned before decoding (so shrink-on-load is
/// unchanged); only its position moves, in the decoded image's pixels.
fn aim(image: &DynamicImage, plan: Plan, spec: &VariantSpec, focus: Option<FocalPoint>) -> Plan {
    let (w, h) = image.dimensions();
    let (_, _, cw, ch) = plan.crop;
    // Nothing to choose: the window is the whole image (within rounding).
    if spec.fit != Fit::Cover || (f64::from(w) - cw < 0.5 && f64::from(h) - ch < 0.5) {
        return plan;
    }
    let at = match spec.gravity {
        // The planned crop is already centred; placing it again could move
        // it by a rounding error and change every existing variant.
        Gravity::Centre => return plan,
        Gravity::Focus => match focus {
            Some(point) => (point.x(), point.y()),
            None => return plan,
        },
        Gravity::Entropy => smart_crop::best_centre(image, (cw, ch), Strategy::Entropy),
        Gravity::Attention => smart_crop::best_centre(image, (cw, ch), Strategy::Attention),
        fixed => match fixed.fixed_point() {
            Some(point) => point,
            None => return plan,
        },
    };
    geometry::place(plan, w, h, at)
}

/// Refuses a plan whose output is past the limits before it is allocated.
/// Sides are held to [`MAX_DIMENSION`] too: an enlarged free side is
/// otherwise unbounded, and encoders have side limits of their own.
fn check_output(
    key: &str,
    spec: &VariantSpec,
    plan: &Plan,
    limits: &Limits,
) -> Result<(), MediaError> {
    let (width, height) = plan.canvas;
    let pixels = u64::from(width) * u64::from(height);
    if pixels <= limits.max_output_pixels && width <= MAX_DIMENSION && height <= MAX_DIMENSION {
        return Ok(());
    }
    Err(MediaError::OutputTooLarge {
        key: key.to_string(),
        spec: spec.to_string(),
        width,
        height,
        max_side: MAX_DIMENSION,
        limit_mp: limits.max_output_pixels / 1_000_000,
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
