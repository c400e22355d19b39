//! Resize on miss over the object store: against a local folder and the
//! S3-compatible server.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use stratus_core::store::{ListRequest, LocalStore, ObjectStore, PutOptions};
use stratus_media::originals::upload_original;
use stratus_media::{Limits, Outcome, PresetCatalog, VariantService};

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

async fn variants(store: &dyn ObjectStore) -> Vec<String> {
    store
        .list(ListRequest::prefix("variants/"))
        .await
        .unwrap()
        .objects
        .into_iter()
        .map(|o| o.key)
        .collect()
}

mod cases {
    use super::*;

    pub async fn miss_then_made_then_hit(store: Arc<dyn ObjectStore>) {
        store
            .put("products/shoe.jpg", photo(800, 600), PutOptions::default())
            .await
            .unwrap();
        let service = VariantService::new(Arc::clone(&store), Limits::default());
        let catalog = PresetCatalog::default();

        let first = service
            .get_variant(&catalog, "products/shoe.jpg", "card", None)
            .await
            .unwrap();
        assert!(matches!(first.outcome, Outcome::Made { .. }));
        assert_eq!(first.key, "variants/products/shoe.jpg/card.jpeg");
        assert_eq!((first.width, first.height), (Some(480), Some(320)));

        let stored = store.head(&first.key).await.unwrap().unwrap();
        assert_eq!(stored.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(
            stored.cache_control.as_deref(),
            Some("public, max-age=86400, s-maxage=31536000")
        );
        let source = store.head("products/shoe.jpg").await.unwrap().unwrap();
        assert_eq!(stored.metadata.get("source-etag"), source.etag.as_ref());

        let second = service
            .get_variant(&catalog, "products/shoe.jpg", "card", None)
            .await
            .unwrap();
        assert_eq!(second.outcome, Outcome::Hit);
        assert_eq!(second.bytes, first.bytes);
        assert_eq!((second.width, second.height), (Some(480), Some(320)));
        assert_eq!(service.stats().resizes.load(Ordering::Relaxed), 1);
    }

    pub async fn fifty_concurrent_misses_make_one_resize_and_one_write(
        store: Arc<dyn ObjectStore>,
    ) {
        store
            .put("crowd.jpg", photo(1200, 900), PutOptions::default())
            .await
            .unwrap();
        let service = Arc::new(VariantService::new(Arc::clone(&store), Limits::default()));
        let catalog = Arc::new(PresetCatalog::default());
        let requests: Vec<_> = (0..50)
            .map(|_| {
                let (service, catalog) = (Arc::clone(&service), Arc::clone(&catalog));
                tokio::spawn(async move {
                    service
                        .get_variant(&catalog, "crowd.jpg", "thumb", None)
                        .await
                })
            })
            .collect();
        let mut bodies = Vec::new();
        for r in requests {
            bodies.push(r.await.unwrap().unwrap().bytes);
        }
        assert!(
            bodies.windows(2).all(|w| w[0] == w[1]),
            "every request gets the same variant"
        );
        assert_eq!(
            service.stats().resizes.load(Ordering::Relaxed),
            1,
            "one resize"
        );
        assert_eq!(
            service.stats().writes.load(Ordering::Relaxed),
            1,
            "one write"
        );
        assert_eq!(variants(&*store).await, ["variants/crowd.jpg/thumb.jpeg"]);
    }

    pub async fn two_processes_never_overwrite_each_other(store: Arc<dyn ObjectStore>) {
        store
            .put("race.jpg", photo(640, 480), PutOptions::default())
            .await
            .unwrap();
        // Two services share no in-process state, like two Lambda instances.
        let a = VariantService::new(Arc::clone(&store), Limits::default());
        let b = VariantService::new(Arc::clone(&store), Limits::default());
        let catalog = PresetCatalog::default();
        let (ra, rb) = tokio::join!(
            a.get_variant(&catalog, "race.jpg", "card-webp", None),
            b.get_variant(&catalog, "race.jpg", "card-webp", None)
        );
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        let writes =
            a.stats().writes.load(Ordering::Relaxed) + b.stats().writes.load(Ordering::Relaxed);
        // Whoever comes second either finds the variant stored (a hit) or
        // loses the conditional create: either way one write.
        assert_eq!(writes, 1);
        let stored = store.get_bytes(&ra.key).await.unwrap();
        assert_eq!(stored, ra.bytes, "both serve the stored bytes");
        assert_eq!(stored, rb.bytes);
        assert_eq!(variants(&*store).await.len(), 1);
    }

    pub async fn a_replaced_original_is_remade(store: Arc<dyn ObjectStore>) {
        store
            .put("swap.jpg", photo(800, 400), PutOptions::default())
            .await
            .unwrap();
        let service = VariantService::new(Arc::clone(&store), Limits::default());
        let catalog = PresetCatalog::default();
        let wide = service
            .get_variant(&catalog, "swap.jpg", "hero", None)
            .await
            .unwrap();
        assert_eq!((wide.width, wide.height), (Some(800), Some(400)));

        // Replaced through the app or CLI (the S3 notification does the
        // same on Lambda): the old variants go with it.
        upload_original(&*store, "swap.jpg", photo(400, 800), &Limits::default())
            .await
            .unwrap();
        let tall = service
            .get_variant(&catalog, "swap.jpg", "hero", None)
            .await
            .unwrap();
        assert!(
            matches!(tall.outcome, Outcome::Made { .. }),
            "a new original means a new variant"
        );
        assert_eq!((tall.width, tall.height), (Some(400), Some(800)));
        let again = service
            .get_variant(&catalog, "swap.jpg", "hero", None)
            .await
            .unwrap();
        assert_eq!(again.outcome, Outcome::Hit);
        assert_eq!(again.bytes, tall.bytes);
    }

    pub async fn a_failed_resize_stores_nothing(store: Arc<dyn ObjectStore>) {
        store
            .put(
                "broken.jpg",
                Bytes::from_static(b"not really a jpeg"),
                PutOptions::default(),
            )
            .await
            .unwrap();
        let service = VariantService::new(Arc::clone(&store), Limits::default());
        let catalog = PresetCatalog::default();
        for _ in 0..2 {
            let err = service
                .get_variant(&catalog, "broken.jpg", "thumb", None)
                .await
                .unwrap_err();
            assert_eq!(err.code(), "undecodable");
        }
        assert_eq!(
            service.stats().resizes.load(Ordering::Relaxed),
            2,
            "errors are not cached"
        );
        assert!(
            variants(&*store).await.is_empty(),
            "nothing stored for a failure"
        );

        let missing = service
            .get_variant(&catalog, "nope.jpg", "thumb", None)
            .await
            .unwrap_err();
        assert_eq!(missing.code(), "original_not_found");
        let not_allowed = service
            .get_variant(&catalog, "broken.jpg", "999x999-cover-q80.jpeg", None)
            .await
            .unwrap_err();
        assert_eq!(not_allowed.code(), "spec_not_allowed");
        let escape = service
            .get_variant(&catalog, "../etc/passwd", "thumb", None)
            .await
            .unwrap_err();
        assert_eq!(escape.code(), "invalid_key");
    }

    pub async fn auto_negotiates_and_keys_per_format(store: Arc<dyn ObjectStore>) {
        store
            .put("auto.jpg", photo(600, 400), PutOptions::default())
            .await
            .unwrap();
        let service = VariantService::new(Arc::clone(&store), Limits::default());
        let catalog = PresetCatalog::default();
        let webp = service
            .get_variant(&catalog, "auto.jpg", "card-auto", Some("image/webp,*/*"))
            .await
            .unwrap();
        let jpeg = service
            .get_variant(&catalog, "auto.jpg", "card-auto", Some("*/*"))
            .await
            .unwrap();
        assert_eq!(webp.key, "variants/auto.jpg/card-auto.webp");
        assert_eq!(jpeg.key, "variants/auto.jpg/card-auto.jpeg");
        assert!(webp.bytes.starts_with(b"RIFF"));
    }

    /// Variants stored before no-enlargement carry the same spec text;
    /// those of fits that used to enlarge are remade (and stored with the
    /// geometry marker), `inside` ones are still current and served.
    pub async fn variants_made_under_the_old_geometry_are_remade(store: Arc<dyn ObjectStore>) {
        use std::collections::BTreeMap;

        let source = store
            .put("small.jpg", photo(100, 80), PutOptions::default())
            .await
            .unwrap();
        let old = |spec: &str, w: u32, h: u32| PutOptions {
            content_type: Some("image/jpeg".into()),
            metadata: BTreeMap::from([
                ("spec".into(), spec.into()),
                (
                    "source-etag".into(),
                    source.etag.clone().unwrap_or_default(),
                ),
                ("width".into(), w.to_string()),
                ("height".into(), h.to_string()),
            ]),
            ..PutOptions::default()
        };
        store
            .put(
                "variants/small.jpg/card.jpeg",
                photo(480, 320),
                old("480x320-cover-q80.jpeg", 480, 320),
            )
            .await
            .unwrap();
        store
            .put(
                "variants/small.jpg/hero.jpeg",
                photo(100, 80),
                old("1600x_-inside-q80.jpeg", 100, 80),
            )
            .await
            .unwrap();
        let service = VariantService::new(Arc::clone(&store), Limits::default());
        let catalog = PresetCatalog::default();

        let card = service
            .get_variant(&catalog, "small.jpg", "card", None)
            .await
            .unwrap();
        assert!(
            matches!(card.outcome, Outcome::Made { .. }),
            "enlarged one remade"
        );
        assert_eq!((card.width, card.height), (Some(100), Some(67)));
        let again = service
            .get_variant(&catalog, "small.jpg", "card", None)
            .await
            .unwrap();
        assert_eq!(again.outcome, Outcome::Hit, "stored over the old one");
        assert_eq!(again.bytes, card.bytes);

        let hero = service
            .get_variant(&catalog, "small.jpg", "hero", None)
            .await
            .unwrap();
        assert_eq!(hero.outcome, Outcome::Hit, "inside never enlarged");
    }

    /// Deleting an original takes its variants; moving one copies it (with
    /// its content type) to the new key and takes the old key's variants;
    /// neither touches another original's variants nor overwrites an
    /// original.
    pub async fn deleting_and_moving_originals_takes_their_variants(store: Arc<dyn ObjectStore>) {
        use stratus_media::originals::{delete_original, move_original, upload_original};

        let limits = Limits::default();
        for key in ["shop/a.jpg", "shop/b.jpg", "shop/keep.jpg"] {
            upload_original(&*store, key, photo(300, 200), &limits)
                .await
                .unwrap();
        }
        let service = VariantService::new(Arc::clone(&store), limits);
        let catalog = PresetCatalog::default();
        for key in ["shop/a.jpg", "shop/b.jpg", "shop/keep.jpg"] {
            for preset in ["thumb", "card"] {
                service
                    .get_variant(&catalog, key, preset, None)
                    .await
                    .unwrap();
            }
        }

        let deleted = delete_original(&*store, "shop/a.jpg").await.unwrap();
        let mut gone = deleted.variants.clone();
        gone.sort();
        assert_eq!(
            gone,
            [
                "variants/shop/a.jpg/card.jpeg",
                "variants/shop/a.jpg/thumb.jpeg"
            ]
        );
        assert!(store.head("shop/a.jpg").await.unwrap().is_none());
        assert_eq!(
            delete_original(&*store, "shop/a.jpg")
                .await
                .unwrap_err()
                .code(),
            "original_not_found"
        );

        let before = store.get_bytes("shop/b.jpg").await.unwrap();
        let moved = move_original(&*store, "shop/b.jpg", "archive/b 2.jpg", &limits)
            .await
            .unwrap();
        assert_eq!(moved.variants.len(), 2);
        assert!(store.head("shop/b.jpg").await.unwrap().is_none());
        let copy = store.head("archive/b 2.jpg").await.unwrap().unwrap();
        assert_eq!(copy.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(store.get_bytes("archive/b 2.jpg").await.unwrap(), before);
        let remade = service
            .get_variant(&catalog, "archive/b 2.jpg", "card", None)
            .await
            .unwrap();
        assert!(matches!(remade.outcome, Outcome::Made { .. }));
        assert_eq!(remade.key, "variants/archive/b 2.jpg/card.jpeg");

        // Never over an existing original; nothing changes.
        let taken = move_original(&*store, "archive/b 2.jpg", "shop/keep.jpg", &limits)
            .await
            .unwrap_err();
        assert_eq!(taken.code(), "original_exists");
        assert!(store.head("archive/b 2.jpg").await.unwrap().is_some());
        for (from, to, code) in [
            ("shop/nope.jpg", "shop/x.jpg", "original_not_found"),
            ("shop/keep.jpg", "variants/x.jpg", "invalid_key"),
            ("shop/keep.jpg", "../x.jpg", "invalid_key"),
            ("shop/keep.jpg", "shop/keep.jpg", "invalid_key"),
        ] {
            let err = move_original(&*store, from, to, &limits).await.unwrap_err();
            assert_eq!(err.code(), code, "{from} → {to}");
        }

        let mut left = variants(&*store).await;
        left.sort();
        assert_eq!(
            left,
            [
                "variants/archive/b 2.jpg/card.jpeg",
                "variants/shop/keep.jpg/card.jpeg",
                "variants/shop/keep.jpg/thumb.jpeg",
            ],
            "only the deleted and moved originals' variants went"
        );
    }

    /// Every variant of an original sits in one folder: uploading a
    /// replacement purges them (they are made again from the new one), and
    /// a purge by hand deletes them; variants of other originals, also of
    /// one in a folder named like the original, stay.
    pub async fn replacing_or_purging_an_original_deletes_only_its_variants(
        store: Arc<dyn ObjectStore>,
    ) {
        use stratus_media::originals::upload_original;
        use stratus_media::purge_variants;

        let limits = Limits::default();
        // An original inside a folder named like another original exists on
        // S3 only (a local folder cannot also be a file).
        let mut originals = vec!["shop/a.jpg", "shop/a.jpg2.jpg", "shop/c.jpg"];
        for key in &originals {
            upload_original(&*store, key, photo(300, 200), &limits)
                .await
                .unwrap();
        }
        if upload_original(&*store, "shop/a.jpg/b.jpg", photo(300, 200), &limits)
            .await
            .is_ok()
        {
            originals.push("shop/a.jpg/b.jpg");
        }
        let service = VariantService::new(Arc::clone(&store), Limits::default());
        let catalog = PresetCatalog::default();
        for key in &originals {
            for preset in ["thumb", "card"] {
                service
                    .get_variant(&catalog, key, preset, None)
                    .await
                    .unwrap();
            }
        }
        assert_eq!(variants(&*store).await.len(), 2 * originals.len());

        upload_original(&*store, "shop/a.jpg", photo(200, 300), &limits)
            .await
            .unwrap();
        let mut left = variants(&*store).await;
        left.sort();
        let mut expected: Vec<String> = originals[1..]
            .iter()
            .flat_map(|o| ["card", "thumb"].map(|p| format!("variants/{o}/{p}.jpeg")))
            .collect();
        expected.sort();
        assert_eq!(left, expected, "only shop/a.jpg's variants are gone");
        let remade = service
            .get_variant(&catalog, "shop/a.jpg", "card", None)
            .await
            .unwrap();
        assert!(matches!(remade.outcome, Outcome::Made { .. }));
        // Made from the 200×300 replacement: its largest 3:2 cut, not enlarged.
        assert_eq!((remade.width, remade.height), (Some(200), Some(133)));

        let purged = purge_variants(&*store, "shop/c.jpg").await.unwrap();
        assert_eq!(purged.len(), 2);
        assert!(store
            .head("variants/shop/c.jpg/card.jpeg")
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            variants(&*store).await.len(),
            2 * originals.len() - 2 - 2 + 1
        );
        assert_eq!(
            purge_variants(&*store, "../x.jpg")
                .await
                .unwrap_err()
                .code(),
            "invalid_key"
        );
    }
}

on_both_stores!(
    miss_then_made_then_hit,
    fifty_concurrent_misses_make_one_resize_and_one_write,
    two_processes_never_overwrite_each_other,
    a_replaced_original_is_remade,
    a_failed_resize_stores_nothing,
    auto_negotiates_and_keys_per_format,
    replacing_or_purging_an_original_deletes_only_its_variants,
    variants_made_under_the_old_geometry_are_remade,
    deleting_and_moving_originals_takes_their_variants,
);

mod library {
    use super::*;
    use stratus_core::jobs::CancellationToken;
    use stratus_media::originals::{list_originals, upload_original};
    use stratus_media::warm::warm;

    #[tokio::test]
    async fn uploads_are_checked_and_warming_reports_each_failure() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn ObjectStore> =
            Arc::new(LocalStore::open(dir.path().join("media")).unwrap());
        let limits = Limits::default();
        upload_original(&*store, "shop/a.jpg", photo(300, 200), &limits)
            .await
            .unwrap();
        upload_original(&*store, "shop/b.jpg", photo(200, 300), &limits)
            .await
            .unwrap();
        let text = upload_original(
            &*store,
            "shop/notes.jpg",
            Bytes::from_static(b"hello"),
            &limits,
        )
        .await
        .unwrap_err();
        assert_eq!(
            text.code(),
            "undecodable",
            "a text file is refused at upload"
        );
        assert_eq!(
            upload_original(&*store, "variants/x.jpg", photo(10, 10), &limits)
                .await
                .unwrap_err()
                .code(),
            "invalid_key"
        );
        assert_eq!(
            store
                .head("shop/a.jpg")
                .await
                .unwrap()
                .unwrap()
                .content_type
                .as_deref(),
            Some("image/jpeg")
        );
        // A broken file that got in some other way.
        store
            .put(
                "shop/c.jpg",
                photo(100, 100).slice(..300),
                PutOptions::default(),
            )
            .await
            .unwrap();

        let service = VariantService::new(Arc::clone(&store), limits);
        let catalog = PresetCatalog::default();
        let seen = std::sync::Mutex::new(Vec::new());
        let report = warm(
            &service,
            &catalog,
            "thumb",
            "shop/",
            |p| seen.lock().unwrap().push(p.done),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
        assert_eq!((report.made, report.already), (2, 0));
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].0, "shop/c.jpg");
        assert_eq!(
            report.failed[0].1.code, "undecodable",
            "{:?}",
            report.failed
        );
        assert_eq!(*seen.lock().unwrap(), vec![0, 1, 2, 3]);

        let again = warm(
            &service,
            &catalog,
            "thumb",
            "shop/",
            |_| {},
            &CancellationToken::new(),
        )
        .await
        .unwrap();
        assert_eq!((again.made, again.already), (0, 2));

        let page = list_originals(&*store, "", None, 100).await.unwrap();
        assert_eq!(
            page.common_prefixes,
            ["shop/"],
            "variants/ is hidden from the library"
        );

        let cancel = CancellationToken::new();
        cancel.cancel();
        let stopped = warm(&service, &catalog, "card", "shop/", |_| {}, &cancel)
            .await
            .unwrap();
        assert!(stopped.cancelled);
        assert_eq!(stopped.made, 0);
        assert_eq!(
            warm(
                &service,
                &catalog,
                "nope",
                "shop/",
                |_| {},
                &CancellationToken::new()
            )
            .await
            .unwrap_err()
            .code(),
            "unknown_preset"
        );
    }
}
