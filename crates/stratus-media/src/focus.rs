//! An original's focal point: the spot an editor clicked in the detail
//! view, which `cover` crops with `focus` gravity keep in the picture. It
//! is stored with the original, as S3 user metadata (`x-amz-meta-stratus-focus:
//! 0.42,0.31`, fractions of the upright image's width and height), so the
//! function reads it from the head it already asks for on a miss, with no
//! database of its own. Changing it rewrites the original's metadata in
//! place (CopyObject onto itself) and purges its variants, as replacing the
//! original does; on AWS the copy's notification also invalidates the CDN.

use std::collections::BTreeMap;
use std::fmt;

use stratus_core::store::ObjectStore;

use crate::error::{MediaError, Result};
use crate::key::validate_original_key;
use crate::purge::purge_variants;

/// The user-metadata key (S3 sends it as `x-amz-meta-stratus-focus`).
pub const FOCUS_METADATA: &str = "stratus-focus";

/// Longer than any value we write; anything longer is not ours.
const MAX_TEXT: usize = 32;

/// A point in an upright original, as fractions (0–1) of its width and
/// height from the top-left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FocalPoint {
    x: f64,
    y: f64,
}

impl FocalPoint {
    /// A point within the image; `None` for anything else (NaN, infinities,
    /// outside 0–1).
    pub fn new(x: f64, y: f64) -> Option<FocalPoint> {
        let fraction = |v: f64| (0.0..=1.0).contains(&v);
        (fraction(x) && fraction(y)).then_some(FocalPoint { x, y })
    }

    pub fn x(&self) -> f64 {
        self.x
    }

    pub fn y(&self) -> f64 {
        self.y
    }

    /// `x,y` as written by [`fmt::Display`] (or by hand, e.g. `0.5,0.25`):
    /// two plain decimal fractions. Anything else is `None`, never an
    /// error, so a hostile or garbled value only means "no focal point".
    pub fn parse(text: &str) -> Option<FocalPoint> {
        if text.len() > MAX_TEXT {
            return None;
        }
        let (x, y) = text.split_once(',')?;
        let number = |t: &str| -> Option<f64> {
            // Plain decimals only: no signs, exponents, `inf` or `NaN`.
            let plain = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            plain.then(|| t.parse().ok()).flatten()
        };
        FocalPoint::new(number(x)?, number(y)?)
    }

    /// A point an editor typed (`x,y`) or clicked: a typed error for
    /// anything [`FocalPoint::parse`] would ignore.
    pub fn from_input(text: &str) -> Result<FocalPoint> {
        FocalPoint::parse(text.trim())
            .ok_or_else(|| MediaError::InvalidFocus(text.escape_debug().to_string()))
    }

    /// Like [`FocalPoint::new`], with a typed error for a point off the image.
    pub fn checked(x: f64, y: f64) -> Result<FocalPoint> {
        FocalPoint::new(x, y).ok_or_else(|| MediaError::InvalidFocus(format!("{x},{y}")))
    }

    /// The focal point an original's metadata holds, if it holds a valid one.
    pub fn from_metadata(metadata: &BTreeMap<String, String>) -> Option<FocalPoint> {
        metadata
            .get(FOCUS_METADATA)
            .and_then(|v| FocalPoint::parse(v))
    }
}

impl fmt::Display for FocalPoint {
    /// Four decimals: a tenth of a pixel on a 1000 px image, short enough
    /// for a header.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = |v: f64| {
            let text = format!("{v:.4}");
            let text = text.trim_end_matches('0');
            text.strip_suffix('.').unwrap_or(text).to_string()
        };
        write!(f, "{},{}", short(self.x), short(self.y))
    }
}

/// What changing a focal point did.
#[derive(Debug, Clone, PartialEq)]
pub struct Refocused {
    pub original: String,
    pub focus: Option<FocalPoint>,
    /// Keys of the variants purged (made again, from the new point, on
    /// their next request).
    pub variants: Vec<String>,
}

/// The original's focal point, `None` when it has none (or an unreadable one).
pub async fn focus_of(store: &dyn ObjectStore, key: &str) -> Result<Option<FocalPoint>> {
    validate_original_key(key)?;
    let meta = store
        .head(key)
        .await?
        .ok_or_else(|| MediaError::OriginalNotFound(key.to_string()))?;
    Ok(FocalPoint::from_metadata(&meta.metadata))
}

/// Sets (or with `None` clears) an original's focal point: its user
/// metadata is rewritten in place, keeping its bytes, content type and
/// other metadata, then its variants are purged, since a crop may have
/// depended on the point.
pub async fn set_focus(
    store: &dyn ObjectStore,
    key: &str,
    focus: Option<FocalPoint>,
) -> Result<Refocused> {
    validate_original_key(key)?;
    let meta = store
        .head(key)
        .await?
        .ok_or_else(|| MediaError::OriginalNotFound(key.to_string()))?;
    let mut metadata = meta.metadata.clone();
    match focus {
        Some(point) => metadata.insert(FOCUS_METADATA.to_string(), point.to_string()),
        None => metadata.remove(FOCUS_METADATA),
    };
    store.replace_metadata(&meta, metadata).await?;
    let variants = purge_variants(store, key).await?;
    Ok(Refocused {
        original: key.to_string(),
        focus,
        variants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_round_trips_through_its_text() {
        for (x, y, text) in [
            (0.42, 0.31, "0.42,0.31"),
            (0.0, 1.0, "0,1"),
            (0.5, 0.25, "0.5,0.25"),
            (1.0 / 3.0, 0.123456, "0.3333,0.1235"),
        ] {
            let point = FocalPoint::new(x, y).unwrap();
            assert_eq!(point.to_string(), text);
            let back = FocalPoint::parse(text).unwrap();
            assert!((back.x() - x).abs() < 1e-4 && (back.y() - y).abs() < 1e-4);
        }
    }

    #[test]
    fn hostile_values_mean_no_focal_point() {
        for text in [
            "",
            ",",
            "0.5",
            "0.5,",
            ",0.5",
            "0.5,0.5,0.5",
            "NaN,0.5",
            "nan,nan",
            "inf,0.5",
            "0.5,-0",
            "-0.1,0.5",
            "1.5,0.5",
            "0.5,2",
            "1e-1,0.5",
            "+0.5,0.5",
            " 0.5,0.5",
            "0.5, 0.5",
            "0x1,0.5",
            "..,0.5",
            "0.5;0.5",
            "0.50000000000000000000000000000000001,0.5",
            "\u{0}0.5,0.5",
            "٠.٥,0.5",
        ] {
            assert_eq!(FocalPoint::parse(text), None, "{text:?}");
        }
        assert_eq!(FocalPoint::new(f64::NAN, 0.5), None);
        assert_eq!(FocalPoint::new(0.5, f64::INFINITY), None);
        let garbage = BTreeMap::from([(FOCUS_METADATA.to_string(), "over there".to_string())]);
        assert_eq!(FocalPoint::from_metadata(&garbage), None);
    }
}
