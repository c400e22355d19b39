/**
 * Test double for `$lib/backend`: every command becomes a `vi.fn()`, error helpers stay real.
 * Use from a test file as:
 *   vi.mock('$lib/backend', async (importOriginal) =>
 *     (await import('../../test/backend')).mockBackend(await importOriginal()));
 */
import { vi } from 'vitest';
import type * as Backend from '$lib/backend';

export function mockBackend(actual: typeof Backend): typeof Backend {
  return {
    ...actual,
    appInfo: vi.fn(),
    listProfiles: vi.fn(),
    saveProfile: vi.fn(),
    deleteProfile: vi.fn(),
    useProfile: vi.fn(),
    testProfile: vi.fn(),
    testProfileDraft: vi.fn(),
    profileStatus: vi.fn(),
    listJobs: vi.fn(),
    watchJobs: vi.fn(),
    cancelJob: vi.fn(),
    resetDemo: vi.fn(),
    listObjects: vi.fn(),
    listOriginals: vi.fn(),
    uploadOriginal: vi.fn(),
    imageCatalog: vi.fn(),
    saveImageCatalog: vi.fn(),
    getVariant: vi.fn(),
    warmPreset: vi.fn(),
    purgeVariants: vi.fn(),
    listCampaigns: vi.fn(),
    getCampaign: vi.fn(),
    createCampaign: vi.fn(),
    updateCampaign: vi.fn(),
    countSegment: vi.fn(),
    previewTemplate: vi.fn(),
    pickCustomers: vi.fn(),
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
    syncEvents: vi.fn(),
    eventsSyncStatus: vi.fn(),
    searchCustomers: vi.fn(),
    getCustomer: vi.fn(),
    eventsPage: vi.fn(),
    eventFacets: vi.fn(),
    eventDetail: vi.fn(),
    customerSessions: vi.fn(),
    exportEvents: vi.fn(),
    eventsRetention: vi.fn(),
    saveEventsRetention: vi.fn(),
    writeKeys: vi.fn(),
    createWriteKey: vi.fn(),
    revokeWriteKey: vi.fn(),
  };
}
