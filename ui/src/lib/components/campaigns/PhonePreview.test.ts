import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import { customer } from '../../../test/campaignFixtures';
import PhonePreview from './PhonePreview.svelte';

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(backend.pickCustomers).mockResolvedValue([
    customer(),
    customer({ id: 'cust-00002', name: 'Alan Turing', phone: '+12025550144' }),
  ]);
  vi.mocked(backend.phoneMessages).mockImplementation(async (phone) =>
    phone === '+12025550144'
      ? [
          {
            messageId: 'm-2',
            campaignId: 'k-1',
            campaignName: 'Spring promo',
            senderId: 'Stratus',
            body: 'Hi Alan, 200 points!',
            sentAt: Date.now(),
          },
        ]
      : [],
  );
  vi.mocked(backend.phoneNotifications).mockImplementation(async (id) =>
    id === 'cust-00002'
      ? [
          {
            messageId: 'p-1',
            channel: 'push',
            campaignName: 'Streak savers',
            title: 'Alan, keep your streak',
            body: '7 days and counting',
            deepLink: 'myapp://streak',
            sentAt: Date.now(),
          },
          {
            messageId: 'i-1',
            channel: 'in_app',
            campaignName: null,
            title: 'Your rewards',
            body: '200 points waiting',
            deepLink: null,
            sentAt: Date.now() - 1000,
          },
        ]
      : [],
  );
});

describe('PhonePreview', () => {
  it('shows what the chosen demo number received', async () => {
    const user = userEvent.setup();
    render(PhonePreview);
    await vi.waitFor(() => expect(backend.phoneMessages).toHaveBeenCalledWith('+12025550143'));
    expect(screen.getByText('No messages received yet.')).toBeInTheDocument();

    await user.click(screen.getByTestId('phone-customer-search'));
    await user.click(screen.getAllByTestId('phone-customer-option')[1]!);
    const message = await screen.findByTestId('phone-message');
    expect(message).toHaveTextContent('Hi Alan, 200 points!');
    expect(message).toHaveTextContent('Stratus');
    expect(screen.getByTestId('phone-screen')).toHaveAttribute('data-phone', '+12025550144');
  });

  it("shows a customer's pushes on the lock screen and in-app messages in the inbox", async () => {
    const user = userEvent.setup();
    render(PhonePreview);
    await vi.waitFor(() => expect(backend.phoneNotifications).toHaveBeenCalledWith('cust-00001'));
    await user.click(screen.getByTestId('phone-customer-search'));
    await user.click(screen.getAllByTestId('phone-customer-option')[1]!);
    await vi.waitFor(() => expect(backend.phoneNotifications).toHaveBeenCalledWith('cust-00002'));
    expect(await screen.findByTestId('phone-push-title')).toHaveTextContent('Alan, keep your streak');
    expect(screen.getByTestId('phone-push-link')).toHaveTextContent('myapp://streak');
    expect(screen.getByTestId('phone-inbox-message')).toHaveTextContent('200 points waiting');
  });
});
