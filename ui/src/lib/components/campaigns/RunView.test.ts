import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import type { CampaignProgress } from '$lib/backend';
import { campaignView, counts, progressView } from '../../../test/campaignFixtures';
import RunView from './RunView.svelte';

let push: (p: CampaignProgress) => void = () => {};

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(backend.getCampaign).mockResolvedValue(campaignView({ state: 'running' }));
  vi.mocked(backend.campaignProgress).mockResolvedValue(progressView());
  vi.mocked(backend.watchCampaign).mockImplementation(async (_id, onProgress) => {
    push = onProgress;
  });
  vi.mocked(backend.unwatchCampaign).mockResolvedValue();
  vi.mocked(backend.listRecipients).mockResolvedValue({ rows: [], nextAfter: null });
});

describe('RunView', () => {
  it('follows the streamed progress to 100 % with counters and errors by code', async () => {
    render(RunView, { campaignId: 'k-1', onclose: vi.fn() });
    const bar = await screen.findByTestId('campaign-progress');
    expect(bar).toHaveAttribute('data-percent', '40');
    expect(within(screen.getByTestId('campaign-errors')).getByText('SimulatedFailure')).toBeInTheDocument();
    await vi.waitFor(() => expect(backend.watchCampaign).toHaveBeenCalledWith('k-1', expect.any(Function)));

    push(progressView({ state: 'completed', live: false, counts: counts({ sent: 88, failed: 2, skipped: 10 }), etaSeconds: null }));
    await vi.waitFor(() => expect(bar).toHaveAttribute('data-percent', '100'));
    expect(screen.getByTestId('campaign-run-state')).toHaveTextContent('completed');
    expect(screen.getByTestId('campaign-count-sent')).toHaveAttribute('data-count', '88');
    expect(screen.getByTestId('campaign-count-skipped')).toHaveAttribute('data-count', '10');
    expect(screen.queryByTestId('campaign-pause')).not.toBeInTheDocument();
  });

  it('shows a cloud run nobody watched as running in the cloud, steerable, not interrupted', async () => {
    vi.mocked(backend.campaignProgress).mockResolvedValue(
      progressView({ inCloud: true, live: true, enforcedRate: null, counts: counts({ sent: 10, pending: 30 }) }),
    );
    render(RunView, { campaignId: 'k-1', onclose: vi.fn() });
    expect(await screen.findByTestId('campaign-run-state')).toHaveTextContent('running in the cloud');
    expect(screen.getByTestId('campaign-in-cloud')).toHaveTextContent('goes on with the app or the laptop closed');
    expect(screen.queryByTestId('campaign-interrupted')).not.toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(screen.getByTestId('campaign-pause'));
    expect(backend.pauseCampaign).toHaveBeenCalledWith('k-1');
  });

  it('offers to finish a cloud launch whose upload stopped halfway', async () => {
    vi.mocked(backend.campaignProgress).mockResolvedValue(
      progressView({ inCloud: true, live: false, interrupted: true, counts: counts({ pending: 40 }) }),
    );
    render(RunView, { campaignId: 'k-1', onclose: vi.fn() });
    expect(await screen.findByTestId('campaign-interrupted')).toHaveTextContent('Resume to finish it');
    expect(screen.getByTestId('campaign-run-state')).toHaveTextContent('interrupted');
    const user = userEvent.setup();
    await user.click(screen.getByTestId('campaign-resume'));
    expect(backend.resumeCampaign).toHaveBeenCalledWith('k-1');
  });

  it('says who waits for quiet hours', async () => {
    vi.mocked(backend.campaignProgress).mockResolvedValue(
      progressView({
        counts: counts({ sent: 10, pending: 5 }),
        waiting: 'waiting for quiet hours to end in 2 time zones (5 recipients, next at 2026-12-03 13:00 UTC)',
      }),
    );
    render(RunView, { campaignId: 'k-1', onclose: vi.fn() });
    expect(await screen.findByTestId('campaign-waiting')).toHaveTextContent(
      'waiting for quiet hours to end in 2 time zones',
    );
  });

  it('ignores progress of another campaign', async () => {
    render(RunView, { campaignId: 'k-1', onclose: vi.fn() });
    const bar = await screen.findByTestId('campaign-progress');
    await vi.waitFor(() => expect(backend.watchCampaign).toHaveBeenCalled());
    push(progressView({ campaignId: 'k-2', counts: counts({ sent: 100 }) }));
    await new Promise((r) => setTimeout(r, 20));
    expect(bar).toHaveAttribute('data-percent', '40');
  });

  it('pauses a live run and changes its rate', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.pauseCampaign).mockResolvedValue();
    vi.mocked(backend.setCampaignRate).mockResolvedValue();
    render(RunView, { campaignId: 'k-1', onclose: vi.fn() });
    await user.click(await screen.findByTestId('campaign-pause'));
    expect(backend.pauseCampaign).toHaveBeenCalledWith('k-1');

    await user.clear(screen.getByTestId('campaign-run-rate'));
    await user.type(screen.getByTestId('campaign-run-rate'), '5');
    await user.click(screen.getByTestId('campaign-run-rate-apply'));
    expect(backend.setCampaignRate).toHaveBeenCalledWith('k-1', 5);
  });

  it('offers Resume for a run interrupted by closing the app', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.campaignProgress).mockResolvedValue(progressView({ live: false, interrupted: true }));
    vi.mocked(backend.resumeCampaign).mockResolvedValue();
    render(RunView, { campaignId: 'k-1', onclose: vi.fn() });
    expect(await screen.findByTestId('campaign-interrupted')).toBeInTheDocument();
    expect(screen.getByTestId('campaign-run-state')).toHaveTextContent('interrupted');
    expect(screen.queryByTestId('campaign-pause')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('campaign-resume'));
    expect(backend.resumeCampaign).toHaveBeenCalledWith('k-1');
  });

  it('retries failed and, when asked, unknown recipients; shows a refusal with its code', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.campaignProgress).mockResolvedValue(
      progressView({ state: 'completed', live: false, counts: counts({ sent: 5, failed: 2, unknown: 1 }) }),
    );
    vi.mocked(backend.retryFailed).mockResolvedValue(3);
    render(RunView, { campaignId: 'k-1', onclose: vi.fn() });
    await user.click(await screen.findByTestId('campaign-retry-unknown'));
    await user.click(screen.getByTestId('campaign-retry'));
    expect(backend.retryFailed).toHaveBeenCalledWith('k-1', true);
    expect(await screen.findByTestId('campaign-run-notice')).toHaveTextContent('3 recipients queued again');

    vi.mocked(backend.retryFailed).mockRejectedValue({ code: 'already_running', message: '“Spring promo” is already being sent' });
    await user.click(screen.getByTestId('campaign-retry'));
    expect(await screen.findByTestId('campaign-run-error')).toHaveAttribute('data-code', 'already_running');
  });
});
