//! Large JPEGs made into small variants are decoded at 1/2–1/8 scale. The
//! result must look like a full decode's: same region, same orientation,
//! same colours, for every kind of JPEG.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, GenericImageView, ImageEncoder, Rgb, RgbImage};
use stratus_media::{render, Limits, OutputFormat, VariantSpec};

const W: u32 = 1600;
const H: u32 = 1000;

/// Smooth, photo-like content (waves of ~100 px) with a red top-left
/// quadrant, so both quality and orientation can be checked.
fn photo() -> RgbImage {
    RgbImage::from_fn(W, H, |x, y| {
        let wave = |v: u32, period: f32| ((v as f32 / period).sin() * 60.0 + 128.0) as u8;
        if x < W / 2 && y < H / 2 {
            Rgb([220, wave(x + y, 17.0) / 4, 20])
        } else {
            Rgb([wave(x, 15.0) / 3, wave(y, 19.0), wave(x + 2 * y, 23.0)])
        }
    })
}

fn jpeg_of(
    pixels: &[u8],
    w: u32,
    h: u32,
    color: jpeg_encoder::ColorType,
    progressive: bool,
) -> Vec<u8> {
    jpeg_with_exif(pixels, w, h, color, progressive, None)
}

fn jpeg_with_exif(
    pixels: &[u8],
    w: u32,
    h: u32,
    color: jpeg_encoder::ColorType,
    progressive: bool,
    orientation: Option<u16>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 95);
    enc.set_progressive(progressive);
    if let Some(o) = orientation {
        let mut exif = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
        exif.extend_from_slice(&o.to_le_bytes());
        exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        enc.add_app_segment(1, &exif).unwrap();
    }
    enc.encode(pixels, w as u16, h as u16, color).unwrap();
    out
}

fn png_of(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(Cursor::new(&mut out))
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn make(file: &[u8], spec: &str) -> DynamicImage {
    let out = render(
        "big.jpg",
        file,
        &VariantSpec::parse(spec).unwrap(),
        OutputFormat::Png,
        &Limits::default(),
    )
    .unwrap();
    image::load_from_memory(&out.bytes).unwrap()
}

fn mean_abs_diff(a: &DynamicImage, b: &DynamicImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn a_shrunk_decode_looks_like_a_full_decode() {
    let img = photo();
    let jpeg = jpeg_of(img.as_raw(), W, H, jpeg_encoder::ColorType::Rgb, false);
    // PNG never takes the shrink path: it is the full-decode reference.
    let png = png_of(&img);
    // 1/8 (inside), 1/4 (a 300 px wide cover of the centre), 1/2 (600 px).
    for spec in ["200x_-inside.png", "300x300-cover.png", "700x_-inside.png"] {
        let shrunk = make(&jpeg, spec);
        let full = make(&png, spec);
        let diff = mean_abs_diff(&shrunk, &full);
        assert!(
            diff < 3.0,
            "{spec}: mean difference {diff:.2} levels from a full decode"
        );
    }
}

#[test]
fn every_orientation_is_upright_after_a_shrunk_decode() {
    let up = DynamicImage::ImageRgb8(photo());
    for o in 1..=8u16 {
        let inverse = match o {
            6 => 8,
            8 => 6,
            other => other,
        };
        let mut stored = up.clone();
        stored.apply_orientation(Orientation::from_exif(inverse as u8).unwrap());
        let stored = stored.to_rgb8();
        let file = jpeg_with_exif(
            stored.as_raw(),
            stored.width(),
            stored.height(),
            jpeg_encoder::ColorType::Rgb,
            false,
            Some(o),
        );
        let out = make(&file, "160x_-inside.png");
        assert_eq!(out.dimensions(), (160, 100), "orientation {o}");
        let top_left = out.get_pixel(20, 12);
        let bottom_right = out.get_pixel(140, 88);
        assert!(
            top_left[0] > 180 && top_left[2] < 80,
            "orientation {o}: {top_left:?}"
        );
        assert!(bottom_right[0] < 120, "orientation {o}: {bottom_right:?}");
    }
}

#[test]
fn progressive_greyscale_and_cmyk_jpegs_shrink_correctly() {
    let img = photo();
    let progressive = jpeg_of(img.as_raw(), W, H, jpeg_encoder::ColorType::Rgb, true);
    let reference = make(&png_of(&img), "200x_-inside.png");
    let out = make(&progressive, "200x_-inside.png");
    assert!(mean_abs_diff(&out, &reference) < 3.0);

    let grey: Vec<u8> = img.pixels().map(|p| p[1]).collect();
    let out = make(
        &jpeg_of(&grey, W, H, jpeg_encoder::ColorType::Luma, false),
        "200x_-inside.png",
    );
    assert_eq!(out.dimensions(), (200, 125));
    let p = out.get_pixel(150, 100);
    assert!(p[0] == p[1] && p[1] == p[2], "grey stays grey: {p:?}");

    // CMYK (libjpeg-turbo cannot make RGB of it): full decode, still right.
    let cyan: Vec<u8> = (0..W * H).flat_map(|_| [255u8, 0, 0, 0]).collect();
    let out = make(
        &jpeg_of(&cyan, W, H, jpeg_encoder::ColorType::Cmyk, false),
        "200x_-inside.png",
    );
    assert_eq!(out.dimensions(), (200, 125));
    let p = out.get_pixel(100, 60);
    assert!(
        p[0] < 100 && p[1] > 150 && p[2] > 150,
        "cyan expected, got {p:?}"
    );
}
