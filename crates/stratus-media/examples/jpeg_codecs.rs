//! Measures the JPEG decoders and encoders the pipeline could use, on the
//! same photos, to choose by numbers (see bench/RESULTS.md, "## Images"):
//! decode at full size (zune-jpeg via `image`, libjpeg-turbo) and with DCT
//! scaling for a 720 px output (libjpeg-turbo, pure-Rust `jpeg-decoder`);
//! encode the 720 px result (jpeg-encoder progressive+optimised and
//! baseline, libjpeg-turbo baseline).
//!
//! `jpeg_codecs <repeat> <file>...` prints a markdown table of mean ms.

use std::io::Cursor;
use std::time::Instant;

use fast_image_resize::{images::Image as FirImage, PixelType, Resizer};
use turbojpeg::{Decompressor, Image, PixelFormat};

type Step<'a> = (&'static str, Box<dyn Fn(&[u8]) -> Result<(), String> + 'a>);

fn time(
    repeat: usize,
    files: &[Vec<u8>],
    f: &dyn Fn(&[u8]) -> Result<(), String>,
) -> Result<f64, String> {
    let started = Instant::now();
    for _ in 0..repeat {
        for file in files {
            f(file)?;
        }
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / (repeat * files.len()) as f64)
}

fn turbo_decode(bytes: &[u8], factor: usize) -> Result<(Vec<u8>, usize, usize), String> {
    let mut d = Decompressor::new().map_err(|e| e.to_string())?;
    let h = d.read_header(bytes).map_err(|e| e.to_string())?;
    let (w, hh) = (h.width.div_ceil(factor), h.height.div_ceil(factor));
    let mut pixels = vec![0u8; 3 * w * hh];
    d.decompress(
        bytes,
        Image {
            pixels: pixels.as_mut_slice(),
            width: w,
            pitch: 3 * w,
            height: hh,
            format: PixelFormat::RGB,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok((pixels, w, hh))
}

/// The 1/8…1/1 factor the pipeline picks for a 720 px wide output.
fn factor_for_720(width: usize) -> usize {
    [8, 4, 2]
        .into_iter()
        .find(|f| width / f >= 720)
        .unwrap_or(1)
}

/// A 720 px wide RGB image made from the photo, input for the encoders.
fn small(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32), String> {
    let d = Decompressor::new()
        .and_then(|mut d| d.read_header(bytes))
        .map_err(|e| e.to_string())?;
    let (pixels, w, h) = turbo_decode(bytes, factor_for_720(d.width))?;
    let src = FirImage::from_vec_u8(w as u32, h as u32, pixels, PixelType::U8x3)
        .map_err(|e| e.to_string())?;
    let out_h = (h as u64 * 720 / w as u64) as u32;
    let mut dst = FirImage::new(720, out_h, PixelType::U8x3);
    Resizer::new()
        .resize(&src, &mut dst, None)
        .map_err(|e| e.to_string())?;
    Ok((dst.into_vec(), 720, out_h))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [repeat, paths @ ..] = args.as_slice() else {
        return Err("usage: jpeg_codecs <repeat> <file>...".into());
    };
    let repeat: usize = repeat.parse()?;
    let files: Vec<Vec<u8>> = paths.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    let smalls: Vec<(Vec<u8>, u32, u32)> =
        files.iter().map(|f| small(f)).collect::<Result<_, _>>()?;

    let decoders: Vec<Step> = vec![
        (
            "decode full: zune-jpeg (image 0.25, today's path)",
            Box::new(|b: &[u8]| {
                image::load_from_memory(b)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }),
        ),
        (
            "decode full: libjpeg-turbo (turbojpeg)",
            Box::new(|b: &[u8]| turbo_decode(b, 1).map(|_| ())),
        ),
        (
            "decode scaled for 720 px: libjpeg-turbo (turbojpeg)",
            Box::new(|b: &[u8]| {
                let w = Decompressor::new()
                    .and_then(|mut d| d.read_header(b))
                    .map_err(|e| e.to_string())?
                    .width;
                turbo_decode(b, factor_for_720(w)).map(|_| ())
            }),
        ),
        (
            "decode scaled for 720 px: jpeg-decoder `scale`",
            Box::new(|b: &[u8]| {
                let mut d = jpeg_decoder::Decoder::new(Cursor::new(b));
                d.read_info().map_err(|e| e.to_string())?;
                let info = d.info().ok_or("no header")?;
                let f = factor_for_720(usize::from(info.width)) as u16;
                d.scale(info.width.div_ceil(f), info.height.div_ceil(f))
                    .map_err(|e| e.to_string())?;
                d.decode().map(|_| ()).map_err(|e| e.to_string())
            }),
        ),
    ];
    println!("| step (mean per photo, 1 thread) | ms |");
    println!("| --- | ---: |");
    for (name, f) in &decoders {
        println!("| {name} | {:.1} |", time(repeat, &files, f.as_ref())?);
    }

    let smalls = &smalls;
    let encode = |which: u8| {
        move |i: usize| -> Result<(), String> {
            let (px, w, h) = &smalls[i];
            match which {
                0 | 1 => {
                    let mut out = Vec::new();
                    let mut e = jpeg_encoder::Encoder::new(&mut out, 80);
                    e.set_progressive(which == 0);
                    e.set_optimized_huffman_tables(which == 0);
                    e.encode(px, *w as u16, *h as u16, jpeg_encoder::ColorType::Rgb)
                        .map_err(|e| e.to_string())
                }
                _ => {
                    let img = Image {
                        pixels: px.as_slice(),
                        width: *w as usize,
                        pitch: 3 * *w as usize,
                        height: *h as usize,
                        format: PixelFormat::RGB,
                    };
                    turbojpeg::compress(img, 80, turbojpeg::Subsamp::Sub2x2)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
            }
        }
    };
    for (which, name) in [
        (
            0u8,
            "encode 720 px q80: jpeg-encoder progressive + optimised (today's path)",
        ),
        (1, "encode 720 px q80: jpeg-encoder baseline"),
        (2, "encode 720 px q80: libjpeg-turbo baseline 4:2:0"),
    ] {
        let f = encode(which);
        let started = Instant::now();
        for _ in 0..repeat {
            for i in 0..smalls.len() {
                f(i)?;
            }
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0 / (repeat * smalls.len()) as f64;
        println!("| {name} | {ms:.1} |");
    }
    Ok(())
}
