//! `VariantSpec`: what a variant is (box, fit, gravity, enlargement,
//! format, quality) and its one canonical spelling, e.g.
//! `720x480-cover-q80.webp`, `720x_-inside-q80.jpeg`, `256x256-contain.png`,
//! `64x64-cover-up-q80.webp`, `480x320-cover-attention-up-q80.webp`.
//!
//! Parsing accepts only the canonical spelling (anchored, no leading zeros,
//! defaults written out), so one spec has exactly one key and nothing a
//! client sends can make two keys for the same work.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::MediaError;
pub use crate::gravity::Gravity;

/// Largest width or height a variant may ask for.
pub const MAX_DIMENSION: u32 = 8192;

/// The spelling of "enlarge a smaller original", right after the fit.
const ENLARGE_FLAG: &str = "up";

/// How the image is fitted into the requested box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// Fill the box, cropping what overflows (where: the spec's
    /// [`Gravity`], centred by default). Needs both sides.
    Cover,
    /// Fit inside the box and pad to exactly its size. Needs both sides.
    Contain,
    /// Stretch to the box, ignoring the aspect ratio. Needs both sides.
    Fill,
    /// Fit inside the box, keeping the aspect ratio; no padding.
    Inside,
}

impl Fit {
    pub fn as_str(self) -> &'static str {
        match self {
            Fit::Cover => "cover",
            Fit::Contain => "contain",
            Fit::Fill => "fill",
            Fit::Inside => "inside",
        }
    }

    /// `cover`, `contain`, `fill` or `inside`.
    pub fn parse(s: &str) -> Option<Fit> {
        Some(match s {
            "cover" => Fit::Cover,
            "contain" => Fit::Contain,
            "fill" => Fit::Fill,
            "inside" => Fit::Inside,
            _ => return None,
        })
    }
}

/// Requested output format; `Auto` picks the best one the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Avif,
    Auto,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Avif => "avif",
            Format::Auto => "auto",
        }
    }

    /// `jpeg`, `png`, `webp`, `avif` or `auto`.
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "jpeg" => Format::Jpeg,
            "png" => Format::Png,
            "webp" => Format::Webp,
            "avif" => Format::Avif,
            "auto" => Format::Auto,
            _ => return None,
        })
    }

    /// Lossless formats carry no quality.
    pub fn has_quality(self) -> bool {
        self != Format::Png
    }

    pub fn default_quality(self) -> Option<u8> {
        match self {
            Format::Jpeg | Format::Webp | Format::Auto => Some(80),
            Format::Avif => Some(60),
            Format::Png => None,
        }
    }
}

/// A variant: a box (one side may be free), a fit, which part a `cover`
/// crop keeps, whether a smaller original may be enlarged, a format and a
/// quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VariantSpec {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    /// Which part of the original a `cover` crop keeps; always the centre
    /// for the other fits, which crop nothing.
    #[serde(default)]
    pub gravity: Gravity,
    /// `-up`: scale an original smaller than the box up to it. Off by
    /// default: the box then shrinks to what the original has (see
    /// `pipeline::geometry`), so no pixel is invented.
    #[serde(default)]
    pub enlarge: bool,
    pub format: Format,
    /// 1–100 for lossy formats; `None` for PNG.
    pub quality: Option<u8>,
}

impl VariantSpec {
    /// Builds a spec from loose parts (a form, query parameters) and checks it;
    /// a missing quality takes the format's default.
    pub fn new(
        width: Option<u32>,
        height: Option<u32>,
        fit: Fit,
        gravity: Gravity,
        enlarge: bool,
        format: Format,
        quality: Option<u8>,
    ) -> Result<Self, MediaError> {
        let quality = if format.has_quality() {
            quality.or(format.default_quality())
        } else {
            None
        };
        let spec = VariantSpec {
            width,
            height,
            fit,
            gravity,
            enlarge,
            format,
            quality,
        };
        spec.check()?;
        Ok(spec)
    }

    fn check(&self) -> Result<(), MediaError> {
        let bad = |reason: &str| MediaError::InvalidSpec {
            spec: self.to_string(),
            reason: reason.to_string(),
        };
        if self.width.is_none() && self.height.is_none() {
            return Err(bad("give a width, a height or both"));
        }
        for side in [self.width, self.height].into_iter().flatten() {
            if side == 0 || side > MAX_DIMENSION {
                return Err(bad(&format!("sides must be 1–{MAX_DIMENSION} pixels")));
            }
        }
        if self.gravity != Gravity::Centre && self.fit != Fit::Cover {
            return Err(bad(
                "only cover crops, so only cover takes a gravity (north, focus, entropy, …)",
            ));
        }
        if self.fit != Fit::Inside && (self.width.is_none() || self.height.is_none()) {
            return Err(bad(
                "cover, contain and fill need both a width and a height",
            ));
        }
        match (self.format.has_quality(), self.quality) {
            (true, Some(q)) if (1..=100).contains(&q) => Ok(()),
            (true, _) => Err(bad("quality must be 1–100")),
            (false, None) => Ok(()),
            (false, Some(_)) => Err(bad("PNG is lossless and takes no quality")),
        }
    }

    /// Parses the canonical spelling only.
    pub fn parse(s: &str) -> Result<Self, MediaError> {
        let bad = |reason: &str| MediaError::InvalidSpec {
            spec: s.escape_debug().to_string(),
            reason: reason.to_string(),
        };
        if s.len() > 64 {
            return Err(bad("too long"));
        }
        let (body, ext) = s
            .rsplit_once('.')
            .ok_or_else(|| bad("missing `.format` at the end"))?;
        let format = Format::parse(ext)
            .ok_or_else(|| bad("format must be jpeg, png, webp, avif or auto"))?;
        let mut parts = body.split('-');
        let dims = parts.next().ok_or_else(|| bad("missing size"))?;
        let fit = parts
            .next()
            .and_then(Fit::parse)
            .ok_or_else(|| bad("fit must be cover, contain, fill or inside"))?;
        let mut next = parts.next();
        // A gravity stands right after the fit; the centre is the default
        // and never written, so one crop has one spelling.
        let gravity = match next.and_then(Gravity::parse) {
            Some(Gravity::Centre) => {
                return Err(bad("the centre is the default gravity: leave it out"))
            }
            Some(g) => {
                next = parts.next();
                g
            }
            None => Gravity::Centre,
        };
        // `-up` follows the fit (and its gravity), nowhere else: one spelling.
        let enlarge = next == Some(ENLARGE_FLAG);
        if enlarge {
            next = parts.next();
        }
        let quality = match next {
            None => None,
            Some(q) => Some(
                q.strip_prefix('q')
                    .and_then(parse_canonical_number)
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or_else(|| bad("quality must be written q1–q100"))?,
            ),
        };
        if parts.next().is_some() {
            return Err(bad(
                "unexpected text after the quality (a gravity and `-up` go right after the fit)",
            ));
        }
        let (w, h) = dims
            .split_once('x')
            .ok_or_else(|| bad("size must be WIDTHxHEIGHT, `_` for a free side"))?;
        let side = |t: &str| -> Result<Option<u32>, MediaError> {
            if t == "_" {
                Ok(None)
            } else {
                parse_canonical_number(t)
                    .map(Some)
                    .ok_or_else(|| bad("sides are plain numbers without leading zeros, or `_`"))
            }
        };
        let spec = VariantSpec {
            width: side(w)?,
            height: side(h)?,
            fit,
            gravity,
            enlarge,
            format,
            quality,
        };
        if format.has_quality() && quality.is_none() {
            return Err(bad("lossy formats need a quality, e.g. q80"));
        }
        spec.check()?;
        Ok(spec)
    }
}

/// Digits only, no sign, no leading zero, at most 4 digits.
fn parse_canonical_number(t: &str) -> Option<u32> {
    let ok = !t.is_empty()
        && t.len() <= 4
        && t.bytes().all(|b| b.is_ascii_digit())
        && !(t.len() > 1 && t.starts_with('0'));
    ok.then(|| t.parse().ok()).flatten()
}

impl fmt::Display for VariantSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |s: Option<u32>| s.map_or_else(|| "_".to_string(), |n| n.to_string());
        write!(
            f,
            "{}x{}-{}",
            side(self.width),
            side(self.height),
            self.fit.as_str()
        )?;
        if self.gravity != Gravity::Centre {
            write!(f, "-{}", self.gravity)?;
        }
        if self.enlarge {
            write!(f, "-{ENLARGE_FLAG}")?;
        }
        if let Some(q) = self.quality {
            write!(f, "-q{q}")?;
        }
        write!(f, ".{}", self.format.as_str())
    }
}

impl FromStr for VariantSpec {
    type Err = MediaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VariantSpec::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_specs_round_trip() {
        for s in [
            "720x480-cover-q80.webp",
            "720x_-inside-q80.jpeg",
            "_x300-inside-q60.avif",
            "256x256-contain.png",
            "64x64-fill-q100.auto",
            "64x64-cover-up-q80.webp",
            "_x300-inside-up-q60.avif",
            "256x256-contain-up.png",
            "480x320-cover-north-q80.jpeg",
            "480x320-cover-southwest-up-q80.webp",
            "160x160-cover-focus-q75.jpeg",
            "160x160-cover-entropy.png",
            "1600x1600-cover-attention-up-q100.auto",
        ] {
            let spec = VariantSpec::parse(s).unwrap();
            assert_eq!(spec.to_string(), s);
        }
    }

    #[test]
    fn enlargement_is_asked_for_with_up_and_older_spellings_never_enlarge() {
        // Every spec written before `-up` existed keeps its spelling (and so
        // its key) and means "never enlarge".
        for s in ["160x160-cover-q75.jpeg", "480x320-fill-q80.webp"] {
            assert!(!VariantSpec::parse(s).unwrap().enlarge, "{s}");
        }
        let up = VariantSpec::parse("160x160-cover-up-q75.jpeg").unwrap();
        assert!(up.enlarge);
        assert_eq!(
            up,
            VariantSpec {
                enlarge: true,
                ..VariantSpec::parse("160x160-cover-q75.jpeg").unwrap()
            }
        );
    }

    #[test]
    fn other_spellings_are_refused_with_a_reason() {
        for (s, why) in [
            ("0720x480-cover-q80.webp", "leading zeros"),
            ("720X480-cover-q80.webp", "WIDTHxHEIGHT"),
            ("720x480-cover.webp", "need a quality"),
            ("720x480-cover-q80.png", "lossless"),
            ("720x480-cover-q0.jpeg", "1–100"),
            ("720x_-cover-q80.jpeg", "need both"),
            ("_x_-inside-q80.jpeg", "width, a height"),
            ("9000x10-fill-q80.jpeg", "1–8192"),
            ("720x480-stretch-q80.jpeg", "fit must be"),
            ("720x480-cover-q80.gif", "format must be"),
            ("720x480-cover-q80-x.jpeg", "unexpected"),
            ("720x480", "missing `.format`"),
            ("+720x480-cover-q80.jpeg", "plain numbers"),
            ("720x480-cover-q80-up.jpeg", "right after the fit"),
            ("720x480-up-cover-q80.jpeg", "fit must be"),
            ("720x480-cover-up-up-q80.jpeg", "q1–q100"),
            ("720x480-cover-UP-q80.jpeg", "q1–q100"),
            ("720x480-cover-up.jpeg", "need a quality"),
            ("720x480-cover-centre-q80.jpeg", "leave it out"),
            ("720x480-cover-up-north-q80.jpeg", "q1–q100"),
            ("720x480-cover-north-north-q80.jpeg", "q1–q100"),
            ("720x480-cover-North-q80.jpeg", "q1–q100"),
            (
                "720x480-cover-q80-north.jpeg",
                "gravity and `-up` go right after",
            ),
            ("720x480-contain-north.png", "only cover takes a gravity"),
            (
                "720x_-inside-entropy-q80.jpeg",
                "only cover takes a gravity",
            ),
            ("720x480-fill-focus-q80.jpeg", "only cover takes a gravity"),
        ] {
            let err = VariantSpec::parse(s).unwrap_err();
            assert_eq!(err.code(), "invalid_spec");
            assert!(err.to_string().contains(why), "{s}: {err}");
        }
    }

    #[test]
    fn loose_parts_take_the_format_default_quality() {
        let spec = VariantSpec::new(
            Some(300),
            None,
            Fit::Inside,
            Gravity::Centre,
            false,
            Format::Avif,
            None,
        )
        .unwrap();
        assert_eq!(spec.to_string(), "300x_-inside-q60.avif");
        let png = VariantSpec::new(
            Some(300),
            Some(300),
            Fit::Cover,
            Gravity::Centre,
            true,
            Format::Png,
            Some(90),
        )
        .unwrap();
        assert_eq!(
            png.to_string(),
            "300x300-cover-up.png",
            "quality is dropped for PNG"
        );
    }

    #[test]
    fn every_gravity_is_spelled_after_the_fit_and_the_centre_not_at_all() {
        for gravity in Gravity::ALL {
            let spec = VariantSpec::new(
                Some(480),
                Some(320),
                Fit::Cover,
                gravity,
                true,
                Format::Webp,
                None,
            )
            .unwrap();
            let text = spec.to_string();
            let want = match gravity {
                Gravity::Centre => "480x320-cover-up-q80.webp".to_string(),
                g => format!("480x320-cover-{g}-up-q80.webp"),
            };
            assert_eq!(text, want);
            assert_eq!(VariantSpec::parse(&text).unwrap(), spec);
        }
        let contain = VariantSpec::new(
            Some(480),
            Some(320),
            Fit::Contain,
            Gravity::North,
            false,
            Format::Png,
            None,
        );
        assert_eq!(contain.unwrap_err().code(), "invalid_spec");
    }
}
