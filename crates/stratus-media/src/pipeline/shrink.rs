//! JPEG shrink-on-load: libjpeg-turbo decodes at 1/2, 1/4 or 1/8 scale by
//! skipping the high DCT frequencies, so a 20 MP photo bound for a 720 px
//! card is never decoded at full size. That is most of what makes libvips and
//! sharp fast; the Lanczos3 resize then finishes from a smaller image.

use std::io::Cursor;

use image::codecs::jpeg::JpegDecoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, RgbImage};
use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat};

use super::geometry::Plan;

/// DCT scaling factors libjpeg-turbo can decode at, largest first.
const SHRINK_FACTORS: [u32; 3] = [8, 4, 2];

/// The largest factor that keeps the region the resize reads at least as
/// large as its output in both directions, so the resize still only shrinks
/// and the result stays as sharp as a full decode's.
pub fn shrink_factor(plan: &Plan) -> u32 {
    let (_, _, cw, ch) = plan.crop;
    let (rw, rh) = (f64::from(plan.resized.0), f64::from(plan.resized.1));
    SHRINK_FACTORS
        .into_iter()
        .find(|&s| {
            let s = f64::from(s);
            // libjpeg rounds scaled sizes up; floor keeps the bound safe.
            (cw / s).floor() >= rw && (ch / s).floor() >= rh
        })
        .unwrap_or(1)
}

/// What the headers say besides the size (no pixels are read): the EXIF
/// orientation and the embedded ICC profile, from one parse. A file whose
/// EXIF cannot be read is shown as stored, as browsers do.
pub struct JpegHeaders {
    pub orientation: Orientation,
    pub icc: Option<Vec<u8>>,
}

pub fn headers(bytes: &[u8]) -> JpegHeaders {
    let Ok(mut decoder) = JpegDecoder::new(Cursor::new(bytes)) else {
        return JpegHeaders {
            orientation: Orientation::NoTransforms,
            icc: None,
        };
    };
    JpegHeaders {
        orientation: decoder.orientation().unwrap_or(Orientation::NoTransforms),
        icc: decoder.icc_profile().ok().flatten(),
    }
}

/// Whether the orientation turns the image a quarter, swapping its sides.
pub fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Decodes a `width`×`height` JPEG at 1/`factor` scale into RGB (greyscale
/// is expanded). `None` when libjpeg-turbo cannot produce RGB for this file
/// (CMYK/YCCK) or reports anything amiss: the caller then takes the full
/// decoder, which handles those and gives the typed error.
pub fn decode_scaled(bytes: &[u8], width: u32, height: u32, factor: u32) -> Option<DynamicImage> {
    let mut decompressor = Decompressor::new().ok()?;
    let header = decompressor.read_header(bytes).ok()?;
    if matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK)
        || (header.width, header.height) != (width as usize, height as usize)
    {
        return None;
    }
    // libjpeg-turbo picks the largest scaling factor that fits the box it is
    // given; asking for exactly ceil(size / factor) selects 1/factor.
    let scaled = |v: u32| v.div_ceil(factor);
    let (sw, sh) = (scaled(width), scaled(height));
    let mut pixels = vec![0u8; 3 * sw as usize * sh as usize];
    let output = Image {
        pixels: pixels.as_mut_slice(),
        width: sw as usize,
        pitch: 3 * sw as usize,
        height: sh as usize,
        format: PixelFormat::RGB,
    };
    decompressor.decompress(bytes, output).ok()?;
    RgbImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageRgb8)
}

/// The plan made for the full-size image, moved onto the same image decoded
/// at a smaller scale: only the region read changes, not the output.
pub fn scale_plan(plan: Plan, full: (u32, u32), decoded: (u32, u32)) -> Plan {
    let rx = f64::from(decoded.0) / f64::from(full.0);
    let ry = f64::from(decoded.1) / f64::from(full.1);
    let (left, top, cw, ch) = plan.crop;
    let (dw, dh) = (f64::from(decoded.0), f64::from(decoded.1));
    let left = (left * rx).min(dw);
    let top = (top * ry).min(dh);
    Plan {
        crop: (left, top, (cw * rx).min(dw - left), (ch * ry).min(dh - top)),
        ..plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::geometry::plan;
    use crate::VariantSpec;

    fn spec(s: &str) -> VariantSpec {
        VariantSpec::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_factor_never_leaves_less_than_the_output_needs() {
        // 6000 px wide to 720: 1/8 leaves 750 ≥ 720.
        assert_eq!(
            shrink_factor(&plan(6000, 4000, &spec("720x_-inside-q80.jpeg"))),
            8
        );
        // 5000 wide: 1/8 leaves 625 < 720, 1/4 leaves 1250.
        assert_eq!(
            shrink_factor(&plan(5000, 3000, &spec("720x_-inside-q80.jpeg"))),
            4
        );
        // Cover crops first: a 300×300 square from 4000×3000 reads 3000×3000.
        assert_eq!(
            shrink_factor(&plan(4000, 3000, &spec("300x300-cover-q80.jpeg"))),
            8
        );
        // Close to the output size: no shrink at all.
        assert_eq!(
            shrink_factor(&plan(1000, 800, &spec("720x_-inside-q80.jpeg"))),
            1
        );
        // Fill may squeeze one side only: the other side forbids shrinking.
        assert_eq!(
            shrink_factor(&plan(4000, 3000, &spec("200x2000-fill-q80.jpeg"))),
            1
        );
    }

    #[test]
    fn a_scaled_plan_reads_the_same_region_of_the_picture() {
        let full = plan(4000, 3000, &spec("300x300-cover-q80.jpeg"));
        let scaled = scale_plan(full, (4000, 3000), (500, 375));
        assert_eq!(scaled.crop, (62.5, 0.0, 375.0, 375.0));
        assert_eq!((scaled.resized, scaled.canvas), (full.resized, full.canvas));
    }
}
