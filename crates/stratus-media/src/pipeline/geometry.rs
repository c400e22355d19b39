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
    // `as` saturates; an enlarged free side may be huge, and the output
    // limit (`Limits::max_output_pixels`) refuses it before any allocation.
    (v.round() as u32).max(1)
}

/// How much `fit` scales the original to fill the box: for `inside` and
/// `contain` the whole image fits, so the smaller ratio; for `cover` and
/// `fill` the box is filled, so the larger one (a free side never limits).
fn scale_to_box(sw: f64, sh: f64, spec: &VariantSpec) -> f64 {
    let sx = spec.width.map_or(f64::INFINITY, |w| f64::from(w) / sw);
    let sy = spec.height.map_or(f64::INFINITY, |h| f64::from(h) / sh);
    match spec.fit {
        Fit::Inside | Fit::Contain => sx.min(sy),
        Fit::Cover | Fit::Fill => {
            let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
            finite(sx).max(finite(sy))
        }
    }
}

/// The box the fit works in. Without `-up`, a box that would scale the
/// original up is shrunk, keeping its aspect, by that factor: the result is
/// what the enlarged variant would be, made at the original's own scale
/// (no pixel invented, no side longer than the original's for the image,
/// the box's aspect kept for the page's layout).
fn effective_box(sw: f64, sh: f64, spec: &VariantSpec) -> (Option<u32>, Option<u32>) {
    let up = scale_to_box(sw, sh, spec);
    if spec.enlarge || up <= 1.0 {
        return (spec.width, spec.height);
    }
    let shrink = |side: Option<u32>| side.map(|s| at_least_one(f64::from(s) / up));
    (shrink(spec.width), shrink(spec.height))
}

/// Plans a resize of a `src_w`×`src_h` image (already oriented).
///
/// No fit enlarges the original unless the spec says `-up`: the box first
/// shrinks to the original's scale ([`effective_box`]), so a 1×1 original
/// stays 1×1 whatever the box. Within that box, `inside` fits the image,
/// `contain` fits and pads to the box, `cover` crops the centre to the box
/// and `fill` stretches to it.
pub fn plan(src_w: u32, src_h: u32, spec: &VariantSpec) -> Plan {
    let (sw, sh) = (f64::from(src_w), f64::from(src_h));
    let full = (0.0, 0.0, sw, sh);
    let (bw, bh) = effective_box(sw, sh, spec);
    match spec.fit {
        Fit::Inside | Fit::Contain => {
            let sx = bw.map_or(f64::INFINITY, |w| f64::from(w) / sw);
            let sy = bh.map_or(f64::INFINITY, |h| f64::from(h) / sh);
            let mut scale = sx.min(sy);
            if !spec.enlarge {
                // The box was shrunk to scale 1; rounding must not tip it over.
                scale = scale.min(1.0);
            }
            let resized = (at_least_one(sw * scale), at_least_one(sh * scale));
            let canvas = match spec.fit {
                Fit::Contain => (bw.unwrap_or(resized.0), bh.unwrap_or(resized.1)),
                _ => resized,
            };
            Plan {
                crop: full,
                resized,
                canvas,
            }
        }
        Fit::Fill => {
            let out = (bw.unwrap_or(src_w), bh.unwrap_or(src_h));
            Plan {
                crop: full,
                resized: out,
                canvas: out,
            }
        }
        Fit::Cover => {
            let (w, h) = (bw.unwrap_or(src_w), bh.unwrap_or(src_h));
            let scale = (f64::from(w) / sw).max(f64::from(h) / sh);
            let (cw, ch) = (f64::from(w) / scale, f64::from(h) / scale);
            let (mut left, mut top) = ((sw - cw) / 2.0, (sh - ch) / 2.0);
            if scale == 1.0 {
                // A plain cut (a small original): whole-pixel edges, so the
                // resampler copies pixels instead of blurring half a pixel.
                (left, top) = (left.floor(), top.floor());
            }
            Plan {
                crop: (left, top, cw, ch),
                resized: (w, h),
                canvas: (w, h),
            }
        }
    }
}

/// Moves a `cover` crop's window, keeping its size, so that it is centred
/// on `at` (fractions of the `src_w`×`src_h` source) as far as the source
/// allows: a point near an edge puts the window against that edge, so
/// `(0.5, 0.0)` keeps the top rows. Other fits use the whole source and
/// stay as they are.
pub fn place(plan: Plan, src_w: u32, src_h: u32, at: (f64, f64)) -> Plan {
    let (sw, sh) = (f64::from(src_w), f64::from(src_h));
    let (_, _, cw, ch) = plan.crop;
    let axis = |fraction: f64, side: f64, window: f64| {
        let slack = (side - window).max(0.0);
        // NaN would pass through `clamp`: a point that is no number is the centre.
        let fraction = if fraction.is_nan() {
            0.5
        } else {
            fraction.clamp(0.0, 1.0)
        };
        (fraction * side - window / 2.0).clamp(0.0, slack)
    };
    let (mut left, mut top) = (axis(at.0, sw, cw), axis(at.1, sh, ch));
    if (cw, ch) == (f64::from(plan.resized.0), f64::from(plan.resized.1)) {
        // A plain cut, as in `plan`: whole-pixel edges.
        (left, top) = (left.floor(), top.floor());
    }
    Plan {
        crop: (left, top, cw, ch),
        ..plan
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

    /// The report that opened the issue: a 1×1 PNG came back as a 160×160
    /// thumbnail and a 480×320 card.
    #[test]
    fn a_one_pixel_original_stays_one_pixel_in_every_fit() {
        for s in [
            "160x160-cover-q75.jpeg",
            "480x320-cover-q80.jpeg",
            "480x320-fill-q80.jpeg",
            "480x_-inside-q80.jpeg",
        ] {
            let p = plan(1, 1, &spec(s));
            assert_eq!((p.resized, p.canvas), ((1, 1), (1, 1)), "{s}");
        }
        // Contain pads, and the padding keeps the box's 3:2 as near as
        // whole pixels allow; the pixel itself stays one pixel.
        let p = plan(1, 1, &spec("480x320-contain.png"));
        assert_eq!((p.resized, p.canvas), ((1, 1), (2, 1)));
    }

    #[test]
    fn a_smaller_original_keeps_its_scale_and_the_box_keeps_its_aspect() {
        // Cover: the largest 3:2 cut of a 400×300 original, not resampled.
        let p = plan(400, 300, &spec("480x320-cover-q80.jpeg"));
        assert_eq!((p.resized, p.canvas), ((400, 267), (400, 267)));
        assert_eq!(p.crop, (0.0, 16.0, 400.0, 267.0), "whole-pixel cut");
        // Contain: the image as it is, padded to the box's (square) aspect.
        let p = plan(100, 50, &spec("300x300-contain.png"));
        assert_eq!((p.resized, p.canvas), ((100, 50), (100, 100)));
        // Fill: squeezed as asked, but no side longer than the original's.
        let p = plan(400, 300, &spec("480x200-fill-q80.jpeg"));
        assert_eq!(p.resized, (400, 167));
        // Inside: the original's size.
        let p = plan(400, 300, &spec("720x720-inside-q80.jpeg"));
        assert_eq!(p.resized, (400, 300));
        // Larger in one side only: cover still crops without scaling up.
        let p = plan(600, 300, &spec("480x320-cover-q80.jpeg"));
        assert_eq!((p.canvas, p.crop), ((450, 300), (75.0, 0.0, 450.0, 300.0)));
    }

    #[test]
    fn up_enlarges_to_the_box_in_every_fit() {
        for (s, canvas) in [
            ("160x160-cover-up-q75.jpeg", (160, 160)),
            ("480x320-fill-up-q80.jpeg", (480, 320)),
            ("480x320-contain-up.png", (480, 320)),
            ("480x_-inside-up-q80.jpeg", (480, 360)),
        ] {
            assert_eq!(plan(40, 30, &spec(s)).canvas, canvas, "{s}");
        }
        assert_eq!(
            plan(40, 30, &spec("480x320-contain-up.png")).resized,
            (427, 320)
        );
    }

    /// Over a grid of originals and boxes: without `-up` the resize only
    /// ever shrinks (the output region is never larger than the source
    /// region it comes from), the canvas never exceeds the box, and a
    /// two-sided box keeps its aspect to within a pixel's rounding.
    #[test]
    fn no_fit_ever_enlarges_without_up() {
        let sides = [1, 2, 7, 50, 99, 160, 320, 480, 1000, 4000];
        for fit in ["cover", "contain", "fill", "inside"] {
            for (bw, bh) in [(160, 160), (480, 320), (320, 480), (1, 300), (4000, 7)] {
                let s = spec(&format!("{bw}x{bh}-{fit}-q80.jpeg"));
                for sw in sides {
                    for sh in sides {
                        let p = plan(sw, sh, &s);
                        let (_, _, cw, ch) = p.crop;
                        let case = format!("{sw}×{sh} into {s}: {p:?}");
                        assert!(
                            f64::from(p.resized.0) <= cw.round()
                                && f64::from(p.resized.1) <= ch.round(),
                            "enlarged: {case}"
                        );
                        assert!(p.canvas.0 <= bw && p.canvas.1 <= bh, "past the box: {case}");
                        if fit != "inside" && p.canvas.0 > 1 && p.canvas.1 > 1 {
                            let want = f64::from(bw) / f64::from(bh);
                            let (w, h) = (f64::from(p.canvas.0), f64::from(p.canvas.1));
                            let range = ((w - 0.5) / (h + 0.5), (w + 0.5) / (h - 0.5));
                            assert!(range.0 <= want && want <= range.1, "aspect lost: {case}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_placed_window_keeps_its_size_and_stays_inside_the_source() {
        let centred = plan(4000, 3000, &spec("300x300-cover-q80.jpeg"));
        let at = |x, y| place(centred, 4000, 3000, (x, y)).crop;
        assert_eq!(at(0.5, 0.5), centred.crop);
        assert_eq!(at(0.5, 0.0), (500.0, 0.0, 3000.0, 3000.0), "north");
        assert_eq!(at(0.0, 0.5), (0.0, 0.0, 3000.0, 3000.0), "west");
        assert_eq!(at(1.0, 1.0), (1000.0, 0.0, 3000.0, 3000.0), "southeast");
        assert_eq!(at(0.5625, 0.5), (750.0, 0.0, 3000.0, 3000.0), "a point");
        assert_eq!(at(-3.0, f64::NAN).0, 0.0, "out of range is clamped");
        // A plain cut of a small original keeps whole-pixel edges.
        let cut = plan(400, 300, &spec("480x320-cover-q80.jpeg"));
        assert_eq!(
            place(cut, 400, 300, (0.5, 0.7)).crop,
            (0.0, 33.0, 400.0, 267.0)
        );
        // Fits that crop nothing are not moved.
        let inside = plan(4000, 3000, &spec("300x300-inside-q80.jpeg"));
        assert_eq!(place(inside, 4000, 3000, (0.0, 0.0)), inside);
    }

    #[test]
    fn tiny_results_are_at_least_one_pixel() {
        assert_eq!(
            plan(10000, 10, &spec("100x_-inside-q80.jpeg")).resized,
            (100, 1)
        );
    }
}
