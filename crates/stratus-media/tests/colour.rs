//! Colour profiles: originals tagged Display P3 or Adobe RGB come out as the
//! same colours in sRGB. The reference is computed here from the colour
//! spaces' published definitions (primaries, white point, transfer curve),
//! not by the CMS under test, and compared in CIELAB (ΔE*76; 1 is about
//! the smallest difference a person sees side by side).

#![allow(clippy::unwrap_used)]

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};
use moxcms::ColorProfile;
use stratus_media::{render, Limits, OutputFormat, VariantSpec};

type Matrix = [[f64; 3]; 3];

/// Display P3 (D65) → XYZ, from its primaries (SMPTE EG 432-1).
const P3_TO_XYZ: Matrix = [
    [0.486_570_9, 0.265_667_7, 0.198_217_3],
    [0.228_974_6, 0.691_738_5, 0.079_286_9],
    [0.0, 0.045_113_4, 1.043_944_4],
];
/// Adobe RGB (1998) (D65) → XYZ, from its specification.
const ADOBE_TO_XYZ: Matrix = [
    [0.576_730_9, 0.185_554_0, 0.188_185_2],
    [0.297_376_9, 0.627_349_1, 0.075_274_1],
    [0.027_034_3, 0.070_687_2, 0.991_108_5],
];
/// XYZ → linear sRGB (D65), IEC 61966-2-1.
const XYZ_TO_SRGB: Matrix = [
    [3.240_454_2, -1.537_138_5, -0.498_531_4],
    [-0.969_266_0, 1.876_010_8, 0.041_556_0],
    [0.055_643_4, -0.204_025_9, 1.057_225_2],
];
const D65: [f64; 3] = [0.950_47, 1.0, 1.088_83];

fn times(m: &Matrix, v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|i| m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2])
}

fn srgb_decode(c: f64) -> f64 {
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn srgb_encode(c: f64) -> f64 {
    if c <= 0.003_130_8 {
        c * 12.92
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

/// Adobe RGB's transfer curve: a pure gamma of 563/256.
fn adobe_decode(c: f64) -> f64 {
    c.powf(563.0 / 256.0)
}

/// A colour space: its curve to linear light and its matrix to XYZ.
struct Space {
    decode: fn(f64) -> f64,
    to_xyz: Matrix,
}

const P3: Space = Space {
    decode: srgb_decode,
    to_xyz: P3_TO_XYZ,
};
const ADOBE: Space = Space {
    decode: adobe_decode,
    to_xyz: ADOBE_TO_XYZ,
};

fn xyz_of(space: &Space, rgb: [u8; 3]) -> [f64; 3] {
    times(
        &space.to_xyz,
        rgb.map(|c| (space.decode)(f64::from(c) / 255.0)),
    )
}

fn xyz_of_srgb(rgb: [u8; 3]) -> [f64; 3] {
    times(
        &invert(&XYZ_TO_SRGB),
        rgb.map(|c| srgb_decode(f64::from(c) / 255.0)),
    )
}

/// The sRGB numbers of a colour given in `space`, if sRGB can hold it.
fn in_srgb(space: &Space, rgb: [u8; 3]) -> Option<[u8; 3]> {
    let linear = times(&XYZ_TO_SRGB, xyz_of(space, rgb));
    linear
        .iter()
        .all(|c| (-0.001..=1.001).contains(c))
        .then(|| linear.map(|c| (srgb_encode(c.clamp(0.0, 1.0)) * 255.0).round() as u8))
}

fn invert(m: &Matrix) -> Matrix {
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    let c = |a: usize, b: usize, x: usize, y: usize| m[a][b] * m[x][y] - m[a][y] * m[x][b];
    [
        [c(1, 1, 2, 2), -c(0, 1, 2, 2), c(0, 1, 1, 2)],
        [-c(1, 0, 2, 2), c(0, 0, 2, 2), -c(0, 0, 1, 2)],
        [c(1, 0, 2, 1), -c(0, 0, 2, 1), c(0, 0, 1, 1)],
    ]
    .map(|row| row.map(|v| v / det))
}

fn lab(xyz: [f64; 3]) -> [f64; 3] {
    let f = |t: f64| {
        if t > 216.0 / 24_389.0 {
            t.cbrt()
        } else {
            (24_389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let [x, y, z] = [0, 1, 2].map(|i| f(xyz[i] / D65[i]));
    [116.0 * y - 16.0, 500.0 * (x - y), 200.0 * (y - z)]
}

fn delta_e(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (a, b) = (lab(a), lab(b));
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Colours a photo has: skin, foliage, sky, a saturated red and a grey.
const SWATCHES: [[u8; 3]; 6] = [
    [224, 172, 146],
    [88, 140, 60],
    [110, 160, 215],
    [190, 70, 60],
    [128, 128, 128],
    [40, 70, 150],
];

/// One swatch per 16-px column, 96×16.
fn swatch_strip() -> RgbImage {
    RgbImage::from_fn(16 * SWATCHES.len() as u32, 16, |x, _| {
        Rgb(SWATCHES[(x / 16) as usize])
    })
}

fn png_tagged(image: &RgbImage, icc: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc).unwrap();
    }
    encoder
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// The middle pixel of each swatch's column after a lossless render at
/// half size (the resize averages within a column, never across).
fn rendered_swatches(source: &[u8], spec: &str) -> Vec<[u8; 3]> {
    let spec = VariantSpec::parse(spec).unwrap();
    let out = render(
        "test.png",
        source,
        &spec,
        OutputFormat::Png,
        &Limits::default(),
    )
    .unwrap();
    let img = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
    let column = img.width() / SWATCHES.len() as u32;
    (0..SWATCHES.len() as u32)
        .map(|i| img.get_pixel(i * column + column / 2, img.height() / 2).0)
        .collect()
}

/// Worst ΔE between what came out and the reference conversion, and the
/// worst ΔE had the numbers been passed on unconverted.
fn errors(space: &Space, out: &[[u8; 3]]) -> (f64, f64) {
    let mut worst = (0.0f64, 0.0f64);
    for (swatch, got) in SWATCHES.iter().zip(out) {
        let truth = xyz_of(space, *swatch);
        assert!(
            in_srgb(space, *swatch).is_some(),
            "swatch {swatch:?} must be inside sRGB for an exact reference"
        );
        worst.0 = worst.0.max(delta_e(truth, xyz_of_srgb(*got)));
        worst.1 = worst.1.max(delta_e(truth, xyz_of_srgb(*swatch)));
    }
    worst
}

#[test]
fn a_display_p3_original_keeps_its_colours_in_srgb() {
    let icc = ColorProfile::new_display_p3().encode().unwrap();
    let source = png_tagged(&swatch_strip(), Some(icc));
    let out = rendered_swatches(&source, "48x8-fill.png");
    let (converted, unconverted) = errors(&P3, &out);
    eprintln!("Display P3: worst ΔE {converted:.2} converted, {unconverted:.2} passed on as sRGB");
    assert!(
        converted < 1.0,
        "worst ΔE {converted:.2} against the reference"
    );
    assert!(
        unconverted > 5.0,
        "the swatches must tell the two apart (ΔE {unconverted:.2})"
    );
}

#[test]
fn an_adobe_rgb_original_keeps_its_colours_in_srgb() {
    let icc = ColorProfile::new_adobe_rgb().encode().unwrap();
    let source = png_tagged(&swatch_strip(), Some(icc));
    let out = rendered_swatches(&source, "48x8-fill.png");
    let (converted, unconverted) = errors(&ADOBE, &out);
    eprintln!("Adobe RGB: worst ΔE {converted:.2} converted, {unconverted:.2} passed on as sRGB");
    assert!(
        converted < 1.0,
        "worst ΔE {converted:.2} against the reference"
    );
    assert!(unconverted > 5.0, "ΔE {unconverted:.2}");
}

#[test]
fn an_srgb_profile_or_none_changes_nothing() {
    let plain = rendered_swatches(&png_tagged(&swatch_strip(), None), "48x8-fill.png");
    let icc = ColorProfile::new_srgb().encode().unwrap();
    let tagged = rendered_swatches(&png_tagged(&swatch_strip(), Some(icc)), "48x8-fill.png");
    assert_eq!(plain, tagged);
    assert_eq!(plain, SWATCHES.to_vec(), "untagged is taken as sRGB");
}

#[test]
fn a_broken_profile_leaves_the_pixels_as_they_are() {
    let mut icc = ColorProfile::new_display_p3().encode().unwrap();
    icc.truncate(60);
    let out = rendered_swatches(&png_tagged(&swatch_strip(), Some(icc)), "48x8-fill.png");
    assert_eq!(out, SWATCHES.to_vec());
}

/// A large JPEG is decoded at a fraction of its size (shrink-on-load, a
/// second decoder): its profile must be applied there too.
#[test]
fn a_p3_jpeg_decoded_at_reduced_scale_is_converted_too() {
    let big = RgbImage::from_fn(16 * 6 * 20, 320, |x, _| Rgb(SWATCHES[(x / 320) as usize]));
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 100);
    encoder
        .add_icc_profile(&ColorProfile::new_display_p3().encode().unwrap())
        .unwrap();
    encoder
        .encode(
            big.as_raw(),
            big.width() as u16,
            big.height() as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    let out = rendered_swatches(&jpeg, "240x40-fill.png");
    let (converted, unconverted) = errors(&P3, &out);
    eprintln!("P3 JPEG at 1/8: worst ΔE {converted:.2}, unconverted {unconverted:.2}");
    assert!(converted < 1.5, "worst ΔE {converted:.2} (JPEG is lossy)");
    assert!(unconverted > 5.0);
}

/// A 16-bit source is converted and resized in 16 bits and written as 8.
#[test]
fn a_sixteen_bit_p3_png_is_converted_in_sixteen_bits() {
    let strip = swatch_strip();
    let wide: Vec<u16> = strip.as_raw().iter().map(|&c| u16::from(c) * 257).collect();
    let mut png = Vec::new();
    let mut encoder = PngEncoder::new(&mut png);
    encoder
        .set_icc_profile(ColorProfile::new_display_p3().encode().unwrap())
        .unwrap();
    // PngEncoder takes native-endian 16-bit samples.
    let native: Vec<u8> = wide.iter().flat_map(|v| v.to_ne_bytes()).collect();
    encoder
        .write_image(
            &native,
            strip.width(),
            strip.height(),
            ExtendedColorType::Rgb16,
        )
        .unwrap();
    let out = rendered_swatches(&png, "48x8-fill.png");
    let (converted, _) = errors(&P3, &out);
    assert!(converted < 1.0, "worst ΔE {converted:.2}");
}
