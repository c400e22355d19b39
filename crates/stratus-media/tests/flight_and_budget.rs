//! Races of the resize-on-miss service, set up by order of events (a store
//! that parks one read at a gate), never by sleeping.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use stratus_core::store::{GatedStore, LocalStore, ObjectStore, PutOptions};
use stratus_media::originals::upload_original;
use stratus_media::{BudgetConfig, Limits, Outcome, PresetCatalog, VariantService};

fn photo(w: u16, h: u16) -> Bytes {
    let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .flat_map(|i| [(i % 251) as u8, (i / 7 % 251) as u8, 90])
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    Bytes::from(out)
}

fn gated_bucket() -> (tempfile::TempDir, Arc<dyn ObjectStore>, Arc<GatedStore>) {
    let dir = tempfile::tempdir().unwrap();
    let local: Arc<dyn ObjectStore> = Arc::new(LocalStore::open(dir.path()).unwrap());
    let gated = Arc::new(GatedStore::new(Arc::clone(&local)));
    (dir, local, gated)
}

/// Issue 10 item 8: a slow remake from the previous original is in flight;
/// the original is replaced; a request that sees the new original must get a
/// variant of it, not join the old remake.
#[tokio::test]
async fn a_request_after_the_original_changed_never_joins_the_old_remake() {
    let (_dir, local, gated) = gated_bucket();
    let catalog = PresetCatalog::default();
    let limits = Limits::default();
    local
        .put("swap.jpg", photo(640, 320), PutOptions::default())
        .await
        .unwrap();
    let store: Arc<dyn ObjectStore> = gated.clone();
    let service = Arc::new(VariantService::new(store, limits));
    // A variant of a first original, then the original is replaced (which
    // purges it), so the next request is a remake.
    service
        .get_variant(&catalog, "swap.jpg", "hero", None)
        .await
        .unwrap();
    upload_original(&*local, "swap.jpg", photo(800, 400), &limits)
        .await
        .unwrap();

    // Request A remakes from the 800×400 original and is held mid-way.
    gated.park_next_get("swap.jpg");
    let slow = {
        let (service, catalog) = (Arc::clone(&service), catalog.clone());
        tokio::spawn(async move {
            service
                .get_variant(&catalog, "swap.jpg", "hero", None)
                .await
                .unwrap()
        })
    };
    gated.wait_parked().await;
    upload_original(&*local, "swap.jpg", photo(400, 800), &limits)
        .await
        .unwrap();
    // Request B sees the 400×800 original. A is let go the moment B has
    // looked at the original (its heads: the first make's two, A's, then
    // B's), so A's flight is still open when B decides whether to join it.
    gated.open_on_head("swap.jpg", 4);
    let fresh = service
        .get_variant(&catalog, "swap.jpg", "hero", None)
        .await
        .unwrap();
    assert_eq!(
        (fresh.width, fresh.height),
        (Some(400), Some(800)),
        "a request after the change got a variant of the old original"
    );
    let old = slow.await.unwrap();
    assert_eq!((old.width, old.height), (Some(800), Some(400)));

    // What is stored (and served from now on) is the new one: A's remake of
    // the old original answered A but was never stored.
    let later = service
        .get_variant(&catalog, "swap.jpg", "hero", None)
        .await
        .unwrap();
    assert_eq!(later.outcome, Outcome::Hit);
    assert_eq!((later.width, later.height), (Some(400), Some(800)));
}

/// A hit costs one store request: the variant itself, nothing about the
/// original (a miss goes on to the original).
#[tokio::test]
async fn a_hit_is_one_store_request() {
    let (_dir, local, gated) = gated_bucket();
    let catalog = PresetCatalog::default();
    local
        .put("one.jpg", photo(640, 320), PutOptions::default())
        .await
        .unwrap();
    let store: Arc<dyn ObjectStore> = gated.clone();
    let service = VariantService::new(store, Limits::default());
    let made = service
        .get_variant(&catalog, "one.jpg", "thumb", None)
        .await
        .unwrap();
    assert!(matches!(made.outcome, Outcome::Made { .. }));
    let miss = gated.take_requests();
    assert!(miss.contains(&"GET one.jpg".to_string()), "{miss:?}");

    let hit = service
        .get_variant(&catalog, "one.jpg", "thumb", None)
        .await
        .unwrap();
    assert_eq!(hit.outcome, Outcome::Hit);
    assert_eq!(gated.take_requests(), [format!("GET {}", made.key)]);
}

/// Issue 11 item 8: renders share a pixel budget; a miss that does not fit
/// is refused as busy instead of decoding alongside.
#[tokio::test]
async fn a_render_beyond_the_pixel_budget_is_refused_as_busy() {
    let (_dir, local, gated) = gated_bucket();
    let catalog = PresetCatalog::default();
    for key in ["a.jpg", "b.jpg"] {
        local
            .put(key, photo(800, 400), PutOptions::default())
            .await
            .unwrap();
    }
    let store: Arc<dyn ObjectStore> = gated.clone();
    let budget = BudgetConfig {
        pixels: 800 * 400,
        max_wait: Duration::ZERO,
    };
    let service = Arc::new(VariantService::with_budget(
        store,
        Limits::default(),
        budget,
    ));
    gated.park_next_get("a.jpg");
    let first = {
        let (service, catalog) = (Arc::clone(&service), catalog.clone());
        tokio::spawn(async move { service.get_variant(&catalog, "a.jpg", "hero", None).await })
    };
    // A holds the whole budget while its original downloads.
    gated.wait_parked().await;
    assert_eq!(service.budget().available(), 0);
    let err = service
        .get_variant(&catalog, "b.jpg", "hero", None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "busy", "{err}");
    assert_eq!(
        service
            .stats()
            .resizes
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );

    gated.open();
    first.await.unwrap().unwrap();
    assert_eq!(service.budget().available(), 800 * 400, "given back");
    service
        .get_variant(&catalog, "b.jpg", "hero", None)
        .await
        .unwrap();
}
