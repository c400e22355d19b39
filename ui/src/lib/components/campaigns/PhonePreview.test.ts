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
});
