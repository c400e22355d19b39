import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import RetentionForm from './RetentionForm.svelte';

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(backend.eventsRetention).mockResolvedValue({ maxAgeDays: 90, maxEvents: null, pruned: 0 });
});

describe('RetentionForm', () => {
  it('shows the saved limits and saves new ones, saying how many events went', async () => {
    const user = userEvent.setup();
    const onsaved = vi.fn();
    vi.mocked(backend.saveEventsRetention).mockResolvedValue({ maxAgeDays: 7, maxEvents: 1_000_000, pruned: 1234 });
    render(RetentionForm, { onsaved });
    await vi.waitFor(() => expect(screen.getByTestId('retention-days')).toHaveValue('90'));
    expect(screen.getByTestId('retention-max')).toHaveValue('');

    await user.clear(screen.getByTestId('retention-days'));
    await user.type(screen.getByTestId('retention-days'), '7');
    await user.type(screen.getByTestId('retention-max'), '1,000,000');
    await user.click(screen.getByTestId('retention-save'));

    expect(backend.saveEventsRetention).toHaveBeenCalledWith({ maxAgeDays: 7, maxEvents: 1_000_000 });
    expect(await screen.findByTestId('retention-saved')).toHaveTextContent('1,234 events');
    expect(onsaved).toHaveBeenCalledOnce();
  });

  it('shows a refused limit with its code', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.saveEventsRetention).mockRejectedValue({
      code: 'invalid_retention',
      message: 'keep events for 0 days: choose 1 to 3650 days, or no age limit',
    });
    render(RetentionForm, { onsaved: vi.fn() });
    await vi.waitFor(() => expect(screen.getByTestId('retention-days')).toHaveValue('90'));
    await user.clear(screen.getByTestId('retention-days'));
    await user.type(screen.getByTestId('retention-days'), '0');
    await user.click(screen.getByTestId('retention-save'));
    const err = await screen.findByTestId('retention-error');
    expect(err).toHaveAttribute('data-code', 'invalid_retention');
    expect(err).toHaveTextContent('1 to 3650');
  });
});
