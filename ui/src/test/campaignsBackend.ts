/**
 * The Campaigns section's calls as `vi.fn()`s, on top of `mockBackend`:
 *   vi.mock('$lib/backend', async (importOriginal) =>
 *     (await import('../../../test/campaignsBackend')).mockCampaignsBackend(await importOriginal()));
 */
import { vi } from 'vitest';
import type * as Backend from '$lib/backend';
import { mockBackend } from './backend';

export function mockCampaignsBackend(actual: typeof Backend): typeof Backend {
  return {
    ...mockBackend(actual),
    listCampaigns: vi.fn(),
    getCampaign: vi.fn(),
    createCampaign: vi.fn(),
    updateCampaign: vi.fn(),
    countSegment: vi.fn(),
    previewTemplate: vi.fn(),
    searchCustomers: vi.fn(),
    launchCampaign: vi.fn(),
    resumeCampaign: vi.fn(),
    pauseCampaign: vi.fn(),
    cancelCampaign: vi.fn(),
    retryFailed: vi.fn(),
    setCampaignRate: vi.fn(),
    campaignProgress: vi.fn(),
    watchCampaign: vi.fn(),
    unwatchCampaign: vi.fn(),
    phoneMessages: vi.fn(),
    dryRun: vi.fn(),
    testSend: vi.fn(),
    listRecipients: vi.fn(),
    exportRecipients: vi.fn(),
  };
}
