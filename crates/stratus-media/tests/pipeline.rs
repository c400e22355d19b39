//! The pipeline on real encoded files of every kind an editor uploads.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use image::{DynamicImage, GenericImageView, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use stratus_media::{render, Limits, OutputFormat, VariantSpec};

/// 60×40, red top-left quadrant, blue elsewhere: "upright".
fn upright() -> RgbImage {
    RgbImage::from_fn(60, 40, |x, y| {
        if x < 30 && y < 20 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    })
}

fn jpeg(img: &RgbImage, progressive: bool, exif_orientation: Option<u16>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 95);
    enc.set_progressive(progressive);
    if let Some(o) = exif_orientation {
        enc.add_app_segment(1, &exif_with_orientation(o)).unwrap();
    }
    enc.encode(
        img.as_raw(),
        img.width() as u16,
        img.height() as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    out
}

/// A minimal EXIF block: TIFF header (little endian) and IFD0 with one
/// Orientation (0x0112) entry.
fn exif_with_orientation(o: u16) -> Vec<u8> {
    let mut v = b"Exif\0\0II*\0\x08\0\0\0".to_vec();
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&0x0112u16.to_le_bytes());
    v.extend_from_slice(&3u16.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes());
    v.extend_from_slice(&o.to_le_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&0u32.to_le_bytes());
    v
}

fn decode_output(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

fn is_red(p: Rgba<u8>) -> bool {
    p[0] > 150 && p[2] < 100
}

fn is_blue(p: Rgba<u8>) -> bool {
    p[2] > 150 && p[0] < 100
}

fn same_size_jpeg() -> VariantSpec {
    VariantSpec::parse("1000x1000-inside-q90.jpeg").unwrap()
}

#[test]
fn all_eight_exif_orientations_come_out_upright() {
    let up = DynamicImage::ImageRgb8(upright());
    for o in 1..=8u16 {
        // Store the pixels as a camera would for this tag: the inverse
        // transform of what the viewer applies.
        let inverse = match o {
            6 => 8,
            8 => 6,
            other => other,
        };
        let mut stored = up.clone();
        stored.apply_orientation(image::metadata::Orientation::from_exif(inverse as u8).unwrap());
        let file = jpeg(&stored.to_rgb8(), false, Some(o));
        let out = render(
            "photo.jpg",
            &file,
            &same_size_jpeg(),
            OutputFormat::Jpeg,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!((out.width, out.height), (60, 40), "orientation {o}");
        let img = decode_output(&out.bytes);
        assert!(
            is_red(img.get_pixel(5, 5)),
            "orientation {o}: top-left should be red"
        );
        assert!(
            is_blue(img.get_pixel(55, 35)),
            "orientation {o}: bottom-right should be blue"
        );
    }
}

#[test]
fn progressive_greyscale_and_cmyk_jpegs_decode() {
    let prog = jpeg(&upright(), true, None);
    let out = render(
        "p.jpg",
        &prog,
        &VariantSpec::parse("30x_-inside-q80.webp").unwrap(),
        OutputFormat::Webp,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!((out.width, out.height), (30, 20));
    assert!(is_red(decode_output(&out.bytes).get_pixel(3, 3)));

    let grey: Vec<u8> = (0..60 * 40).map(|i| (i % 256) as u8).collect();
    let mut g = Vec::new();
    jpeg_encoder::Encoder::new(&mut g, 90)
        .encode(&grey, 60, 40, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let out = render(
        "g.jpg",
        &g,
        &same_size_jpeg(),
        OutputFormat::Jpeg,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!((out.width, out.height), (60, 40));

    // CMYK: pure cyan should come out cyan-ish, not inverted or black.
    let cmyk: Vec<u8> = (0..60 * 40).flat_map(|_| [255u8, 0, 0, 0]).collect();
    let mut c = Vec::new();
    jpeg_encoder::Encoder::new(&mut c, 90)
        .encode(&cmyk, 60, 40, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    let out = render(
        "c.jpg",
        &c,
        &same_size_jpeg(),
        OutputFormat::Png,
        &Limits::default(),
    )
    .unwrap();
    let p = decode_output(&out.bytes).get_pixel(30, 20);
    assert!(
        p[0] < 100 && p[1] > 150 && p[2] > 150,
        "cyan expected, got {p:?}"
    );
}

#[test]
fn png_with_alpha_becomes_a_jpeg_on_white_and_keeps_alpha_in_webp() {
    let rgba = RgbaImage::from_fn(40, 40, |x, _| {
        if x < 20 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([0, 0, 255, 255])
        }
    });
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(rgba.as_raw(), 40, 40, image::ExtendedColorType::Rgba8)
        .unwrap();
    let spec = VariantSpec::parse("40x40-fill-q90.jpeg").unwrap();
    let out = render("a.png", &png, &spec, OutputFormat::Jpeg, &Limits::default()).unwrap();
    let img = decode_output(&out.bytes);
    let left = img.get_pixel(3, 20);
    assert!(
        left[0] > 240 && left[1] > 240 && left[2] > 240,
        "transparent flattens to white, got {left:?}"
    );
    assert!(is_blue(img.get_pixel(36, 20)));

    let webp = render(
        "a.png",
        &png,
        &VariantSpec::parse("40x40-fill-q90.webp").unwrap(),
        OutputFormat::Webp,
        &Limits::default(),
    )
    .unwrap();
    assert!(
        decode_output(&webp.bytes).color().has_alpha(),
        "WebP keeps transparency"
    );
}

#[test]
fn sixteen_bit_png_animated_gif_and_webp_inputs() {
    let rgb16 = image::ImageBuffer::<Rgb<u16>, _>::from_fn(50, 50, |_, _| Rgb([65535u16, 0, 0]));
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            bytes_of_u16(rgb16.as_raw()).as_slice(),
            50,
            50,
            image::ExtendedColorType::Rgb16,
        )
        .unwrap();
    let out = render(
        "deep.png",
        &png,
        &VariantSpec::parse("25x25-cover.png").unwrap(),
        OutputFormat::Png,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!((out.width, out.height), (25, 25));
    assert!(is_red(decode_output(&out.bytes).get_pixel(10, 10)));

    // Animated GIF: the first frame (red), not the second (blue).
    let mut gif = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut gif);
        for color in [Rgba([255, 0, 0, 255]), Rgba([0, 0, 255, 255])] {
            let frame = image::Frame::new(RgbaImage::from_pixel(20, 20, color));
            enc.encode_frame(frame).unwrap();
        }
    }
    let out = render(
        "anim.gif",
        &gif,
        &same_size_jpeg(),
        OutputFormat::Jpeg,
        &Limits::default(),
    )
    .unwrap();
    assert!(is_red(decode_output(&out.bytes).get_pixel(10, 10)));

    let webp_in = webp::Encoder::from_rgb(upright().as_raw(), 60, 40)
        .encode(90.0)
        .to_vec();
    let out = render(
        "w.webp",
        &webp_in,
        &same_size_jpeg(),
        OutputFormat::Jpeg,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!((out.width, out.height), (60, 40));
}

#[test]
fn every_output_format_is_what_it_claims_and_carries_no_exif() {
    let file = jpeg(&upright(), false, Some(1));
    for (spec, format, magic) in [
        (
            "30x20-cover-q80.jpeg",
            OutputFormat::Jpeg,
            &b"\xFF\xD8\xFF"[..],
        ),
        ("30x20-cover.png", OutputFormat::Png, &b"\x89PNG"[..]),
        ("30x20-cover-q80.webp", OutputFormat::Webp, &b"RIFF"[..]),
        ("30x20-cover-q60.avif", OutputFormat::Avif, &b"\0\0\0"[..]),
    ] {
        let out = render(
            "x.jpg",
            &file,
            &VariantSpec::parse(spec).unwrap(),
            format,
            &Limits::default(),
        )
        .unwrap();
        assert!(out.bytes.starts_with(magic), "{spec}");
        assert!(
            !out.bytes.windows(4).any(|w| w == b"Exif"),
            "{spec} must not carry EXIF"
        );
        if format == OutputFormat::Jpeg {
            // SOF2 marks a progressive JPEG.
            assert!(
                out.bytes.windows(2).any(|w| w == [0xFF, 0xC2]),
                "JPEG output is progressive"
            );
        }
    }
    let guessed = image::ImageReader::new(Cursor::new(
        render(
            "x.jpg",
            &file,
            &VariantSpec::parse("30x20-cover-q60.avif").unwrap(),
            OutputFormat::Avif,
            &Limits::default(),
        )
        .unwrap()
        .bytes,
    ))
    .with_guessed_format()
    .unwrap()
    .format();
    assert_eq!(guessed, Some(image::ImageFormat::Avif));
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn render_spec(file: &[u8], spec: &str, limits: &Limits) -> stratus_media::Result<(u32, u32)> {
    let spec = VariantSpec::parse(spec).unwrap();
    let format = OutputFormat::negotiate(spec.format, None);
    let out = render("s.png", file, &spec, format, limits)?;
    let decoded = decode_output(&out.bytes);
    assert_eq!(decoded.dimensions(), (out.width, out.height), "{spec}");
    Ok((out.width, out.height))
}

/// The report behind the rule: a 1×1 PNG came back as a 160×160 thumbnail
/// and a 480×320 card. Now no fit makes anything larger than the original
/// unless the spec says `-up`.
#[test]
fn small_originals_are_never_enlarged_unless_the_spec_says_up() {
    let dot = png(&RgbImage::from_pixel(1, 1, Rgb([200, 30, 30])));
    let limits = Limits::default();
    for spec in [
        "160x160-cover-q75.jpeg",
        "480x320-cover-q80.webp",
        "480x320-fill-q80.jpeg",
        "1600x_-inside-q80.jpeg",
    ] {
        assert_eq!(render_spec(&dot, spec, &limits).unwrap(), (1, 1), "{spec}");
    }
    // Contain keeps the pixel and pads to the box's aspect (3:2 → 2×1).
    assert_eq!(
        render_spec(&dot, "480x320-contain.png", &limits).unwrap(),
        (2, 1)
    );

    let small = jpeg(&upright(), false, None); // 60×40
    for (spec, size) in [
        ("1600x_-inside-q80.jpeg", (60, 40)),
        ("160x160-cover-q75.jpeg", (40, 40)),
        ("480x320-fill-q80.jpeg", (60, 40)),
        ("90x90-contain.png", (60, 60)),
        // Asked for: enlarged to the box.
        ("160x160-cover-up-q75.jpeg", (160, 160)),
        ("480x320-fill-up-q80.jpeg", (480, 320)),
        ("90x90-contain-up.png", (90, 90)),
        ("120x_-inside-up-q80.jpeg", (120, 80)),
    ] {
        assert_eq!(render_spec(&small, spec, &limits).unwrap(), size, "{spec}");
    }
}

/// An output past the pixel limit is refused from the plan, before its
/// buffer exists: `-up` on a free side, or a box larger than the limit.
#[test]
fn outputs_past_the_pixel_limit_are_refused_with_a_code() {
    let tall = png(&RgbImage::from_pixel(1, 100, Rgb([0, 0, 0])));
    let err = render_spec(&tall, "8000x_-inside-up-q80.jpeg", &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "output_too_large");
    assert!(err.to_string().contains("8000×800000"), "{err}");
    assert!(err.to_string().contains("-up"), "says what to do: {err}");

    let small = Limits {
        max_output_pixels: 10_000,
        ..Limits::default()
    };
    let photo = jpeg(&upright(), false, None);
    assert_eq!(
        render_spec(&photo, "200x200-cover-up-q80.jpeg", &small)
            .unwrap_err()
            .code(),
        "output_too_large"
    );
    assert_eq!(
        render_spec(&photo, "100x100-cover-up-q80.jpeg", &small).unwrap(),
        (100, 100),
        "at the limit is allowed"
    );
}

fn bytes_of_u16(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

/// Scanners and print workflows hand over TIFF, 8 or 16 bits per channel.
#[test]
fn tiff_originals_8_and_16_bit() {
    let mut tiff8 = Vec::new();
    image::codecs::tiff::TiffEncoder::new(Cursor::new(&mut tiff8))
        .write_image(upright().as_raw(), 60, 40, image::ExtendedColorType::Rgb8)
        .unwrap();
    let out = render(
        "scan.tif",
        &tiff8,
        &VariantSpec::parse("30x20-fill-q90.jpeg").unwrap(),
        OutputFormat::Jpeg,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!((out.width, out.height), (30, 20));
    let img = decode_output(&out.bytes);
    assert!(is_red(img.get_pixel(5, 5)), "red top-left stays top-left");
    assert!(!is_red(img.get_pixel(25, 15)));

    let rgb16 = image::ImageBuffer::<Rgb<u16>, _>::from_fn(40, 40, |_, _| Rgb([65535u16, 0, 0]));
    let mut tiff16 = Vec::new();
    image::codecs::tiff::TiffEncoder::new(Cursor::new(&mut tiff16))
        .write_image(
            bytes_of_u16(rgb16.as_raw()).as_slice(),
            40,
            40,
            image::ExtendedColorType::Rgb16,
        )
        .unwrap();
    let out = render(
        "deep.tiff",
        &tiff16,
        &VariantSpec::parse("20x20-cover.png").unwrap(),
        OutputFormat::Png,
        &Limits::default(),
    )
    .unwrap();
    assert!(is_red(decode_output(&out.bytes).get_pixel(10, 10)));
}
