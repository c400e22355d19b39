//! `Gravity`: which part of the original a `cover` crop keeps. The spec
//! writes it right after the fit (`480x320-cover-north-q80.jpeg`); the
//! default, the centre, is never written, so older specs keep their key.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a `cover` crop's window sits in the original.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gravity {
    /// The middle of the original (the default; never written in a spec).
    #[default]
    Centre,
    North,
    NorthEast,
    East,
    SouthEast,
    South,
    SouthWest,
    West,
    NorthWest,
    /// The original's focal point (object metadata, see [`crate::focus`]);
    /// the centre when it has none.
    Focus,
    /// The window whose luminance histogram has the highest Shannon
    /// entropy: the busiest part of the picture.
    Entropy,
    /// The window with the most of a cheap saliency measure: fine detail,
    /// colour saturation and skin tones.
    Attention,
}

impl Gravity {
    /// Every gravity, the default first (for forms and tests).
    pub const ALL: [Gravity; 12] = [
        Gravity::Centre,
        Gravity::North,
        Gravity::NorthEast,
        Gravity::East,
        Gravity::SouthEast,
        Gravity::South,
        Gravity::SouthWest,
        Gravity::West,
        Gravity::NorthWest,
        Gravity::Focus,
        Gravity::Entropy,
        Gravity::Attention,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Gravity::Centre => "centre",
            Gravity::North => "north",
            Gravity::NorthEast => "northeast",
            Gravity::East => "east",
            Gravity::SouthEast => "southeast",
            Gravity::South => "south",
            Gravity::SouthWest => "southwest",
            Gravity::West => "west",
            Gravity::NorthWest => "northwest",
            Gravity::Focus => "focus",
            Gravity::Entropy => "entropy",
            Gravity::Attention => "attention",
        }
    }

    /// The names [`Gravity::as_str`] gives, and nothing else.
    pub fn parse(s: &str) -> Option<Gravity> {
        Gravity::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// The point (fractions of the original's width and height) a fixed
    /// gravity centres the crop window on; the window is then kept inside
    /// the image, so `north`'s (½, 0) keeps the top rows. `None` for the
    /// gravities that need the original: its focal point or its pixels.
    pub fn fixed_point(self) -> Option<(f64, f64)> {
        Some(match self {
            Gravity::Centre => (0.5, 0.5),
            Gravity::North => (0.5, 0.0),
            Gravity::NorthEast => (1.0, 0.0),
            Gravity::East => (1.0, 0.5),
            Gravity::SouthEast => (1.0, 1.0),
            Gravity::South => (0.5, 1.0),
            Gravity::SouthWest => (0.0, 1.0),
            Gravity::West => (0.0, 0.5),
            Gravity::NorthWest => (0.0, 0.0),
            Gravity::Focus | Gravity::Entropy | Gravity::Attention => return None,
        })
    }
}

impl fmt::Display for Gravity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
