import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import { campaignView, customer, preview } from '../../../test/campaignFixtures';
import { job } from '../../../test/fixtures';
import CampaignEditor from './CampaignEditor.svelte';

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(backend.countSegment).mockResolvedValue({ count: 1234, problem: null, eventsCache: null });
  vi.mocked(backend.pickCustomers).mockResolvedValue([customer()]);
  vi.mocked(backend.previewTemplate).mockResolvedValue(preview());
  vi.mocked(backend.cloudStatus).mockResolvedValue({
    available: false,
    workers: null,
    reason: 'the demo profile sends from this computer: cloud runs need a cloud profile with a deployed stack',
  });
});

describe('CampaignEditor', () => {
  it('counts the segment live and points at the error position', async () => {
    const user = userEvent.setup();
    render(CampaignEditor, { onlaunched: vi.fn(), onclose: vi.fn() });
    expect(await screen.findByText('1,234')).toBeInTheDocument();

    vi.mocked(backend.countSegment).mockImplementation(async (text) =>
      text === 'points >'
        ? {
            count: null,
            problem: { position: 8, expected: 'a value', found: 'the end', message: 'at character 9: expected a value, found the end' },
            eventsCache: null,
          }
        : { count: 10, problem: null, eventsCache: null },
    );
    const input = screen.getByTestId('campaign-segment');
    await user.clear(input);
    await user.type(input, 'points >');
    const problem = await screen.findByTestId('segment-problem');
    expect(problem).toHaveAttribute('data-position', '8');
    expect(problem).toHaveTextContent('expected a value');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(backend.countSegment).toHaveBeenLastCalledWith('points >');
    expect(screen.queryByTestId('segment-count')).not.toBeInTheDocument();
  });

  it('says how old the events cache is when the segment reads what customers did', async () => {
    const user = userEvent.setup();
    render(CampaignEditor, { onlaunched: vi.fn(), onclose: vi.fn() });
    expect(await screen.findByText('1,234')).toBeInTheDocument();
    expect(screen.queryByTestId('segment-events-cache')).not.toBeInTheDocument();
    expect(screen.getByTestId('segment-hint')).toHaveTextContent('did "Order Completed" within 30d');

    vi.mocked(backend.countSegment).mockResolvedValue({
      count: 0,
      problem: null,
      eventsCache: { syncedAt: null, newestEventAt: null },
    });
    const input = screen.getByTestId('campaign-segment');
    await user.clear(input);
    await user.type(input, 'did x');
    const cache = await screen.findByTestId('segment-events-cache');
    expect(cache).toHaveTextContent('never synced');
    expect(cache).toHaveAttribute('data-stale', 'true');
    expect(backend.countSegment).toHaveBeenLastCalledWith('did x');
  });

  it('previews the template for the picked customer with its SMS parts', async () => {
    render(CampaignEditor, { onlaunched: vi.fn(), onclose: vi.fn() });
    expect(await screen.findByTestId('template-preview')).toHaveTextContent('Hi Ada! You have 1200 points.');
    expect(screen.getByTestId('template-sms')).toHaveAttribute('data-parts', '1');
    expect(backend.previewTemplate).toHaveBeenCalledWith(expect.stringContaining('{{ first_name }}'), 'cust-00001');

    vi.mocked(backend.previewTemplate).mockRejectedValue({
      code: 'invalid_template',
      message: 'the template is invalid: unknown field `pionts`',
    });
    const user = userEvent.setup();
    await user.type(screen.getByTestId('campaign-template'), ' {{{{ pionts }}');
    const error = await screen.findByTestId('template-error');
    expect(error).toHaveAttribute('data-code', 'invalid_template');
    expect(error).toHaveTextContent('pionts');
  });

  it('saves the form as a draft with quiet hours in minutes, then launches it', async () => {
    const user = userEvent.setup();
    const onlaunched = vi.fn();
    vi.mocked(backend.createCampaign).mockImplementation(async (settings) =>
      campaignView({ id: 'k-9', settings }),
    );
    vi.mocked(backend.launchCampaign).mockResolvedValue(job({ kind: 'campaign.run' }));
    render(CampaignEditor, { onlaunched, onclose: vi.fn() });

    await user.type(screen.getByTestId('campaign-name'), 'Weekend');
    await user.clear(screen.getByTestId('campaign-rate'));
    await user.type(screen.getByTestId('campaign-rate'), '50');
    await user.click(screen.getByTestId('campaign-quiet'));
    await user.click(screen.getByTestId('campaign-launch'));
    await user.click(await screen.findByTestId('campaign-launch-confirm'));

    await vi.waitFor(() => expect(onlaunched).toHaveBeenCalledWith('k-9'));
    const sent = vi.mocked(backend.createCampaign).mock.calls[0]![0];
    expect(sent).toMatchObject({ name: 'Weekend', ratePerSec: 50, quietStartMinute: 1260, quietEndMinute: 480 });
    expect(sent).toMatchObject({ quietMode: 'wait', capMessages: null, capDays: null });
    expect(backend.launchCampaign).toHaveBeenCalledWith('k-9');
  });

  it('saves "skip" in quiet hours and a frequency cap', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.createCampaign).mockImplementation(async (settings) =>
      campaignView({ id: 'k-9', settings }),
    );
    vi.mocked(backend.launchCampaign).mockResolvedValue(job({ kind: 'campaign.run' }));
    render(CampaignEditor, { onlaunched: vi.fn(), onclose: vi.fn() });
    await user.type(screen.getByTestId('campaign-name'), 'Capped');
    await user.click(screen.getByTestId('campaign-quiet'));
    await user.selectOptions(screen.getByTestId('campaign-quiet-mode'), 'skip');
    await user.click(screen.getByTestId('campaign-capped'));
    await user.clear(screen.getByTestId('campaign-cap-messages'));
    await user.type(screen.getByTestId('campaign-cap-messages'), '2');
    await user.click(screen.getByTestId('campaign-launch'));
    await user.click(await screen.findByTestId('campaign-launch-confirm'));

    await vi.waitFor(() => expect(backend.createCampaign).toHaveBeenCalled());
    const sent = vi.mocked(backend.createCampaign).mock.calls[0]![0];
    expect(sent).toMatchObject({ quietMode: 'skip', capMessages: 2, capDays: 7 });
  });

  it('shows a refused save with its code and does not launch', async () => {
    const user = userEvent.setup();
    const onlaunched = vi.fn();
    vi.mocked(backend.createCampaign).mockRejectedValue({
      code: 'invalid_campaign',
      message: 'invalid campaign settings: the name is empty',
    });
    render(CampaignEditor, { onlaunched, onclose: vi.fn() });
    await user.click(screen.getByTestId('campaign-launch'));
    await user.click(await screen.findByTestId('campaign-launch-confirm'));

    const error = await screen.findByTestId('campaign-editor-error');
    expect(error).toHaveAttribute('data-code', 'invalid_campaign');
    expect(error).toHaveTextContent('the name is empty');
    expect(backend.launchCampaign).not.toHaveBeenCalled();
    expect(onlaunched).not.toHaveBeenCalled();
  });

  it('offers the cloud only where the workers are deployed, and says why not', async () => {
    const user = userEvent.setup();
    render(CampaignEditor, { onlaunched: vi.fn(), onclose: vi.fn() });
    await user.click(screen.getByTestId('campaign-launch'));
    expect(await screen.findByTestId('campaign-cloud-unavailable')).toHaveTextContent('cloud runs need a cloud profile');
    expect(screen.getByTestId('campaign-where-cloud')).toBeDisabled();
    expect(screen.getByTestId('campaign-where-here')).toBeChecked();
  });

  it('launches in the cloud when chosen, with the cloud launch and no local job', async () => {
    const user = userEvent.setup();
    const onlaunched = vi.fn();
    vi.mocked(backend.cloudStatus).mockResolvedValue({ available: true, workers: 2, reason: null });
    vi.mocked(backend.createCampaign).mockImplementation(async (settings) => campaignView({ id: 'k-7', settings }));
    vi.mocked(backend.launchCampaignInCloud).mockResolvedValue({
      runId: 'k-7.1',
      recipients: 40,
      chunks: 1,
      settledHere: 0,
      scheduled: false,
    });
    render(CampaignEditor, { onlaunched, onclose: vi.fn() });
    await user.type(screen.getByTestId('campaign-name'), 'Cloudy');
    await user.click(screen.getByTestId('campaign-launch'));
    const cloudOption = await screen.findByTestId('campaign-where-cloud');
    await vi.waitFor(() => expect(cloudOption).toBeEnabled());
    await user.click(cloudOption);
    expect(screen.getByTestId('campaign-launch-confirm')).toHaveTextContent('Launch in the cloud');
    await user.click(screen.getByTestId('campaign-launch-confirm'));

    await vi.waitFor(() => expect(onlaunched).toHaveBeenCalledWith('k-7'));
    expect(backend.launchCampaignInCloud).toHaveBeenCalledWith('k-7');
    expect(backend.launchCampaign).not.toHaveBeenCalled();
  });

  it('keeps a refused cloud launch in the dialog with its reason', async () => {
    const user = userEvent.setup();
    const onlaunched = vi.fn();
    vi.mocked(backend.cloudStatus).mockResolvedValue({ available: true, workers: 2, reason: null });
    vi.mocked(backend.createCampaign).mockImplementation(async (settings) => campaignView({ id: 'k-8', settings }));
    // The stack was torn down after the dialog opened.
    vi.mocked(backend.launchCampaignInCloud).mockRejectedValue({
      code: 'cloud_unavailable',
      message: 'profile “shop” has no campaign worker deployed: deploy it (Settings → Deploy, or `stratus deploy`)',
    });
    render(CampaignEditor, { onlaunched, onclose: vi.fn() });
    await user.type(screen.getByTestId('campaign-name'), 'Capped');
    await user.click(screen.getByTestId('campaign-launch'));
    const cloudOption = await screen.findByTestId('campaign-where-cloud');
    await vi.waitFor(() => expect(cloudOption).toBeEnabled());
    await user.click(cloudOption);
    await user.click(screen.getByTestId('campaign-launch-confirm'));

    const error = await screen.findByTestId('campaign-launch-error');
    expect(error).toHaveAttribute('data-code', 'cloud_unavailable');
    expect(error).toHaveTextContent('Not launched: profile “shop” has no campaign worker deployed');
    expect(screen.getByTestId('campaign-launch-confirm-box')).toContainElement(error);
    expect(onlaunched).not.toHaveBeenCalled();
  });
});
