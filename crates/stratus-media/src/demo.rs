//! Demo originals: landscapes painted procedurally at seed time (sky, sun,
//! layered ridges, haze and film grain), so they compress and resize like
//! photographs without shipping or licensing any. Deterministic per scene.

use bytes::Bytes;
use stratus_core::demo::SeedStep;
use stratus_core::stack::Stack;
use stratus_core::Failure;

use crate::originals::upload_original;
use crate::pipeline::Limits;

/// The demo's seed steps for images.
pub fn demo_steps() -> Vec<SeedStep> {
    vec![SeedStep {
        name: "media.landscapes.v1",
        run: |stack| Box::pin(seed_landscapes(stack)),
    }]
}

struct Scene {
    key: &'static str,
    seed: u32,
    sky: ([f32; 3], [f32; 3]),
    ridges: [[f32; 3]; 3],
    sun: (f32, f32),
    size: (u16, u16),
}

const SCENES: [Scene; 6] = [
    Scene {
        key: "demo/landscapes/alpine-dawn.jpg",
        seed: 1,
        sky: ([250.0, 190.0, 150.0], [90.0, 120.0, 190.0]),
        ridges: [
            [120.0, 110.0, 150.0],
            [70.0, 75.0, 110.0],
            [30.0, 40.0, 60.0],
        ],
        sun: (0.72, 0.55),
        size: (1600, 1067),
    },
    Scene {
        key: "demo/landscapes/desert-noon.jpg",
        seed: 2,
        sky: ([200.0, 225.0, 245.0], [60.0, 130.0, 220.0]),
        ridges: [
            [225.0, 180.0, 130.0],
            [200.0, 140.0, 90.0],
            [160.0, 100.0, 60.0],
        ],
        sun: (0.3, 0.15),
        size: (1600, 900),
    },
    Scene {
        key: "demo/landscapes/fjord-dusk.jpg",
        seed: 3,
        sky: ([255.0, 140.0, 90.0], [40.0, 40.0, 100.0]),
        ridges: [[90.0, 70.0, 110.0], [50.0, 45.0, 80.0], [20.0, 25.0, 45.0]],
        sun: (0.5, 0.62),
        size: (1200, 1600),
    },
    Scene {
        key: "demo/landscapes/green-hills.jpg",
        seed: 4,
        sky: ([220.0, 235.0, 250.0], [110.0, 160.0, 230.0]),
        ridges: [
            [140.0, 170.0, 120.0],
            [90.0, 140.0, 80.0],
            [50.0, 100.0, 50.0],
        ],
        sun: (0.85, 0.2),
        size: (1400, 933),
    },
    Scene {
        key: "demo/products/sunset-poster.jpg",
        seed: 5,
        sky: ([255.0, 200.0, 120.0], [200.0, 80.0, 90.0]),
        ridges: [[150.0, 60.0, 80.0], [100.0, 40.0, 70.0], [50.0, 20.0, 45.0]],
        sun: (0.45, 0.5),
        size: (1000, 1000),
    },
    Scene {
        key: "demo/products/night-sky.jpg",
        seed: 6,
        sky: ([40.0, 50.0, 90.0], [5.0, 8.0, 25.0]),
        ridges: [[30.0, 35.0, 55.0], [18.0, 22.0, 38.0], [8.0, 10.0, 20.0]],
        sun: (0.2, 0.25),
        size: (1600, 1067),
    },
];

/// Painting failures are the core's `internal`; an upload keeps its media code.
async fn seed_landscapes(stack: &Stack) -> Result<(), Failure> {
    for scene in &SCENES {
        let jpeg = tokio::task::spawn_blocking(move || paint_jpeg(scene))
            .await
            .map_err(|e| {
                stratus_core::Error::Internal(format!("painting a demo image failed: {e}"))
            })??;
        upload_original(
            &*stack.media,
            scene.key,
            Bytes::from(jpeg),
            &Limits::default(),
        )
        .await
        .map_err(|e| Failure::of(&e))?;
    }
    Ok(())
}

/// Integer hash → [0, 1): cheap, deterministic noise.
fn hash(x: i32, y: i32, seed: u32) -> f32 {
    let mut h = (x as u32).wrapping_mul(374_761_393)
        ^ (y as u32).wrapping_mul(668_265_263)
        ^ seed.wrapping_mul(2_246_822_519);
    h = (h ^ (h >> 13)).wrapping_mul(1_274_126_177);
    ((h ^ (h >> 16)) & 0xFFFF) as f32 / 65536.0
}

/// Smooth 1-D value noise with octaves, for ridge lines.
fn ridge(x: f32, seed: u32) -> f32 {
    let mut total = 0.0;
    let (mut freq, mut amp) = (3.0, 0.5);
    for octave in 0..6 {
        let p = x * freq;
        let i = p.floor() as i32;
        let t = p - p.floor();
        let t = t * t * (3.0 - 2.0 * t);
        let a = hash(i, octave, seed);
        let b = hash(i + 1, octave, seed);
        total += (a + (b - a) * t) * amp;
        freq *= 2.1;
        amp *= 0.5;
    }
    total
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn paint_jpeg(scene: &Scene) -> stratus_core::Result<Vec<u8>> {
    let (w, h) = (usize::from(scene.size.0), usize::from(scene.size.1));
    let mut rgb = vec![0u8; w * h * 3];
    // Ridge heights per column, from far (high, hazy) to near (low, dark).
    let lines: Vec<[f32; 3]> = (0..w)
        .map(|x| {
            let fx = x as f32 / w as f32;
            [
                0.45 + 0.25 * ridge(fx, scene.seed),
                0.6 + 0.2 * ridge(fx + 3.7, scene.seed + 11),
                0.75 + 0.15 * ridge(fx + 9.1, scene.seed + 23),
            ]
        })
        .collect();
    for y in 0..h {
        let fy = y as f32 / h as f32;
        for (x, crest) in lines.iter().enumerate() {
            let fx = x as f32 / w as f32;
            let mut c = mix(scene.sky.0, scene.sky.1, fy.powf(0.8));
            let sun = ((fx - scene.sun.0).powi(2)
                + ((fy - scene.sun.1) * h as f32 / w as f32).powi(2))
            .sqrt();
            let glow = (1.0 - sun * 4.0).max(0.0).powi(2);
            c = mix(c, [255.0, 245.0, 220.0], glow.min(1.0));
            for (layer, color) in scene.ridges.iter().enumerate() {
                if fy > crest[layer] {
                    // Lighter near each ridge's crest: a little depth and haze.
                    let depth = ((fy - crest[layer]) * 6.0).min(1.0);
                    c = mix(mix(*color, c, 0.35 * (1.0 - depth)), *color, depth * 0.3);
                }
            }
            let grain = (hash(x as i32, y as i32, scene.seed) - 0.5) * 14.0;
            let i = (y * w + x) * 3;
            for k in 0..3 {
                rgb[i + k] = (c[k] + grain).clamp(0.0, 255.0) as u8;
            }
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 88)
        .encode(
            &rgb,
            scene.size.0,
            scene.size.1,
            jpeg_encoder::ColorType::Rgb,
        )
        .map_err(|e| stratus_core::Error::Internal(format!("encoding a demo image failed: {e}")))?;
    Ok(out)
}
