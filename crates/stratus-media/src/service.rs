//! `VariantService`: resize on miss over an `ObjectStore`.
//!
//! A hit costs one store request: the variant is read by its key, and used
//! if it was made with the current spec. Freshness comes from purging an
//! original's variants when it is replaced or deleted (the app and CLI on
//! upload, the S3 notification on Lambda; see [`crate::purge`]), not from
//! asking the original on every request. On a miss, concurrent requests
//! for the same variant of the same original version share one resize
//! (single-flight in this process, keyed by variant key and source ETag: a
//! request that saw a replaced original never joins a remake of the old
//! one); a remake whose original changed meanwhile answers its own request
//! but is never stored; a new variant is written with a conditional create,
//! so two processes never overwrite each other's work. Renders share a
//! pixel budget (see [`crate::budget`]). Failures are returned, never stored.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use futures::future::{BoxFuture, FutureExt, Shared};
use stratus_core::store::{ByteRange, ObjectMeta, ObjectStore, PutOptions, StoreError};

use crate::budget::{BudgetConfig, RenderBudget};
use crate::error::{MediaError, Result};
use crate::focus::{FocalPoint, FOCUS_METADATA};
use crate::key::{validate_original_key, variant_key};
use crate::output::OutputFormat;
use crate::pipeline::{geometry, probe, render_with_focus, Limits};
use crate::preset::PresetCatalog;
use crate::spec::{Fit, VariantSpec};

/// A variant's key stays the same when its original is replaced (the
/// variants are purged and the CDN's copies invalidated), so browsers keep
/// it a day and then revalidate by ETag; shared caches (the CDN, which is
/// told of changes) keep it a year.
pub const VARIANT_CACHE_CONTROL: &str = "public, max-age=86400, s-maxage=31536000";

const META_SOURCE_ETAG: &str = "source-etag";
/// The original's focal point when the variant was made (absent: none).
const META_SOURCE_FOCUS: &str = "source-focus";
const META_SPEC: &str = "spec";
const META_WIDTH: &str = "width";
const META_HEIGHT: &str = "height";
/// Which rules of `pipeline::geometry` made a variant. Version 2: no fit
/// enlarges without `-up`. Variants without it were made when `cover`,
/// `fill` and `contain` scaled small originals up to the box; their specs
/// are spelled the same, so this is how they are told apart and remade.
const META_GEOMETRY: &str = "geometry";
const GEOMETRY_VERSION: &str = "2";

/// Enough of an original to read its dimensions from the header (JPEG with
/// a larger EXIF block than this is weighed at the pixel limit instead).
const HEADER_BYTES: u64 = 64 * 1024;

/// How a request was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Served from the stored variant.
    Hit,
    /// Made now; how long decode + resize + encode took.
    Made { millis: u64 },
}

/// A variant, ready to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub key: String,
    pub bytes: Bytes,
    pub format: OutputFormat,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The stored variant's own ETag.
    pub etag: Option<String>,
    pub outcome: Outcome,
}

type InFlight = Shared<BoxFuture<'static, std::result::Result<Variant, MediaError>>>;

/// One remake: the variant key and the version of the original it is made
/// from (its ETag and its focal point's text: setting a focal point
/// rewrites the metadata but keeps the bytes, and so the ETag).
type FlightKey = (String, SourceVersion);

type SourceVersion = (Option<String>, Option<String>);

fn version_of(source: &ObjectMeta) -> SourceVersion {
    (
        source.etag.clone(),
        source.metadata.get(FOCUS_METADATA).cloned(),
    )
}

/// Counters a test or a status page can read.
#[derive(Debug, Default)]
pub struct ServiceStats {
    pub resizes: AtomicU64,
    pub writes: AtomicU64,
}

pub struct VariantService {
    store: Arc<dyn ObjectStore>,
    limits: Limits,
    inflight: Mutex<HashMap<FlightKey, InFlight>>,
    stats: Arc<ServiceStats>,
    budget: Arc<RenderBudget>,
}

impl VariantService {
    pub fn new(store: Arc<dyn ObjectStore>, limits: Limits) -> Self {
        Self::with_budget(store, limits, BudgetConfig::default())
    }

    /// A service whose renders share a pixel budget of this size.
    pub fn with_budget(store: Arc<dyn ObjectStore>, limits: Limits, budget: BudgetConfig) -> Self {
        VariantService {
            store,
            limits,
            inflight: Mutex::new(HashMap::new()),
            stats: Arc::new(ServiceStats::default()),
            budget: Arc::new(RenderBudget::new(budget)),
        }
    }

    /// The render budget, for a status page or a test.
    pub fn budget(&self) -> &RenderBudget {
        &self.budget
    }

    pub fn store(&self) -> &dyn ObjectStore {
        &*self.store
    }

    pub fn stats(&self) -> &ServiceStats {
        &self.stats
    }

    /// The variant `name` (a preset, or an allowed canonical spec) of
    /// `original`, negotiated against the client's `Accept` for `auto`.
    pub async fn get_variant(
        &self,
        catalog: &PresetCatalog,
        original: &str,
        name: &str,
        accept: Option<&str>,
    ) -> Result<Variant> {
        let spec = catalog.resolve(name)?;
        self.get_with_spec(original, name, spec, accept).await
    }

    /// Like [`VariantService::get_variant`] for a spec the caller already
    /// allowed (a signed request may ask for any canonical spec); `name` is
    /// the key segment: the preset name or the spec's canonical spelling.
    pub async fn get_with_spec(
        &self,
        original: &str,
        name: &str,
        spec: VariantSpec,
        accept: Option<&str>,
    ) -> Result<Variant> {
        let format = OutputFormat::negotiate(spec.format, accept);
        self.get_in_format(original, name, spec, format).await
    }

    /// The variant in a concrete output format (a variant key names one).
    pub async fn get_in_format(
        &self,
        original: &str,
        name: &str,
        spec: VariantSpec,
        format: OutputFormat,
    ) -> Result<Variant> {
        validate_original_key(original)?;
        let key = variant_key(name, original, format.ext())?;

        // The hit path: one request, the variant itself.
        let stored = match self.store.get(&key, None).await {
            Ok(object) if made_with(&object.meta, &spec) => {
                let meta = object.meta.clone();
                let bytes = object.bytes().await?;
                return Ok(hit(&key, format, &meta, bytes));
            }
            // Made with another definition of the preset: remake over it.
            Ok(_) => true,
            Err(StoreError::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };

        let source = self
            .store
            .head(original)
            .await?
            .ok_or_else(|| MediaError::OriginalNotFound(original.to_string()))?;
        if source.size > self.limits.max_source_bytes {
            return Err(MediaError::TooLarge {
                key: original.to_string(),
                bytes: source.size,
                limit: self.limits.max_source_bytes,
            });
        }

        let flight_key: FlightKey = (key.clone(), version_of(&source));
        let flight = {
            let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
            match inflight.get(&flight_key) {
                Some(f) => f.clone(),
                None => {
                    let job = MakeJob {
                        store: Arc::clone(&self.store),
                        stats: Arc::clone(&self.stats),
                        budget: Arc::clone(&self.budget),
                        limits: self.limits,
                        original: original.to_string(),
                        key: key.clone(),
                        spec,
                        format,
                        source,
                        replace: stored,
                    };
                    let f = job.run().boxed().shared();
                    inflight.insert(flight_key.clone(), f.clone());
                    f
                }
            }
        };
        let result = flight.await;
        // The first waiter to finish clears the slot; later misses start afresh.
        self.inflight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&flight_key);
        result
    }
}

/// A stored variant served as it is.
fn hit(key: &str, format: OutputFormat, meta: &ObjectMeta, bytes: Bytes) -> Variant {
    Variant {
        key: key.to_string(),
        bytes,
        format,
        width: meta.metadata.get(META_WIDTH).and_then(|w| w.parse().ok()),
        height: meta.metadata.get(META_HEIGHT).and_then(|h| h.parse().ok()),
        etag: meta.etag.clone(),
        outcome: Outcome::Hit,
    }
}

/// Whether a stored variant was made with this spec (a preset may have been
/// redefined since) under the current geometry (`inside` never enlarged, so
/// its older variants are still what it makes now).
fn made_with(variant: &ObjectMeta, spec: &VariantSpec) -> bool {
    let same_spec =
        variant.metadata.get(META_SPEC).map(String::as_str) == Some(spec.to_string().as_str());
    let geometry = variant.metadata.get(META_GEOMETRY).map(String::as_str);
    same_spec && (geometry == Some(GEOMETRY_VERSION) || spec.fit == Fit::Inside)
}

/// One resize and store, shared by every waiter for the same key.
struct MakeJob {
    store: Arc<dyn ObjectStore>,
    stats: Arc<ServiceStats>,
    budget: Arc<RenderBudget>,
    limits: Limits,
    original: String,
    key: String,
    spec: VariantSpec,
    format: OutputFormat,
    source: ObjectMeta,
    /// A stale variant is there: overwrite it instead of a conditional create.
    replace: bool,
}

impl MakeJob {
    /// The pixels the render holds: the source's, from its header read
    /// with a ranged GET before the whole original is fetched, and the
    /// planned output's (`-up` can make it the larger). A header that
    /// cannot be read from the first bytes weighs as much as the largest
    /// allowed image.
    async fn source_pixels(&self) -> std::result::Result<u64, MediaError> {
        if self.source.size == 0 {
            return Ok(1);
        }
        let range = ByteRange {
            start: 0,
            end: Some(self.source.size.min(HEADER_BYTES) - 1),
        };
        let head = self
            .store
            .get(&self.original, Some(range))
            .await
            .map_err(|e| self.store_error(e))?
            .bytes()
            .await?;
        match probe(&self.original, &head, &self.limits) {
            Ok((_, width, height)) => {
                // Sides as stored: an EXIF quarter turn changes the output a
                // little, which a budget estimate can bear.
                let (out_w, out_h) = geometry::plan(width, height, &self.spec).canvas;
                Ok(u64::from(width) * u64::from(height) + u64::from(out_w) * u64::from(out_h))
            }
            // Refused from the header alone: no need to fetch the rest.
            Err(e @ MediaError::TooManyPixels { .. }) => Err(e),
            Err(_) => Ok(self.limits.max_pixels),
        }
    }

    fn store_error(&self, e: StoreError) -> MediaError {
        match e {
            StoreError::NotFound { .. } => MediaError::OriginalNotFound(self.original.clone()),
            other => other.into(),
        }
    }

    /// Whether the original is still the version (ETag and focal point)
    /// this job made its variant from.
    async fn source_is_current(&self) -> std::result::Result<bool, MediaError> {
        let now = self.store.head(&self.original).await?;
        Ok(now.is_some_and(|m| version_of(&m) == version_of(&self.source)))
    }

    async fn run(self) -> std::result::Result<Variant, MediaError> {
        let pixels = self.source_pixels().await?;
        // Held from the download of the original to the end of the render:
        // the original's bytes and its decoded pixels are what cost memory.
        let reservation = self.budget.reserve(&self.original, pixels).await?;
        let bytes = self
            .store
            .get_bytes(&self.original)
            .await
            .map_err(|e| self.store_error(e))?;
        let started = Instant::now();
        self.stats.resizes.fetch_add(1, Ordering::Relaxed);
        let (original, spec, format, limits) =
            (self.original.clone(), self.spec, self.format, self.limits);
        // Read from the head this miss already made: no extra request.
        let focus = FocalPoint::from_metadata(&self.source.metadata);
        let rendered = tokio::task::spawn_blocking(move || {
            render_with_focus(&original, &bytes, focus, &spec, format, &limits)
        })
        .await
        .map_err(|e| MediaError::Undecodable {
            key: self.original.clone(),
            reason: format!("resize worker failed: {e}"),
        })??;
        drop(reservation);
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);

        let mut metadata = BTreeMap::from([
            (
                META_SOURCE_ETAG.to_string(),
                self.source.etag.clone().unwrap_or_default(),
            ),
            (META_SPEC.to_string(), self.spec.to_string()),
            (META_GEOMETRY.to_string(), GEOMETRY_VERSION.to_string()),
            (META_WIDTH.to_string(), rendered.width.to_string()),
            (META_HEIGHT.to_string(), rendered.height.to_string()),
        ]);
        if let Some(focus) = self.source.metadata.get(FOCUS_METADATA) {
            metadata.insert(META_SOURCE_FOCUS.to_string(), focus.clone());
        }
        let body = Bytes::from(rendered.bytes);
        let options = PutOptions {
            content_type: Some(format.content_type().to_string()),
            cache_control: Some(VARIANT_CACHE_CONTROL.to_string()),
            metadata,
            if_none_match: !self.replace,
        };
        let unwritten = Variant {
            key: self.key.clone(),
            bytes: body.clone(),
            format,
            width: Some(rendered.width),
            height: Some(rendered.height),
            etag: None,
            outcome: Outcome::Made { millis },
        };
        // Made from an original that has been replaced meanwhile (and its
        // variants purged): answer the request that asked before the change,
        // but never store it, or it would be served as a hit from now on.
        if !self.source_is_current().await? {
            return Ok(unwritten);
        }
        let written = match self
            .store
            .put(&self.key, body.clone(), options.clone())
            .await
        {
            Ok(meta) => {
                self.stats.writes.fetch_add(1, Ordering::Relaxed);
                meta.etag
            }
            // Another process (or a remake of a previous original in this
            // one) wrote first. Theirs is served only if it was made from the
            // same original; a stale one is replaced by ours.
            Err(StoreError::AlreadyExists { .. }) => {
                let theirs = self.store.get(&self.key, None).await?;
                let made_from = |key: &str| theirs.meta.metadata.get(key);
                if made_from(META_SOURCE_ETAG) != self.source.etag.as_ref()
                    || made_from(META_SOURCE_FOCUS) != self.source.metadata.get(FOCUS_METADATA)
                {
                    drop(theirs);
                    if !self.source_is_current().await? {
                        return Ok(unwritten);
                    }
                    let replace = PutOptions {
                        if_none_match: false,
                        ..options
                    };
                    let meta = self.store.put(&self.key, body, replace).await?;
                    self.stats.writes.fetch_add(1, Ordering::Relaxed);
                    return Ok(Variant {
                        etag: meta.etag,
                        ..unwritten
                    });
                }
                let etag = theirs.meta.etag.clone();
                let bytes = theirs.bytes().await?;
                return Ok(Variant {
                    bytes,
                    etag,
                    outcome: Outcome::Hit,
                    ..unwritten
                });
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Variant {
            etag: written,
            ..unwritten
        })
    }
}
