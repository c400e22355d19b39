import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import { campaignView, counts, customer, preview, progressView } from '../test/campaignFixtures';
import Campaigns from './Campaigns.svelte';

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(backend.listCampaigns).mockResolvedValue([
    campaignView({ id: 'k-1', state: 'draft' }),
    campaignView({
      id: 'k-2',
      settings: { ...campaignView().settings, name: 'Gold weekend' },
      state: 'running',
      interrupted: true,
      counts: counts({ sent: 50, pending: 50 }),
    }),
  ]);
  vi.mocked(backend.countSegment).mockResolvedValue({ count: 10, problem: null, eventsCache: null });
  vi.mocked(backend.pickCustomers).mockResolvedValue([customer()]);
  vi.mocked(backend.previewTemplate).mockResolvedValue(preview());
  vi.mocked(backend.getCampaign).mockResolvedValue(campaignView({ id: 'k-2', state: 'running' }));
  vi.mocked(backend.campaignProgress).mockResolvedValue(progressView({ campaignId: 'k-2', live: false, interrupted: true }));
  vi.mocked(backend.watchCampaign).mockResolvedValue();
  vi.mocked(backend.unwatchCampaign).mockResolvedValue();
  vi.mocked(backend.listRecipients).mockResolvedValue({ rows: [], nextAfter: null });
});

describe('Campaigns', () => {
  it('keeps the list current while a campaign is being sent', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      vi.mocked(backend.listCampaigns).mockResolvedValue([
        campaignView({ id: 'k-3', state: 'running', counts: counts({ sent: 10, pending: 90 }) }),
      ]);
      render(Campaigns);
      expect(await screen.findByTestId('campaign-row')).toHaveTextContent('10 %');
      vi.mocked(backend.listCampaigns).mockResolvedValue([
        campaignView({ id: 'k-3', state: 'running', counts: counts({ sent: 60, pending: 40 }) }),
      ]);
      await vi.advanceTimersByTimeAsync(2100);
      await vi.waitFor(() => expect(screen.getByTestId('campaign-row')).toHaveTextContent('60 %'));
    } finally {
      vi.useRealTimers();
    }
  });

  it('lists campaigns with status and progress; an interrupted run says so', async () => {
    render(Campaigns);
    const rows = await screen.findAllByTestId('campaign-row');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toHaveTextContent('interrupted');
    expect(rows[1]).toHaveTextContent('50 %');
  });

  it('opens a draft in the editor and a launched campaign in the run view', async () => {
    const user = userEvent.setup();
    render(Campaigns);
    const opens = await screen.findAllByTestId('campaign-open');
    await user.click(opens[0]!);
    expect(await screen.findByTestId('campaign-editor')).toBeInTheDocument();
    expect(screen.getByTestId('campaign-name')).toHaveValue('Spring promo');

    await user.click(screen.getByTestId('campaign-editor-close'));
    await user.click((await screen.findAllByTestId('campaign-open'))[1]!);
    expect(await screen.findByTestId('campaign-run')).toBeInTheDocument();
    expect(await screen.findByTestId('campaign-resume')).toBeInTheDocument();
    expect(backend.getCampaign).toHaveBeenCalledWith('k-2');
  });
});
