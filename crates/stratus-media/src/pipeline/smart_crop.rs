//! Smart crops: where a `cover` window shows the most of the picture, for
//! the `entropy` and `attention` gravities (the strategies sharp offers,
//! written here from their descriptions). The search runs on a copy at
//! most [`ANALYSIS_SIDE`] px a side, so it costs one cheap box-filter pass
//! over the decoded image and then a few million operations at most,
//! whatever the original's size.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, GenericImageView, RgbImage};

/// The longest side of the copy the window is searched on.
pub const ANALYSIS_SIDE: u32 = 256;

/// Window positions tried along an axis (the slack of a `cover` crop lies
/// along one axis; a second axis with slack shares the budget).
const POSITIONS: usize = 256;

/// How a window is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Shannon entropy of the window's luminance histogram: flat areas
    /// (sky, studio backdrop) score nothing, detail scores high.
    Entropy,
    /// The sum of a per-pixel saliency: luminance frequency (a Laplacian),
    /// colour saturation and skin tones.
    Attention,
}

/// The centre, in fractions of `image`'s width and height, of the best
/// place for a window of `window` (width, height, in `image`'s pixels).
/// Equally good places (a subject smaller than the window) resolve to the
/// one nearest their middle, so the subject sits in the window rather than
/// against an edge. The image's centre when there is nothing to choose.
pub fn best_centre(image: &DynamicImage, window: (f64, f64), strategy: Strategy) -> (f64, f64) {
    let centre = (0.5, 0.5);
    let Some(small) = analysis_copy(image) else {
        return centre;
    };
    let (w, h) = image.dimensions();
    let (aw, ah) = small.dimensions();
    let side = |win: f64, full: u32, analysed: u32| -> u32 {
        let scaled = (win * f64::from(analysed) / f64::from(full)).round();
        // `as` saturates; the clamp keeps the window inside the copy.
        (scaled as u32).clamp(1, analysed)
    };
    let (ww, wh) = (side(window.0, w, aw), side(window.1, h, ah));
    let (xs, ys) = candidates(aw - ww, ah - wh);
    if xs.len() * ys.len() <= 1 {
        return centre;
    }
    let score: Box<dyn Fn(u32, u32) -> f64> = match strategy {
        Strategy::Entropy => {
            let luma = luminance(&small);
            Box::new(move |x, y| entropy(&luma, aw, (x, y, ww, wh)))
        }
        Strategy::Attention => {
            let sums = SummedArea::new(&saliency(&small), aw, ah);
            Box::new(move |x, y| sums.total(x, y, ww, wh) as f64)
        }
    };
    let mut scored = Vec::with_capacity(xs.len() * ys.len());
    for &y in &ys {
        for &x in &xs {
            scored.push((x, y, score(x, y)));
        }
    }
    let best = scored.iter().map(|s| s.2).fold(f64::MIN, f64::max);
    let ties: Vec<(f64, f64)> = scored
        .iter()
        .filter(|s| s.2 >= best - best.abs() * 1e-12)
        .map(|s| (f64::from(s.0), f64::from(s.1)))
        .collect();
    let n = ties.len() as f64;
    let middle = (
        ties.iter().map(|t| t.0).sum::<f64>() / n,
        ties.iter().map(|t| t.1).sum::<f64>() / n,
    );
    // The tie nearest the middle of all ties: never a place between two
    // separate equally good subjects that shows neither.
    let distance = |t: &(f64, f64)| (t.0 - middle.0).powi(2) + (t.1 - middle.1).powi(2);
    let chosen = ties
        .iter()
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
        .copied()
        .unwrap_or(middle);
    (
        (chosen.0 + f64::from(ww) / 2.0) / f64::from(aw),
        (chosen.1 + f64::from(wh) / 2.0) / f64::from(ah),
    )
}

/// The image at most [`ANALYSIS_SIDE`] px a side, as 8-bit RGB (alpha and
/// extra precision do not change where the subject is). Box-filtered, so
/// fine detail averages out the way it would to the eye rather than
/// aliasing into noise.
fn analysis_copy(image: &DynamicImage) -> Option<RgbImage> {
    let (w, h) = image.dimensions();
    let longest = w.max(h);
    if longest <= ANALYSIS_SIDE {
        return Some(image.to_rgb8());
    }
    let scale = f64::from(ANALYSIS_SIDE) / f64::from(longest);
    let small_side = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
    let mut small = DynamicImage::new(small_side(w), small_side(h), image.color());
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Box));
    Resizer::new().resize(image, &mut small, &options).ok()?;
    Some(small.to_rgb8())
}

/// Window offsets to try along each axis: every pixel of slack, or evenly
/// spaced ones (always both ends) when there are more than the budget.
fn candidates(slack_x: u32, slack_y: u32) -> (Vec<u32>, Vec<u32>) {
    let budget = if slack_x > 0 && slack_y > 0 {
        16 // √POSITIONS per axis
    } else {
        POSITIONS
    };
    let axis = |slack: u32| -> Vec<u32> {
        let count = (slack as usize + 1).min(budget);
        if count <= 1 {
            return vec![0];
        }
        (0..count)
            .map(|i| {
                let at = i as f64 * f64::from(slack) / (count - 1) as f64;
                at.round() as u32
            })
            .collect()
    };
    (axis(slack_x), axis(slack_y))
}

/// Rec. 709 luma of each pixel, 0–255, row by row.
fn luminance(image: &RgbImage) -> Vec<u8> {
    image
        .pixels()
        .map(|p| {
            let [r, g, b] = p.0.map(u32::from);
            ((2126 * r + 7152 * g + 722 * b + 5000) / 10_000) as u8
        })
        .collect()
}

/// Shannon entropy (bits) of the luminance histogram inside a window
/// (left, top, width, height) of a `width`-wide luma plane.
fn entropy(luma: &[u8], width: u32, window: (u32, u32, u32, u32)) -> f64 {
    let (left, top, ww, wh) = window;
    let mut histogram = [0u32; 256];
    for row in top..top + wh {
        let start = (row * width + left) as usize;
        for &v in &luma[start..start + ww as usize] {
            histogram[usize::from(v)] += 1;
        }
    }
    let total = f64::from(ww * wh);
    histogram
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = f64::from(n) / total;
            -p * p.log2()
        })
        .sum()
}

/// Per-pixel saliency, the cheap kind: how fast luminance changes around
/// the pixel (the magnitude of a 4-neighbour Laplacian: edges, texture,
/// eyes), plus half its colour saturation (max − min channel), plus a
/// fixed bonus for a skin tone. Flat areas, however bright or coloured,
/// add the same to every window and so never draw the crop.
fn saliency(image: &RgbImage) -> Vec<u32> {
    let (w, h) = image.dimensions();
    let luma = luminance(image);
    let at = |x: u32, y: u32| i32::from(luma[(y * w + x) as usize]);
    let mut out = Vec::with_capacity(luma.len());
    for y in 0..h {
        for x in 0..w {
            // Edges repeat their border pixel.
            let (left, right) = (x.saturating_sub(1), (x + 1).min(w - 1));
            let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
            let laplacian = 4 * at(x, y) - at(left, y) - at(right, y) - at(x, up) - at(x, down);
            let pixel = image.get_pixel(x, y).0;
            let saturation = pixel.iter().max().unwrap_or(&0) - pixel.iter().min().unwrap_or(&0);
            out.push(laplacian.unsigned_abs() + u32::from(saturation) / 2 + skin_bonus(pixel));
        }
    }
    out
}

/// Skin of any complexion falls in a narrow band of chromaticity (the
/// share of red and green in the pixel's brightness), reddish with red >
/// green > blue; too dark a pixel carries no hue worth judging.
fn skin_bonus([r, g, b]: [u8; 3]) -> u32 {
    const BONUS: u32 = 96;
    let sum = u32::from(r) + u32::from(g) + u32::from(b);
    if sum < 150 || !(r > g && g > b) {
        return 0;
    }
    let red_share = f64::from(r) / f64::from(sum);
    let green_share = f64::from(g) / f64::from(sum);
    if (0.36..=0.56).contains(&red_share) && (0.26..=0.36).contains(&green_share) {
        BONUS
    } else {
        0
    }
}

/// Sums over any rectangle in constant time (a summed-area table).
struct SummedArea {
    width: u32,
    /// `(width + 1) × (height + 1)`, a zero row and column first.
    table: Vec<u64>,
}

impl SummedArea {
    fn new(values: &[u32], width: u32, height: u32) -> Self {
        let stride = width as usize + 1;
        let mut table = vec![0u64; stride * (height as usize + 1)];
        for y in 0..height as usize {
            let mut row = 0u64;
            for x in 0..width as usize {
                row += u64::from(values[y * width as usize + x]);
                table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + row;
            }
        }
        SummedArea { width, table }
    }

    fn total(&self, left: u32, top: u32, w: u32, h: u32) -> u64 {
        let stride = self.width as usize + 1;
        let at = |x: u32, y: u32| self.table[y as usize * stride + x as usize];
        at(left + w, top + h) + at(left, top) - at(left + w, top) - at(left, top + h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_cover_the_slack_within_the_budget() {
        assert_eq!(candidates(0, 0), (vec![0], vec![0]));
        assert_eq!(candidates(3, 0), (vec![0, 1, 2, 3], vec![0]));
        let (xs, ys) = candidates(1000, 0);
        assert_eq!((xs.len(), xs[0], xs[255]), (256, 0, 1000));
        assert_eq!(ys, vec![0]);
        let (xs, ys) = candidates(100, 100);
        assert!(xs.len() * ys.len() <= POSITIONS);
        assert_eq!((xs.last(), ys.last()), (Some(&100), Some(&100)));
    }

    #[test]
    fn a_flat_window_has_no_entropy_and_two_equal_halves_one_bit() {
        let luma = [7u8, 7, 7, 7, 0, 0, 255, 255];
        assert_eq!(entropy(&luma, 4, (0, 0, 4, 1)), 0.0);
        assert!((entropy(&luma, 4, (0, 1, 4, 1)) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn summed_areas_match_plain_sums() {
        let values: Vec<u32> = (0..20).collect();
        let sums = SummedArea::new(&values, 5, 4);
        assert_eq!(sums.total(0, 0, 5, 4), (0..20u64).sum::<u64>());
        // Rows 1–2, columns 2–3: 7 + 8 + 12 + 13.
        assert_eq!(sums.total(2, 1, 2, 2), 40);
    }

    #[test]
    fn skin_tones_score_and_sky_does_not() {
        assert!(skin_bonus([224, 172, 140]) > 0, "light skin");
        assert!(skin_bonus([141, 85, 36]) > 0, "dark skin");
        assert_eq!(skin_bonus([90, 150, 230]), 0, "sky");
        assert_eq!(skin_bonus([40, 30, 20]), 0, "too dark to judge");
    }
}
