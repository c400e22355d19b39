//! Placeholders an editor copies into a page for lazy loading: a ThumbHash
//! (a ~25-byte blurred picture, aspect ratio and alpha included, that a page
//! decodes with the ThumbHash script) and an LQIP, a tiny WebP as a `data:`
//! URI that any `<img>` shows as it is. Both come from one decode of the
//! original, shrunk to at most 100 px (the most ThumbHash takes).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use image::imageops::FilterType;
use image::DynamicImage;
use stratus_core::store::ObjectStore;

use crate::error::{MediaError, Result};
use crate::key::validate_original_key;
use crate::originals::readable_original;
use crate::output::OutputFormat;
use crate::pipeline::{encode, resize, Limits};
use crate::spec::{Fit, Format, Gravity, VariantSpec};

/// ThumbHash's input may be at most 100×100.
const HASH_SIDE: u32 = 100;
/// The LQIP's longer side: large enough to show shapes, small enough to
/// inline (a few hundred bytes).
pub const LQIP_SIDE: u32 = 24;
/// Blurred on screen anyway; low quality keeps the URI short.
const LQIP_QUALITY: u8 = 50;

/// The two placeholders of one original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The ThumbHash in standard base64 (what the ThumbHash scripts take).
    pub thumbhash: String,
    /// `data:image/webp;base64,…`, at most [`LQIP_SIDE`] px a side.
    pub lqip: String,
    pub lqip_width: u32,
    pub lqip_height: u32,
}

/// Makes both placeholders from an original's bytes. CPU-bound: callers
/// run it on a blocking thread.
pub fn placeholder(key: &str, source: &[u8], limits: &Limits) -> Result<Placeholder> {
    let hash_box = VariantSpec {
        width: Some(HASH_SIDE),
        height: Some(HASH_SIDE),
        fit: Fit::Inside,
        gravity: Gravity::Centre,
        enlarge: false,
        format: Format::Png,
        quality: None,
    };
    // Never enlarged, so always within ThumbHash's 100×100.
    let (small, _) = resize(key, source, None, &hash_box, limits)?;
    let rgba = small.to_rgba8();
    let hash =
        thumbhash::rgba_to_thumb_hash(rgba.width() as usize, rgba.height() as usize, rgba.as_raw());
    let lqip = shrink_to(small, LQIP_SIDE);
    let webp = encode::encode(&lqip, OutputFormat::Webp, LQIP_QUALITY).map_err(|reason| {
        MediaError::Encode {
            key: key.to_string(),
            format: OutputFormat::Webp.ext(),
            reason,
        }
    })?;
    Ok(Placeholder {
        thumbhash: STANDARD.encode(hash),
        lqip: format!("data:image/webp;base64,{}", STANDARD.encode(webp)),
        lqip_width: lqip.width(),
        lqip_height: lqip.height(),
    })
}

/// Fits `image` within `side`×`side`, never enlarging it (`resize` alone
/// would scale a 1×1 original up to the box).
fn shrink_to(image: DynamicImage, side: u32) -> DynamicImage {
    if image.width().max(image.height()) <= side {
        image
    } else {
        image.resize(side, side, FilterType::Triangle)
    }
}

/// Reads an original from the store and makes its placeholders.
pub async fn placeholder_of(
    store: &dyn ObjectStore,
    key: &str,
    limits: &Limits,
) -> Result<Placeholder> {
    validate_original_key(key)?;
    let meta = readable_original(store, key, limits).await?;
    let bytes = store.get_bytes(key).await?;
    let (key, limits) = (key.to_string(), *limits);
    tokio::task::spawn_blocking(move || placeholder(&key, &bytes, &limits))
        .await
        .map_err(|e| MediaError::Undecodable {
            key: meta.key,
            reason: format!("placeholder worker failed: {e}"),
        })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn png(image: DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap_or_else(|e| panic!("{e}"));
        out
    }

    fn decoded_hash(p: &Placeholder) -> (usize, usize, Vec<u8>) {
        let bytes = STANDARD
            .decode(&p.thumbhash)
            .unwrap_or_else(|e| panic!("{e}"));
        thumbhash::thumb_hash_to_rgba(&bytes).unwrap_or_else(|()| panic!("not a ThumbHash"))
    }

    fn lqip_image(p: &Placeholder) -> DynamicImage {
        let b64 = p
            .lqip
            .strip_prefix("data:image/webp;base64,")
            .unwrap_or_else(|| panic!("not a WebP data URI: {}", p.lqip));
        let bytes = STANDARD.decode(b64).unwrap_or_else(|e| panic!("{e}"));
        image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn both_placeholders_keep_the_originals_aspect_and_colour() {
        // 3:1, red left half, blue right half.
        let wide = RgbImage::from_fn(600, 200, |x, _| {
            if x < 300 {
                Rgb([220, 20, 20])
            } else {
                Rgb([20, 20, 220])
            }
        });
        let p = placeholder(
            "wide.png",
            &png(DynamicImage::ImageRgb8(wide)),
            &Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));

        let (w, h, rgba) = decoded_hash(&p);
        let hash = STANDARD
            .decode(&p.thumbhash)
            .unwrap_or_else(|e| panic!("{e}"));
        // ThumbHash keeps the aspect coarsely (3:1 is stored as 7:2); the
        // LQIP keeps it to the pixel.
        let aspect = thumbhash::thumb_hash_to_approximate_aspect_ratio(&hash)
            .unwrap_or_else(|()| panic!("no aspect"));
        assert!((2.4..=3.6).contains(&aspect), "aspect {aspect}");
        assert!(w > 2 * h, "decoded wide: {w}×{h}");
        let left = &rgba[(h / 2 * w) * 4..][..4];
        let right = &rgba[(h / 2 * w + w - 1) * 4..][..4];
        assert!(
            left[0] > left[2] && right[2] > right[0],
            "{left:?} {right:?}"
        );

        assert_eq!((p.lqip_width, p.lqip_height), (24, 8));
        let lqip = lqip_image(&p);
        assert_eq!((lqip.width(), lqip.height()), (24, 8));
        assert!(
            p.lqip.len() < 1000,
            "short enough to inline: {}",
            p.lqip.len()
        );
    }

    #[test]
    fn a_portrait_original_gives_portrait_placeholders() {
        let tall = RgbImage::from_pixel(200, 300, Rgb([90, 90, 90]));
        let p = placeholder(
            "tall.png",
            &png(DynamicImage::ImageRgb8(tall)),
            &Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (w, h, _) = decoded_hash(&p);
        assert!(h > w, "ThumbHash {w}×{h}");
        assert_eq!((p.lqip_width, p.lqip_height), (16, 24));
    }

    #[test]
    fn a_tiny_transparent_original_is_not_enlarged_and_keeps_alpha() {
        let dot = RgbaImage::from_pixel(3, 2, Rgba([0, 200, 0, 0]));
        let p = placeholder(
            "dot.png",
            &png(DynamicImage::ImageRgba8(dot)),
            &Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.lqip_width, p.lqip_height), (3, 2));
        let (_, _, rgba) = decoded_hash(&p);
        assert!(rgba.chunks(4).all(|px| px[3] < 40), "transparent");
    }

    #[test]
    fn something_that_is_not_an_image_is_refused_with_its_code() {
        let err = placeholder("notes.png", b"hello", &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "undecodable");
    }
}
