//! Colour: an original tagged with an ICC profile other than sRGB (Display
//! P3 from phones, Adobe RGB from cameras) is converted to sRGB before it
//! is resized. Variants are sRGB, the colour space the web assumes; handing
//! P3 numbers on as if they were sRGB shows the photo about 12 % less
//! saturated. Conversion is moxcms (a maintained pure-Rust CMS: no C
//! library to ship in the Lambda zip), relative colorimetric like libvips'
//! default, in the source's bit depth.

use image::DynamicImage;
use moxcms::{ColorProfile, DataColorSpace, Layout, RenderingIntent, TransformOptions};

/// Converts `image` (RGB or RGBA, 8 or 16 bits per channel) from the colour
/// space `icc` describes to sRGB. An sRGB profile, or one that changes no
/// colour, costs one small probe and leaves the pixels alone. A profile
/// that is not RGB, or that cannot be read, also leaves them alone: the
/// reason is returned so the caller can log it, never an error, because a
/// slightly wrong colour beats no image.
pub fn to_srgb(image: &mut DynamicImage, icc: &[u8]) -> Result<(), String> {
    let source = ColorProfile::new_from_slice(icc).map_err(|e| format!("unreadable ICC: {e}"))?;
    if source.color_space != DataColorSpace::Rgb {
        return Err(format!(
            "{:?} profile on RGB pixels: left as is",
            source.color_space
        ));
    }
    let srgb = ColorProfile::new_srgb();
    let options = TransformOptions {
        rendering_intent: RenderingIntent::RelativeColorimetric,
        ..TransformOptions::default()
    };
    if changes_nothing(&source, &srgb, options)? {
        return Ok(());
    }
    let layout = if image.color().has_alpha() {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    let convert_8 = |samples: &mut [u8]| {
        let transform = source
            .create_transform_8bit(layout, &srgb, layout, options)
            .map_err(failed)?;
        let input = samples.to_vec();
        transform.transform(&input, samples).map_err(failed)
    };
    let convert_16 = |samples: &mut [u16]| {
        let transform = source
            .create_transform_16bit(layout, &srgb, layout, options)
            .map_err(failed)?;
        let input = samples.to_vec();
        transform.transform(&input, samples).map_err(failed)
    };
    match image {
        DynamicImage::ImageRgb8(pixels) => convert_8(pixels),
        DynamicImage::ImageRgba8(pixels) => convert_8(pixels),
        DynamicImage::ImageRgb16(pixels) => convert_16(pixels),
        DynamicImage::ImageRgba16(pixels) => convert_16(pixels),
        other => Err(format!("{:?} pixels: left as is", other.color())),
    }
}

fn failed(e: moxcms::CmsError) -> String {
    format!("ICC transform: {e}")
}

/// Whether the profile maps every colour of a coarse grid to itself (an
/// sRGB profile under another name, as many cameras embed), within one
/// step: then the whole image need not be transformed.
fn changes_nothing(
    source: &ColorProfile,
    srgb: &ColorProfile,
    options: TransformOptions,
) -> Result<bool, String> {
    let transform = source
        .create_transform_8bit(Layout::Rgb, srgb, Layout::Rgb, options)
        .map_err(failed)?;
    const STEPS: [u8; 8] = [0, 36, 73, 109, 146, 182, 219, 255];
    let mut grid = Vec::with_capacity(3 * STEPS.len().pow(3));
    for r in STEPS {
        for g in STEPS {
            for b in STEPS {
                grid.extend_from_slice(&[r, g, b]);
            }
        }
    }
    let mut out = vec![0u8; grid.len()];
    transform.transform(&grid, &mut out).map_err(failed)?;
    Ok(grid.iter().zip(&out).all(|(a, b)| a.abs_diff(*b) <= 1))
}
