/** Campaign shapes for the Campaigns section's tests. */
import type { CampaignProgress, CampaignView, CustomerPick, RecipientCounts, TemplatePreview } from '$lib/backend';
import { newCampaignInput } from '$lib/campaigns';

export function counts(overrides: Partial<RecipientCounts> = {}): RecipientCounts {
  const c = { pending: 0, inFlight: 0, sent: 0, failed: 0, skipped: 0, unknown: 0, ...overrides };
  const done = c.sent + c.failed + c.skipped + c.unknown;
  return { ...c, done, total: done + c.pending + c.inFlight, ...overrides };
}

export function campaignView(overrides: Partial<CampaignView> = {}): CampaignView {
  return {
    id: 'k-1',
    settings: { ...newCampaignInput(), name: 'Spring promo' },
    state: 'draft',
    interrupted: false,
    inCloud: false,
    error: null,
    counts: counts(),
    createdAt: Date.now() - 60_000,
    updatedAt: Date.now() - 60_000,
    launchedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

export function progressView(overrides: Partial<CampaignProgress> = {}): CampaignProgress {
  return {
    campaignId: 'k-1',
    state: 'running',
    interrupted: false,
    live: true,
    inCloud: false,
    counts: counts({ sent: 30, failed: 2, skipped: 8, pending: 60 }),
    errorsByCode: [{ code: 'SimulatedFailure', count: 2 }],
    reasons: [{ code: 'not_opted_in', count: 8 }],
    rateLastMinute: 12.5,
    enforcedRate: 20,
    configuredRate: 20,
    etaSeconds: 5,
    waiting: null,
    error: null,
    ...overrides,
  };
}

export function customer(overrides: Partial<CustomerPick> = {}): CustomerPick {
  return {
    id: 'cust-00001',
    name: 'Ada Lovelace',
    phone: '+12025550143',
    level: 'gold',
    points: 1200,
    smsOptIn: true,
    pushOptIn: false,
    ...overrides,
  };
}

export function preview(overrides: Partial<TemplatePreview> = {}): TemplatePreview {
  return {
    customerId: 'cust-00001',
    text: 'Hi Ada! You have 1200 points.',
    sms: { encoding: 'gsm7', units: 29, parts: 1, perPart: 160 },
    ...overrides,
  };
}
