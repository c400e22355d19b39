//! Hostile and broken files: each gets its typed error, nothing panics, and
//! memory stays bounded (the only test in this binary, so the process's peak
//! memory is its own).

#![allow(clippy::unwrap_used)]

use image::ImageEncoder;
use stratus_media::{render, Limits, MediaError, OutputFormat, VariantSpec};

fn spec() -> VariantSpec {
    VariantSpec::parse("160x160-cover-q75.jpeg").unwrap()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose IHDR claims `w`×`h`, followed by a tiny IDAT and IEND.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    png
}

/// A real 64×64 TIFF in one strip whose IFD then claims `w`×`h` (the tags
/// patched in place; the file still holds 64×64 pixels).
fn tiff_claiming(w: u32, h: u32) -> Vec<u8> {
    let pixels = vec![90u8; 64 * 64 * 3];
    let mut tiff = Vec::new();
    image::codecs::tiff::TiffEncoder::new(std::io::Cursor::new(&mut tiff))
        .write_image(&pixels, 64, 64, image::ExtendedColorType::Rgb8)
        .unwrap();
    assert_eq!(&tiff[..4], b"II*\0", "little-endian TIFF");
    let u16_at = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
    let ifd = u32::from_le_bytes(tiff[4..8].try_into().unwrap()) as usize;
    let entries = u16_at(&tiff, ifd) as usize;
    for n in 0..entries {
        let at = ifd + 2 + 12 * n;
        // Width, length, and the strip layout that goes with them, so the
        // header is consistent and only the pixel count is wrong.
        let value = match u16_at(&tiff, at) {
            256 => w,
            257 | 278 => h,
            279 => w * h * 3,
            _ => continue,
        };
        // Written as LONG so any size fits.
        tiff[at + 2..at + 4].copy_from_slice(&4u16.to_le_bytes());
        tiff[at + 8..at + 12].copy_from_slice(&value.to_le_bytes());
    }
    tiff
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn expect(code: &str, result: Result<stratus_media::Rendered, MediaError>, what: &str) -> String {
    let err = result.expect_err(what);
    assert_eq!(err.code(), code, "{what}: {err}");
    err.to_string()
}

#[test]
fn hostile_files_get_typed_errors_within_bounded_memory() {
    let before = peak_rss_kib();
    let limits = Limits::default();
    let run = |name: &str, bytes: &[u8], limits: &Limits| {
        render(name, bytes, &spec(), OutputFormat::Jpeg, limits)
    };

    let msg = expect("undecodable", run("empty.jpg", &[], &limits), "zero bytes");
    assert!(msg.contains("empty.jpg") && msg.contains("empty"), "{msg}");

    let msg = expect(
        "undecodable",
        run("notes.jpg", b"this is a text file, not a photo\n", &limits),
        "text named .jpg",
    );
    assert!(msg.contains("not an image"), "{msg}");

    let mut photo = Vec::new();
    let pixels: Vec<u8> = (0..256 * 256 * 3).map(|i| (i * 7 % 251) as u8).collect();
    jpeg_encoder::Encoder::new(&mut photo, 90)
        .encode(&pixels, 256, 256, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let msg = expect(
        "undecodable",
        run("cut.jpg", &photo[..photo.len() / 2], &limits),
        "truncated JPEG",
    );
    assert!(msg.contains("truncated"), "{msg}");

    let msg = expect(
        "too_many_pixels",
        run("huge.png", &png_claiming(100_000, 100_000), &limits),
        "header claims 100000×100000",
    );
    assert!(
        msg.contains("100000×100000") && msg.contains("50 MP"),
        "{msg}"
    );

    // A real decompression bomb: 3000×3000 of zeros is a few KB of PNG but
    // 9 MP; with a 1 MP limit it is refused before any pixel is decoded.
    let zeros = vec![0u8; 3000 * 3000];
    let mut bomb = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut bomb,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(&zeros, 3000, 3000, image::ExtendedColorType::L8)
    .unwrap();
    drop(zeros);
    assert!(
        bomb.len() < 200_000,
        "the bomb is small on disk: {} bytes",
        bomb.len()
    );
    let small = Limits {
        max_pixels: 1_000_000,
        ..Limits::default()
    };
    expect(
        "too_many_pixels",
        run("bomb.png", &bomb, &small),
        "decompression bomb",
    );

    let tiny_bytes = Limits {
        max_source_bytes: 10,
        ..Limits::default()
    };
    expect(
        "too_large",
        run("big.jpg", &photo, &tiny_bytes),
        "byte limit",
    );

    let mut garbage = b"\x89PNG\r\n\x1a\n".to_vec();
    garbage.extend(std::iter::repeat_n(0xAB, 500));
    expect(
        "undecodable",
        run("garbage.png", &garbage, &limits),
        "PNG signature then garbage",
    );

    let msg = expect(
        "too_many_pixels",
        run("huge.tif", &tiff_claiming(20_000, 20_000), &limits),
        "TIFF header claims 20000×20000",
    );
    assert!(msg.contains("20000×20000"), "{msg}");
    let tiff = tiff_claiming(64, 64);
    expect(
        "undecodable",
        run("cut.tif", &tiff[..tiff.len() / 2], &limits),
        "truncated TIFF",
    );
    // Claims more rows than its strip holds.
    expect(
        "undecodable",
        run("short.tif", &tiff_claiming(64, 4000), &limits),
        "TIFF whose pixels end early",
    );

    // The 100000×100000 claim alone would be 30 GB decoded; the whole run
    // (encoder buffers included) stays far below that.
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 200, "peak memory grew by {grown_mib} MiB");
}
