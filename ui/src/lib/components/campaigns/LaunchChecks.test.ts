import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import { newCampaignInput } from '$lib/campaigns';
import { customer } from '../../../test/campaignFixtures';
import LaunchChecks from './LaunchChecks.svelte';

const settings = () => ({ ...newCampaignInput(), name: 'Weekend' });

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(backend.pickCustomers).mockResolvedValue([customer()]);
});

describe('LaunchChecks', () => {
  it('shows the dry run: audience, who is left out and why, cost, duration, samples', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.dryRun).mockResolvedValue({
      audience: 1200,
      eligible: 1000,
      skipped: [
        { code: 'not_opted_in', count: 150 },
        { code: 'quiet_hours', count: 50 },
      ],
      optOutsChecked: true,
      renderErrors: 0,
      firstRenderError: null,
      samples: [
        {
          customerId: 'cust-00001',
          name: 'Ada Lovelace',
          address: '+12025550143',
          text: 'Hi Ada!',
          sms: { encoding: 'gsm7', units: 7, parts: 1, perPart: 160 },
          notification: null,
          devices: 0,
        },
      ],
      totalParts: 1000,
      devices: 0,
      pricePerPart: 0.00883,
      currency: 'USD',
      estimatedCost: 8.83,
      ratePerSec: 20,
      estimatedSeconds: 60,
      waiting: 40,
      estimatedFinishAt: Date.now() + 60_000,
      eventsCache: { syncedAt: Date.now() - 2 * 3_600_000, newestEventAt: Date.now() - 3 * 3_600_000 },
    });
    render(LaunchChecks, { settings });
    await user.click(screen.getByTestId('dry-run-start'));

    const report = await screen.findByTestId('dry-run-report');
    expect(report).toHaveTextContent('1,200');
    expect(report).toHaveTextContent('$8.83');
    expect(report).toHaveTextContent('1 min');
    expect(screen.getByTestId('dry-run-skipped')).toHaveTextContent('not_opted_in 150');
    expect(screen.getByTestId('dry-run-sample')).toHaveTextContent('Hi Ada!');
    expect(screen.getByTestId('dry-run-waiting')).toHaveAttribute('data-waiting', '40');
    expect(screen.getByTestId('dry-run-finish')).not.toBeEmptyDOMElement();
    const cache = screen.getByTestId('dry-run-events-cache');
    expect(cache).toHaveTextContent('Events synced 2 h ago, newest 3 h ago.');
    expect(cache).toHaveAttribute('data-stale', 'false');
    expect(backend.dryRun).toHaveBeenCalledWith(expect.objectContaining({ name: 'Weekend' }));
  });

  it('sends a test to the typed number with the picked customer and shows a refusal with its code', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.testSend).mockResolvedValue({
      messageId: 'm-1',
      to: '+14155550100',
      text: 'Hi Ada!',
      sms: { encoding: 'gsm7', units: 7, parts: 1, perPart: 160 },
    });
    render(LaunchChecks, { settings });
    await screen.findByTestId('test-customer-selected');
    await user.type(screen.getByTestId('test-send-to'), '+1 415 555 0100');
    await user.click(screen.getByTestId('test-send-start'));

    expect(await screen.findByTestId('test-send-done')).toHaveTextContent('m-1');
    expect(backend.testSend).toHaveBeenCalledWith({
      settings: expect.objectContaining({ name: 'Weekend' }),
      customerId: 'cust-00001',
      to: '+1 415 555 0100',
    });

    vi.mocked(backend.testSend).mockRejectedValue({
      code: 'invalid_address',
      message: 'cannot send to `12`: not a phone number',
    });
    await user.click(screen.getByTestId('test-send-start'));
    expect(await screen.findByTestId('test-send-error')).toHaveAttribute('data-code', 'invalid_address');
    expect(screen.queryByTestId('test-send-done')).not.toBeInTheDocument();
  });

  it('counts devices for a push and shows samples as notifications at the push price', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.dryRun).mockResolvedValue({
      audience: 3,
      eligible: 2,
      skipped: [{ code: 'endpoint_disabled', count: 1 }],
      optOutsChecked: false,
      renderErrors: 0,
      firstRenderError: null,
      samples: [
        {
          customerId: 'cust-00001',
          name: 'Ada Lovelace',
          address: 'arn:aws:sns:us-east-1:1:endpoint/APNS/app/1',
          text: '120 points waiting',
          sms: { encoding: 'gsm7', units: 18, parts: 1, perPart: 160 },
          notification: {
            title: 'Ada, your rewards',
            body: '120 points waiting',
            deepLink: 'myapp://rewards',
            data: {},
            badge: 2,
            sound: 'default',
          },
          devices: 2,
        },
      ],
      totalParts: 0,
      devices: 3,
      pricePerPart: 0.0000005,
      currency: 'USD',
      estimatedCost: 0.0000015,
      ratePerSec: 50,
      estimatedSeconds: 1,
      waiting: 0,
      estimatedFinishAt: 0,
      eventsCache: null,
    });
    render(LaunchChecks, { settings: () => ({ ...settings(), channel: 'push' as const }) });
    await user.click(screen.getByTestId('dry-run-start'));

    expect(await screen.findByTestId('dry-run-devices')).toHaveTextContent('3');
    expect(screen.queryByTestId('dry-run-events-cache')).not.toBeInTheDocument();
    const report = screen.getByTestId('dry-run-report');
    expect(report).not.toHaveTextContent('SMS parts');
    expect(report).toHaveTextContent('$0.0000015');
    expect(screen.getByTestId('dry-run-notification-title')).toHaveTextContent('Ada, your rewards');
    expect(screen.getByTestId('dry-run-sample')).toHaveTextContent('2 devices');
  });
});
