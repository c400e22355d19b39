import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import { customer, person } from '../../../test/eventFixtures';
import CustomerCard from './CustomerCard.svelte';

beforeEach(() => {
  vi.clearAllMocks();
});

describe('CustomerCard person card', () => {
  it('opens in one click and explains how each id joined the person', async () => {
    vi.mocked(backend.getPerson).mockResolvedValue(person());
    render(CustomerCard, { customer: customer({ ids: 3 }), timeZone: 'UTC', onclose: () => {} });
    expect(screen.getByTestId('customer-ids')).toHaveTextContent('3');
    expect(screen.queryByTestId('person-card')).toBeNull();
    await fireEvent.click(screen.getByTestId('person-toggle'));
    expect(backend.getPerson).toHaveBeenCalledWith('cust-00034');
    const links = await screen.findAllByTestId('person-link');
    expect(links.map((l) => l.textContent)).toEqual([
      'linked by identify on 2026-11-20',
      'linked by alias on 2026-11-21',
    ]);
    expect(screen.getByTestId('person-group')).toHaveTextContent('member of acme');
    expect(screen.getByTestId('person-traits')).toHaveTextContent('plan');
    expect(screen.getByTestId('person-traits')).toHaveTextContent('pro');
    expect(screen.getByTestId('person-directory')).toHaveTextContent('gold');
    expect(screen.getByTestId('person-directory')).toHaveTextContent('1,520');
    expect(screen.getByTestId('person-consent')).toHaveTextContent('sms_opt_in');
    expect(screen.getByTestId('person-campaign')).toHaveTextContent('Spring sale');
    expect(screen.getByTestId('person-device')).toHaveTextContent('stratus.js 0.4.2');
  });

  it('shows the error with a retry when the card cannot be read', async () => {
    vi.mocked(backend.getPerson).mockRejectedValueOnce({ code: 'internal', message: 'database is locked' });
    render(CustomerCard, { customer: customer(), timeZone: 'UTC', onclose: () => {} });
    await fireEvent.click(screen.getByTestId('person-toggle'));
    expect(await screen.findByText(/database is locked/)).toBeInTheDocument();
    vi.mocked(backend.getPerson).mockResolvedValue(person());
    await fireEvent.click(screen.getByRole('button', { name: /retry/i }));
    expect(await screen.findByTestId('person-traits')).toBeInTheDocument();
  });
});
