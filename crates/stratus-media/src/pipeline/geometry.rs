//! Where the pixels go: the output size, the part of the source used, and
//! any padding, for each fit. Pure arithmetic, tested on its own.

use crate::spec::{Fit, VariantSpec};

/// A plan for one resize.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Source region used: left, top, width, height (in source pixels).
    pub crop: (f64, f64, f64, f64),
    /// Size the cropped region is resized to.
    pub resized: (u32, u32),
    /// Final canvas size (larger than `resized` only for `contain`).
    pub canvas: (u32, u32),
}

fn at_least_one(v: f64) -> u32 {
    // Sizes are bounded by MAX_DIMENSION, so the cast cannot overflow.
    (v.round() as u32).max(1)
}

/// Plans a resize of a `src_w`×`src_h` image (already oriented).
///
/// `inside` and `contain` never upscale: a small original stays its size.
/// `cover` and `fill` produce exactly the requested box, which is what asking
/// for a box means.
pub fn plan(src_w: u32, src_h: u32, spec: &VariantSpec) -> Plan {
    let (sw, sh) = (f64::from(src_w), f64::from(src_h));
    let full = (0.0, 0.0, sw, sh);
    match spec.fit {
        Fit::Inside | Fit::Contain => {
            let sx = spec.width.map_or(f64::INFINITY, |w| f64::from(w) / sw);
            let sy = spec.height.map_or(f64::INFINITY, |h| f64::from(h) / sh);
            let scale = sx.min(sy).min(1.0);
            let resized = (at_least_one(sw * scale), at_least_one(sh * scale));
            let canvas = match spec.fit {
                Fit::Contain => (
                    spec.width.unwrap_or(resized.0),
                    spec.height.unwrap_or(resized.1),
                ),
                _ => resized,
            };
            Plan {
                crop: full,
                resized,
                canvas,
            }
        }
        Fit::Fill => {
            let out = (spec.width.unwrap_or(src_w), spec.height.unwrap_or(src_h));
            Plan {
                crop: full,
                resized: out,
                canvas: out,
            }
        }
        Fit::Cover => {
            let (w, h) = (spec.width.unwrap_or(src_w), spec.height.unwrap_or(src_h));
            let scale = (f64::from(w) / sw).max(f64::from(h) / sh);
            let (cw, ch) = (f64::from(w) / scale, f64::from(h) / scale);
            Plan {
                crop: ((sw - cw) / 2.0, (sh - ch) / 2.0, cw, ch),
                resized: (w, h),
                canvas: (w, h),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> VariantSpec {
        VariantSpec::parse(s).unwrap()
    }

    #[test]
    fn inside_keeps_the_aspect_and_never_upscales() {
        let p = plan(4000, 3000, &spec("720x_-inside-q80.jpeg"));
        assert_eq!(p.resized, (720, 540));
        assert_eq!(
            plan(400, 300, &spec("720x_-inside-q80.jpeg")).resized,
            (400, 300)
        );
        assert_eq!(
            plan(4000, 3000, &spec("720x720-inside-q80.jpeg")).resized,
            (720, 540)
        );
    }

    #[test]
    fn cover_crops_the_centre_to_the_exact_box() {
        let p = plan(4000, 3000, &spec("300x300-cover-q80.jpeg"));
        assert_eq!(p.canvas, (300, 300));
        assert_eq!(p.crop, (500.0, 0.0, 3000.0, 3000.0));
    }

    #[test]
    fn contain_pads_to_the_box_and_fill_stretches() {
        let p = plan(4000, 2000, &spec("300x300-contain.png"));
        assert_eq!((p.resized, p.canvas), ((300, 150), (300, 300)));
        let f = plan(4000, 2000, &spec("300x300-fill-q80.jpeg"));
        assert_eq!(
            (f.resized, f.crop),
            ((300, 300), (0.0, 0.0, 4000.0, 2000.0))
        );
    }

    #[test]
    fn tiny_results_are_at_least_one_pixel() {
        assert_eq!(
            plan(10000, 10, &spec("100x_-inside-q80.jpeg")).resized,
            (100, 1)
        );
    }
}
