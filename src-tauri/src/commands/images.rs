use bytes::Bytes;
use stratus_app::deploy::serves_auto_format;
use stratus_app::warm::WarmUp;
use stratus_media::focus::{focus_of, set_focus};
use stratus_media::originals::{delete_original, list_originals, move_original, upload_original};
use stratus_media::placeholder::placeholder_of;
use stratus_media::published::publish;
use stratus_media::purge_variants;
use stratus_media::{FocalPoint, Format, Limits, PresetCatalog};
use tauri::ipc::{InvokeBody, Request};

use super::AppHandleState;
use crate::error::{AppError, CommandResult};
use crate::views::{
    CatalogInput, FocusPoint, ImageCatalog, JobView, ObjectListing, ObjectView, PlaceholderView,
    VariantView,
};

/// Originals per page in the library.
const PAGE: usize = 200;

#[tauri::command]
pub async fn image_originals(
    state: AppHandleState<'_>,
    prefix: String,
    start_after: Option<String>,
) -> CommandResult<ObjectListing> {
    let stack = state.stack().await;
    let page = list_originals(&*stack.media, &prefix, start_after, PAGE).await?;
    Ok(ObjectListing::new(
        stack.profile.media_bucket(),
        prefix,
        page,
    ))
}

#[tauri::command]
pub async fn image_catalog(state: AppHandleState<'_>) -> CommandResult<ImageCatalog> {
    let stack = state.stack().await;
    Ok(ImageCatalog::from(&PresetCatalog::load(&stack.db).await?))
}

#[tauri::command]
pub async fn image_catalog_save(
    state: AppHandleState<'_>,
    catalog: CatalogInput,
) -> CommandResult<ImageCatalog> {
    let catalog = catalog.into_catalog()?;
    let stack = state.stack().await;
    catalog.save(&stack.db).await?;
    // The deployed function reads the bucket's copy (the local one is for
    // `stratus serve` and the app): a failure here leaves the profile saved
    // and says so; saving again publishes again.
    publish(&*stack.media, &catalog).await.map_err(|e| {
        AppError::new(
            "presets_not_published",
            format!(
                "Saved in this profile, but not published to {}: {e}. The deployed function keeps the previous presets until you save again.",
                stack.media.location()
            ),
        )
    })?;
    Ok(ImageCatalog::from(&catalog))
}

#[tauri::command]
pub async fn image_variant(
    state: AppHandleState<'_>,
    original: String,
    preset: String,
) -> CommandResult<VariantView> {
    let stack = state.stack().await;
    let catalog = PresetCatalog::load(&stack.db).await?;
    let service = state.images().await;
    let variant = service
        .get_variant(
            &catalog,
            &original,
            &preset,
            Some(crate::protocol::WEBVIEW_ACCEPT),
        )
        .await?;
    // The `.auto` path exists only where the CDN rewrites it.
    let auto = catalog
        .presets()
        .get(&preset)
        .is_some_and(|spec| spec.format == Format::Auto)
        && serves_auto_format(&state.home, &stack.profile);
    let base = stack.profile.image_function_url();
    Ok(VariantView::new(
        &preset,
        &original,
        base,
        base.filter(|_| auto),
        variant,
    ))
}

/// Deletes every stored variant of `original` (made again when next asked
/// for) and returns how many there were.
#[tauri::command]
pub async fn image_purge(state: AppHandleState<'_>, original: String) -> CommandResult<u32> {
    let stack = state.stack().await;
    let purged = purge_variants(&*stack.media, &original).await?;
    Ok(purged.len() as u32)
}

/// Deletes an original and its variants; returns how many variants went.
#[tauri::command]
pub async fn image_delete(state: AppHandleState<'_>, original: String) -> CommandResult<u32> {
    let stack = state.stack().await;
    let deleted = delete_original(&*stack.media, &original).await?;
    Ok(deleted.variants.len() as u32)
}

/// Moves (renames) an original to `to`, never over another; the old key's
/// variants are purged and their count returned.
#[tauri::command]
pub async fn image_move(
    state: AppHandleState<'_>,
    original: String,
    to: String,
) -> CommandResult<u32> {
    let stack = state.stack().await;
    let moved = move_original(&*stack.media, &original, &to, &Limits::default()).await?;
    Ok(moved.variants.len() as u32)
}

/// The original's ThumbHash and tiny LQIP, for the editor to copy.
#[tauri::command]
pub async fn image_placeholder(
    state: AppHandleState<'_>,
    original: String,
) -> CommandResult<PlaceholderView> {
    let stack = state.stack().await;
    let placeholder = placeholder_of(&*stack.media, &original, &Limits::default()).await?;
    Ok(placeholder.into())
}

/// The original's focal point, `null` when it has none.
#[tauri::command]
pub async fn image_focus(
    state: AppHandleState<'_>,
    original: String,
) -> CommandResult<Option<FocusPoint>> {
    let stack = state.stack().await;
    Ok(focus_of(&*stack.media, &original)
        .await?
        .map(FocusPoint::from))
}

/// Sets (`null`: clears) the original's focal point and purges its
/// variants; returns how many were purged.
#[tauri::command]
pub async fn image_set_focus(
    state: AppHandleState<'_>,
    original: String,
    focus: Option<FocusPoint>,
) -> CommandResult<u32> {
    let point = focus.map(|p| FocalPoint::checked(p.x, p.y)).transpose()?;
    let stack = state.stack().await;
    let changed = set_focus(&*stack.media, &original, point).await?;
    Ok(changed.variants.len() as u32)
}

/// Starts a job that makes `preset` for every original under `prefix`.
#[tauri::command]
pub async fn image_warm(
    state: AppHandleState<'_>,
    preset: String,
    prefix: String,
) -> CommandResult<JobView> {
    let stack = state.stack().await;
    let catalog = PresetCatalog::load(&stack.db).await?;
    catalog.resolve(&preset)?;
    let service = state.images().await;
    let warm_up = WarmUp { preset, prefix };
    let title = warm_up.title();
    let job = state
        .jobs
        .start(&stack.db, "image.warm", title, move |ctx| async move {
            warm_up.job(&service, &catalog, ctx).await
        })
        .await?;
    Ok(job.into())
}

/// Uploads one original: the body is the file's raw bytes, the key comes in
/// the `x-stratus-key` header (URI-encoded), so no JSON array of bytes.
#[tauri::command]
pub async fn image_upload(
    state: AppHandleState<'_>,
    request: Request<'_>,
) -> CommandResult<ObjectView> {
    let key = request
        .headers()
        .get("x-stratus-key")
        .and_then(|v| v.to_str().ok())
        .map(crate::protocol::decode_segment)
        .ok_or_else(|| AppError::new("invalid_key", "the upload has no key"))?;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::new(
            "invalid_upload",
            "the upload must be sent as raw bytes",
        ));
    };
    let stack = state.stack().await;
    let meta = upload_original(
        &*stack.media,
        &key,
        Bytes::copy_from_slice(bytes),
        &Limits::default(),
    )
    .await?;
    Ok(meta.into())
}
