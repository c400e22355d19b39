/** Typed calls for the Campaigns section (marketers). */
import { Channel } from '@tauri-apps/api/core';
import type { CampaignInput } from './bindings/CampaignInput';
import type { CampaignProgress } from './bindings/CampaignProgress';
import type { CampaignView } from './bindings/CampaignView';
import type { CustomerPick } from './bindings/CustomerPick';
import type { DryRunView } from './bindings/DryRunView';
import type { RecipientExportView } from './bindings/RecipientExportView';
import type { JobView } from './bindings/JobView';
import type { LevelView } from './bindings/LevelView';
import type { NotificationView } from './bindings/NotificationView';
import type { PhoneMessage } from './bindings/PhoneMessage';
import type { PhoneNotificationView } from './bindings/PhoneNotificationView';
import type { RecipientPageView } from './bindings/RecipientPageView';
import type { RecipientStatusView } from './bindings/RecipientStatusView';
import type { SegmentCount } from './bindings/SegmentCount';
import type { TemplatePreview } from './bindings/TemplatePreview';
import type { TestSendInput } from './bindings/TestSendInput';
import type { TestSendView } from './bindings/TestSendView';
import { call } from './call';

export type { CampaignChannel } from './bindings/CampaignChannel';
export type { CampaignInput } from './bindings/CampaignInput';
export type { CampaignProgress } from './bindings/CampaignProgress';
export type { CampaignState } from './bindings/CampaignState';
export type { CampaignView } from './bindings/CampaignView';
export type { CodeCount } from './bindings/CodeCount';
export type { CustomerPick } from './bindings/CustomerPick';
export type { DryRunView } from './bindings/DryRunView';
export type { EventsCacheView } from './bindings/EventsCacheView';
export type { LevelView } from './bindings/LevelView';
export type { QuietMode } from './bindings/QuietMode';
export type { RecipientExportView } from './bindings/RecipientExportView';
export type { NotificationView } from './bindings/NotificationView';
export type { PhoneMessage } from './bindings/PhoneMessage';
export type { PhoneNotificationView } from './bindings/PhoneNotificationView';
export type { PushInput } from './bindings/PushInput';
export type { RecipientCounts } from './bindings/RecipientCounts';
export type { RecipientPageView } from './bindings/RecipientPageView';
export type { RecipientRowView } from './bindings/RecipientRowView';
export type { RecipientStatusView } from './bindings/RecipientStatusView';
export type { SampleMessageView } from './bindings/SampleMessageView';
export type { SegmentCount } from './bindings/SegmentCount';
export type { SegmentProblem } from './bindings/SegmentProblem';
export type { SmsEncodingView } from './bindings/SmsEncodingView';
export type { SmsLengthView } from './bindings/SmsLengthView';
export type { SmsType } from './bindings/SmsType';
export type { TemplatePreview } from './bindings/TemplatePreview';
export type { TestSendInput } from './bindings/TestSendInput';
export type { TestSendView } from './bindings/TestSendView';

/** Every campaign, most recently changed first, with its counts by status. */
export function listCampaigns(): Promise<CampaignView[]> {
  return call<CampaignView[]>('campaigns_list');
}

export function getCampaign(id: string): Promise<CampaignView> {
  return call<CampaignView>('campaign_get', { id });
}

export function createCampaign(settings: CampaignInput): Promise<CampaignView> {
  return call<CampaignView>('campaign_create', { settings });
}

/** Replaces a draft's settings (only drafts can be edited). */
export function updateCampaign(id: string, settings: CampaignInput): Promise<CampaignView> {
  return call<CampaignView>('campaign_update', { id, settings });
}

/** How many customers a segment selects now, or where its text is wrong. */
export function countSegment(segment: string): Promise<SegmentCount> {
  return call<SegmentCount>('segment_count', { segment });
}

/** The template rendered for one customer, with its SMS encoding and parts. */
export function previewTemplate(template: string, customerId: string): Promise<TemplatePreview> {
  return call<TemplatePreview>('template_preview', { template, customerId });
}

/** Customers whose id, name, phone or email contains `text`. */
export function pickCustomers(text: string): Promise<CustomerPick[]> {
  return call<CustomerPick[]>('customers_search', { text });
}

/** What launching these settings would do (audience, skips, samples, parts, cost, duration); sends nothing. */
export function dryRun(settings: CampaignInput): Promise<DryRunView> {
  return call<DryRunView>('campaign_dry_run', { settings });
}

/** Sends the template, rendered for one customer, to one number (or push endpoint). */
export function testSend(input: TestSendInput): Promise<TestSendView> {
  return call<TestSendView>('campaign_test_send', { input });
}

/** One keyset page of a campaign's recipients; pass the last page's `nextAfter` as `after`. */
export function listRecipients(
  id: string,
  status: RecipientStatusView | null,
  after: string | null,
): Promise<RecipientPageView> {
  return call<RecipientPageView>('campaign_recipients', { id, status, after });
}

/** Writes the recipients as CSV to a new file in the app's exports folder; the result says where. */
export function exportRecipients(id: string, status: RecipientStatusView | null): Promise<RecipientExportView> {
  return call<RecipientExportView>('campaign_export', { id, status });
}

/** Snapshots the audience and starts sending as a job. */
export function launchCampaign(id: string): Promise<JobView> {
  return call<JobView>('campaign_launch', { id });
}

/** Resumes a paused run, or continues one interrupted by closing the app. */
export function resumeCampaign(id: string): Promise<void> {
  return call<void>('campaign_resume', { id });
}

export function pauseCampaign(id: string): Promise<void> {
  return call<void>('campaign_pause', { id });
}

export function cancelCampaign(id: string): Promise<void> {
  return call<void>('campaign_cancel', { id });
}

/** Re-queues failed (and, if asked, unknown) recipients and sends them; resolves to how many. */
export function retryFailed(id: string, includeUnknown: boolean): Promise<number> {
  return call<number>('campaign_retry_failed', { id, includeUnknown });
}

/** Changes the send rate of a live run. */
export function setCampaignRate(id: string, ratePerSec: number): Promise<void> {
  return call<void>('campaign_set_rate', { id, ratePerSec });
}

export function campaignProgress(id: string): Promise<CampaignProgress> {
  return call<CampaignProgress>('campaign_progress', { id });
}

/**
 * Streams one campaign's progress (several times a second while it runs);
 * replaces any earlier stream. Resolves once the stream is registered.
 */
export function watchCampaign(id: string, onProgress: (p: CampaignProgress) => void): Promise<void> {
  const onEvent = new Channel<CampaignProgress>();
  onEvent.onmessage = onProgress;
  return call<void>('campaign_watch', { id, onEvent });
}

export function unwatchCampaign(): Promise<void> {
  return call<void>('campaign_unwatch');
}

/** The profile's level table (lowest first): what `level` means in templates and segments. */
export function getLevels(): Promise<LevelView[]> {
  return call<LevelView[]>('campaign_levels');
}

/** Replaces the profile's level table; resolves to it as stored (sorted, names lower-cased). */
export function setLevels(levels: LevelView[]): Promise<LevelView[]> {
  return call<LevelView[]>('campaign_levels_set', { levels });
}

/** Demo mode: the messages the local outbox delivered to one number. */
export function phoneMessages(address: string): Promise<PhoneMessage[]> {
  return call<PhoneMessage[]>('phone_messages', { address });
}

/** Demo mode: the pushes and in-app messages one customer received. */
export function phoneNotifications(customerId: string): Promise<PhoneNotificationView[]> {
  return call<PhoneNotificationView[]>('phone_notifications', { customerId });
}

/** A push or in-app campaign's notification rendered for one customer. */
export function previewNotification(settings: CampaignInput, customerId: string): Promise<NotificationView> {
  return call<NotificationView>('notification_preview', { settings, customerId });
}
