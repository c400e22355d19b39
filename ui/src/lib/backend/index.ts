/**
 * The one door to the Rust backend. Nothing else in the UI imports `@tauri-apps/*`;
 * components call these typed functions and tests mock this module.
 */
import { Channel } from '@tauri-apps/api/core';
import type { AppInfo } from './bindings/AppInfo';
import type { BucketRole } from './bindings/BucketRole';
import type { CatalogInput } from './bindings/CatalogInput';
import type { ConnectionReport } from './bindings/ConnectionReport';
import type { FocusPoint } from './bindings/FocusPoint';
import type { ImageCatalog } from './bindings/ImageCatalog';
import type { JobView } from './bindings/JobView';
import type { ObjectListing } from './bindings/ObjectListing';
import type { ObjectView } from './bindings/ObjectView';
import type { PlaceholderView } from './bindings/PlaceholderView';
import type { ProfileInput } from './bindings/ProfileInput';
import type { ProfileStatus } from './bindings/ProfileStatus';
import type { ProfileView } from './bindings/ProfileView';
import type { VariantView } from './bindings/VariantView';
import { call } from './call';

export type { AppError } from './bindings/AppError';
export type { AppInfo } from './bindings/AppInfo';
export type { BucketRole } from './bindings/BucketRole';
export type { CatalogInput } from './bindings/CatalogInput';
export type { CheckOutcome } from './bindings/CheckOutcome';
export type { ConnectionCheck } from './bindings/ConnectionCheck';
export type { ConnectionReport } from './bindings/ConnectionReport';
export type { FocusPoint } from './bindings/FocusPoint';
export type { ImageCatalog } from './bindings/ImageCatalog';
export type { JobState } from './bindings/JobState';
export type { JobView } from './bindings/JobView';
export type { ObjectListing } from './bindings/ObjectListing';
export type { ObjectView } from './bindings/ObjectView';
export type { PlaceholderView } from './bindings/PlaceholderView';
export type { PresetInput } from './bindings/PresetInput';
export type { PresetView } from './bindings/PresetView';
export type { ProfileInput } from './bindings/ProfileInput';
export type { ProfileKind } from './bindings/ProfileKind';
export type { ProfileStatus } from './bindings/ProfileStatus';
export type { ProfileView } from './bindings/ProfileView';
export type { Reachability } from './bindings/Reachability';
export type { VariantView } from './bindings/VariantView';

export { isAppError, toAppError } from './errors';


export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>('app_info');
}

/** Tells the shell the first interactive frame is painted (start-up measurement). */
export function appReady(): Promise<void> {
  return call<void>('app_ready');
}

export function listProfiles(): Promise<ProfileView[]> {
  return call<ProfileView[]>('profiles_list');
}

/** Adds a profile when `originalName` is null, else edits (or renames) that profile. */
export function saveProfile(input: ProfileInput, originalName: string | null): Promise<ProfileView> {
  return call<ProfileView>('profile_save', { input, originalName });
}

export function deleteProfile(name: string): Promise<void> {
  return call<void>('profile_delete', { name });
}

/** Switches the active profile. */
export function useProfile(name: string): Promise<ProfileStatus> {
  return call<ProfileStatus>('profile_use', { name });
}

export function testProfile(name: string): Promise<ConnectionReport> {
  return call<ConnectionReport>('profile_test', { name });
}

/** Tests the form's values before they are saved. */
export function testProfileDraft(input: ProfileInput): Promise<ConnectionReport> {
  return call<ConnectionReport>('profile_test_draft', { input });
}

export function profileStatus(): Promise<ProfileStatus> {
  return call<ProfileStatus>('profile_status');
}

export function listJobs(): Promise<JobView[]> {
  return call<JobView[]>('jobs_list');
}

/**
 * Subscribes to job updates; each message is the latest state of one job.
 * Resolves once the subscription is registered.
 */
export function watchJobs(onJob: (job: JobView) => void): Promise<void> {
  const onEvent = new Channel<JobView>();
  onEvent.onmessage = onJob;
  return call<void>('jobs_watch', { onEvent });
}

export function cancelJob(id: string): Promise<void> {
  return call<void>('job_cancel', { id });
}

/** Starts a job that wipes and reseeds the demo profile's data. */
export function resetDemo(): Promise<JobView> {
  return call<JobView>('demo_reset');
}

export function listObjects(
  bucket: BucketRole,
  prefix: string,
  startAfter: string | null,
): Promise<ObjectListing> {
  return call<ObjectListing>('store_list', { bucket, prefix, startAfter });
}

/** One "/"-delimited level of the originals in the media bucket (`variants/` hidden). */
export function listOriginals(prefix: string, startAfter: string | null): Promise<ObjectListing> {
  return call<ObjectListing>('image_originals', { prefix, startAfter });
}

/** Uploads one original; the bytes travel raw, the key in a header. */
export function uploadOriginal(key: string, bytes: Uint8Array): Promise<ObjectView> {
  return call<ObjectView>('image_upload', bytes, {
    headers: { 'x-stratus-key': encodeURIComponent(key) },
  });
}

/** The active profile's presets and extra allowed specs. */
export function imageCatalog(): Promise<ImageCatalog> {
  return call<ImageCatalog>('image_catalog');
}

/** Replaces the presets and allow-list; the backend validates and returns the saved catalog. */
export function saveImageCatalog(catalog: CatalogInput): Promise<ImageCatalog> {
  return call<ImageCatalog>('image_catalog_save', { catalog });
}

/** Gets (making it on a miss) the variant of `original` for one preset. */
export function getVariant(original: string, preset: string): Promise<VariantView> {
  return call<VariantView>('image_variant', { original, preset });
}

/** Deletes every stored variant of `original` (made again on the next view); returns how many. */
export function purgeVariants(original: string): Promise<number> {
  return call<number>('image_purge', { original });
}

/** Deletes an original and its variants; returns how many variants went. */
export function deleteOriginal(original: string): Promise<number> {
  return call<number>('image_delete', { original });
}

/** Moves (renames) an original, never over another; returns how many variants of the old key were purged. */
export function moveOriginal(original: string, to: string): Promise<number> {
  return call<number>('image_move', { original, to });
}

/** The original's ThumbHash and tiny LQIP (a WebP data: URI) for lazy loading. */
export function imagePlaceholder(original: string): Promise<PlaceholderView> {
  return call<PlaceholderView>('image_placeholder', { original });
}

/** The original's focal point (fractions of its width and height), or null. */
export function imageFocus(original: string): Promise<FocusPoint | null> {
  return call<FocusPoint | null>('image_focus', { original });
}

/** Sets (null: clears) the original's focal point; its variants are purged, and how many is returned. */
export function setImageFocus(original: string, focus: FocusPoint | null): Promise<number> {
  return call<number>('image_set_focus', { original, focus });
}

/** Starts a job that makes one preset for every original under `prefix`. */
export function warmPreset(preset: string, prefix: string): Promise<JobView> {
  return call<JobView>('image_warm', { preset, prefix });
}

const IMAGE_ORIGIN = 'stratus-img://localhost';

/** A key as URL path segments: each segment encoded, the slashes kept. */
function keyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** URL of a preset's variant of `key`, served by the app's `stratus-img` protocol (made on demand). */
export function variantUrl(preset: string, key: string): string {
  return `${IMAGE_ORIGIN}/v/${encodeURIComponent(preset)}/${keyPath(key)}`;
}

/** URL of an original, served by the app's `stratus-img` protocol. */
export function originalUrl(key: string): string {
  return `${IMAGE_ORIGIN}/o/${keyPath(key)}`;
}

export * from './campaigns';
export * from './deploy';
export * from './events';
