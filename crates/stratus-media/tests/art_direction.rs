//! Art direction: gravity in `cover` crops (compass points, the original's
//! focal point, the entropy and attention smart crops) on synthetic
//! pictures where the right crop is known, and the focal point as the
//! original's metadata on a local folder and the S3-compatible server.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod support;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;
use image::{ImageFormat, Rgb, RgbImage};
use stratus_core::store::{ListRequest, ObjectStore, PutOptions};
use stratus_media::focus::{focus_of, set_focus, FOCUS_METADATA};
use stratus_media::originals::upload_original;
use stratus_media::{
    render, render_with_focus, FocalPoint, Limits, OutputFormat, PresetCatalog, VariantService,
    VariantSpec,
};

const GREY: Rgb<u8> = Rgb([128, 128, 128]);
const RED: Rgb<u8> = Rgb([230, 20, 20]);
const BLUE: Rgb<u8> = Rgb([20, 20, 230]);

fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A busy, colourful, bright texture: what a subject looks like next to a
/// studio backdrop. No pixel is close to grey.
fn detail(x: u32, y: u32) -> Rgb<u8> {
    // Bright colours whose average is far from grey too, so the square
    // stays visible when it is scaled down.
    let palette = [
        Rgb([250, 60, 60]),
        Rgb([60, 250, 250]),
        Rgb([250, 250, 60]),
        Rgb([250, 250, 250]),
        Rgb([60, 250, 60]),
        Rgb([250, 160, 60]),
    ];
    let noise = (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)).wrapping_mul(2_654_435_761) >> 29;
    palette[((x / 3 + y / 3 + noise) % 6) as usize]
}

/// A flat grey `w`×`h` picture with a detailed square of `side` px whose
/// top-left corner is at (`sx`, `sy`).
fn square_on_backdrop(w: u32, h: u32, (sx, sy): (u32, u32), side: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let inside = (sx..sx + side).contains(&x) && (sy..sy + side).contains(&y);
        if inside {
            detail(x, y)
        } else {
            GREY
        }
    })
}

fn decode(bytes: &[u8]) -> RgbImage {
    image::load_from_memory(bytes).unwrap().to_rgb8()
}

/// Pixels clearly not the grey backdrop.
fn subject_pixels(image: &RgbImage) -> usize {
    image
        .pixels()
        .filter(|p| p.0.iter().any(|&c| c.abs_diff(128) > 40))
        .count()
}

fn spec(s: &str) -> VariantSpec {
    VariantSpec::parse(s).unwrap()
}

fn cut(source: &RgbImage, spec_text: &str, focus: Option<FocalPoint>) -> RgbImage {
    let out = render_with_focus(
        "art.png",
        &png(source),
        focus,
        &spec(spec_text),
        OutputFormat::Png,
        &Limits::default(),
    )
    .unwrap();
    decode(&out.bytes)
}

#[test]
fn smart_crops_keep_a_detailed_square_that_the_centre_cuts_off() {
    // Wide and tall, subject near either end, cut at the original's scale
    // (whole pixels: the square's pixels come through exactly).
    for (w, h, at, box_spec) in [
        (600, 200, (470, 70), "200x200-cover"),
        (600, 200, (40, 100), "200x200-cover"),
        (200, 600, (120, 480), "200x200-cover"),
        (200, 600, (10, 30), "200x200-cover"),
    ] {
        let side = 60;
        let source = square_on_backdrop(w, h, at, side);
        let whole = (side * side) as usize;
        assert_eq!(subject_pixels(&source), whole);
        let centred = cut(&source, &format!("{box_spec}.png"), None);
        assert_eq!(subject_pixels(&centred), 0, "the centre misses it");
        for gravity in ["entropy", "attention"] {
            let out = cut(&source, &format!("{box_spec}-{gravity}.png"), None);
            assert_eq!(out.dimensions(), (200, 200));
            assert_eq!(
                subject_pixels(&out),
                whole,
                "{gravity}: the whole square of a {w}×{h} at {at:?}"
            );
        }
    }
}

#[test]
fn smart_crops_find_the_subject_in_a_large_original_they_analyse_small() {
    // 3000×1000 is searched on a 256×85 copy; the window is then placed
    // on the full image and scaled down to the box.
    let source = square_on_backdrop(3000, 1000, (2500, 400), 300);
    for gravity in ["entropy", "attention"] {
        let out = cut(&source, &format!("300x300-cover-{gravity}.png"), None);
        // The square is 90×90 at the output's scale (0.3): allow its
        // resampled rim to blend into the backdrop.
        let found = subject_pixels(&out);
        assert!(found >= 80 * 80, "{gravity}: {found} subject pixels");
    }
    assert_eq!(subject_pixels(&cut(&source, "300x300-cover.png", None)), 0);
}

/// Grey with a red band along the top edge and a blue one along the
/// bottom (tall), or red on the left and blue on the right (wide).
fn banded(w: u32, h: u32) -> RgbImage {
    let tall = h > w;
    RgbImage::from_fn(w, h, |x, y| {
        let (along, len) = if tall { (y, h) } else { (x, w) };
        if along < 20 {
            RED
        } else if along >= len - 20 {
            BLUE
        } else {
            GREY
        }
    })
}

fn count(image: &RgbImage, colour: Rgb<u8>) -> usize {
    image.pixels().filter(|p| **p == colour).count()
}

#[test]
fn compass_gravities_keep_their_edge() {
    let tall = banded(200, 600);
    let north = cut(&tall, "200x200-cover-north.png", None);
    assert_eq!(north.get_pixel(100, 0), &RED, "north keeps the top rows");
    assert_eq!(count(&north, RED), 200 * 20);
    assert_eq!(count(&north, BLUE), 0);
    let south = cut(&tall, "200x200-cover-south.png", None);
    assert_eq!(
        south.get_pixel(100, 199),
        &BLUE,
        "south keeps the bottom rows"
    );
    assert_eq!(count(&south, RED), 0);
    let centre = cut(&tall, "200x200-cover.png", None);
    assert_eq!((count(&centre, RED), count(&centre, BLUE)), (0, 0));

    let wide = banded(600, 200);
    assert_eq!(
        cut(&wide, "200x200-cover-west.png", None).get_pixel(0, 100),
        &RED
    );
    assert_eq!(
        cut(&wide, "200x200-cover-east.png", None).get_pixel(199, 100),
        &BLUE
    );
    assert_eq!(
        cut(&wide, "200x200-cover-northeast.png", None).get_pixel(199, 0),
        &BLUE
    );
    assert_eq!(
        cut(&wide, "200x200-cover-southwest.png", None).get_pixel(0, 199),
        &RED
    );
}

/// Grey, 600×400, with a red block in the bottom-right corner and a blue
/// one in the bottom-left.
fn corners() -> RgbImage {
    RgbImage::from_fn(600, 400, |x, y| match (x, y) {
        (560.., 360..) => RED,
        (..40, 360..) => BLUE,
        _ => GREY,
    })
}

fn corner_colours(image: &RgbImage) -> (bool, bool) {
    let near = |p: &Rgb<u8>, c: Rgb<u8>| p.0.iter().zip(c.0).all(|(a, b)| a.abs_diff(b) < 40);
    (
        image.pixels().any(|p| near(p, RED)),
        image.pixels().any(|p| near(p, BLUE)),
    )
}

#[test]
fn focus_near_a_corner_keeps_that_corner_and_without_one_the_centre() {
    let source = corners();
    let point = FocalPoint::new(0.97, 0.95);
    // 600×400 into 200×200: a 400×400 window, scaled by one half.
    let focused = cut(&source, "200x200-cover-focus.png", point);
    assert_eq!(corner_colours(&focused), (true, false));
    assert!(focused.get_pixel(199, 199).0[0] > 200, "the corner itself");
    assert_eq!(
        corner_colours(&cut(&source, "200x200-cover-focus.png", None)),
        (false, false)
    );
    // Only the `focus` gravity follows the point.
    assert_eq!(
        corner_colours(&cut(&source, "200x200-cover.png", point)),
        (false, false)
    );
    let left = FocalPoint::new(0.02, 0.5);
    assert_eq!(
        corner_colours(&cut(&source, "200x200-cover-focus.png", left)),
        (false, true)
    );
}

#[test]
fn fits_that_crop_nothing_ignore_gravity_and_the_focal_point() {
    let source = corners();
    let point = FocalPoint::new(1.0, 1.0);
    let render = |s: &str, focus| {
        render_with_focus(
            "c.png",
            &png(&source),
            focus,
            &spec(s),
            OutputFormat::Png,
            &Limits::default(),
        )
        .unwrap()
        .bytes
    };
    assert_eq!(
        render("300x300-contain.png", point),
        render("300x300-contain.png", None)
    );
}

async fn variants(store: &dyn ObjectStore) -> Vec<String> {
    let page = store.list(ListRequest::prefix("variants/")).await.unwrap();
    page.objects.into_iter().map(|o| o.key).collect()
}

fn focal_catalog() -> PresetCatalog {
    let mut catalog = PresetCatalog::empty();
    catalog
        .set_preset("focal", spec("200x200-cover-focus.png"))
        .unwrap();
    catalog
        .set_preset("plain", spec("200x200-cover.png"))
        .unwrap();
    catalog
}

/// Which corner blocks the `focal` preset of `key` shows.
async fn focal_colours(service: &VariantService, key: &str) -> (bool, bool) {
    let made = service
        .get_variant(&focal_catalog(), key, "focal", None)
        .await
        .unwrap();
    corner_colours(&decode(&made.bytes))
}

mod cases {
    use super::*;

    pub async fn a_focal_point_is_kept_with_the_original_and_a_change_purges_its_variants(
        store: Arc<dyn ObjectStore>,
    ) {
        let key = "art/corners.png";
        let bytes = Bytes::from(png(&corners()));
        upload_original(&*store, key, bytes.clone(), &Limits::default())
            .await
            .unwrap();
        let service = VariantService::new(Arc::clone(&store), Limits::default());
        let catalog = focal_catalog();
        assert_eq!(focus_of(&*store, key).await.unwrap(), None);
        assert_eq!(
            focal_colours(&service, key).await,
            (false, false),
            "no point: the centre"
        );
        service
            .get_variant(&catalog, key, "plain", None)
            .await
            .unwrap();
        assert_eq!(variants(&*store).await.len(), 2);

        let point = FocalPoint::new(0.97, 0.95).unwrap();
        let changed = set_focus(&*store, key, Some(point)).await.unwrap();
        assert_eq!(changed.variants.len(), 2, "every variant of the original");
        assert!(variants(&*store).await.is_empty());
        assert_eq!(focus_of(&*store, key).await.unwrap(), Some(point));
        let head = store.head(key).await.unwrap().unwrap();
        assert_eq!(head.metadata.get(FOCUS_METADATA).unwrap(), "0.97,0.95");
        assert_eq!(head.content_type.as_deref(), Some("image/png"), "kept");
        assert_eq!(store.get_bytes(key).await.unwrap(), bytes, "bytes kept");
        assert_eq!(
            focal_colours(&service, key).await,
            (true, false),
            "made anew from the point"
        );

        let cleared = set_focus(&*store, key, None).await.unwrap();
        assert_eq!(cleared.variants.len(), 1);
        assert_eq!(focus_of(&*store, key).await.unwrap(), None);
        assert!(!store
            .head(key)
            .await
            .unwrap()
            .unwrap()
            .metadata
            .contains_key(FOCUS_METADATA));
        assert_eq!(focal_colours(&service, key).await, (false, false));

        let missing = set_focus(&*store, "art/none.png", Some(point)).await;
        assert_eq!(missing.unwrap_err().code(), "original_not_found");
        let escaping = set_focus(&*store, "../x.png", Some(point)).await;
        assert_eq!(escaping.unwrap_err().code(), "invalid_key");
    }

    pub async fn hostile_focus_metadata_is_ignored_for_the_centre(store: Arc<dyn ObjectStore>) {
        let source = png(&corners());
        let centre = render(
            "c.png",
            &source,
            &spec("200x200-cover.png"),
            OutputFormat::Png,
            &Limits::default(),
        )
        .unwrap()
        .bytes;
        let service = VariantService::new(Arc::clone(&store), Limits::default());
        let catalog = focal_catalog();
        for (i, hostile) in [
            "NaN,NaN",
            "over there",
            "2,2",
            "-1,0.5",
            "0.5",
            "inf,1",
            "1e9,0",
        ]
        .into_iter()
        .enumerate()
        {
            let key = format!("hostile/{i}.png");
            let options = PutOptions {
                content_type: Some("image/png".to_string()),
                metadata: BTreeMap::from([(FOCUS_METADATA.to_string(), hostile.to_string())]),
                ..PutOptions::default()
            };
            store
                .put(&key, Bytes::from(source.clone()), options)
                .await
                .unwrap();
            assert_eq!(focus_of(&*store, &key).await.unwrap(), None, "{hostile}");
            let made = service
                .get_variant(&catalog, &key, "focal", None)
                .await
                .unwrap();
            assert_eq!(made.bytes, centre, "{hostile}: the centre crop");
        }
    }
}

on_both_stores!(
    a_focal_point_is_kept_with_the_original_and_a_change_purges_its_variants,
    hostile_focus_metadata_is_ignored_for_the_centre,
);
