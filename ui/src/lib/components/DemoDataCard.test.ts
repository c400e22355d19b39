import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../test/backend')).mockBackend(await importOriginal()),
);

import { resetDemo } from '$lib/backend';
import { jobs } from '$lib/stores/jobs.svelte';
import { job } from '../../test/fixtures';
import DemoDataCard from './DemoDataCard.svelte';

beforeEach(() => {
  vi.mocked(resetDemo).mockReset();
  jobs.jobs = [];
  jobs.panelOpen = false;
});

describe('DemoDataCard', () => {
  it('asks for confirmation, starts the reset and shows its job in the jobs panel', async () => {
    const user = userEvent.setup();
    const started = job({ id: 'reset-1', state: 'queued', done: 0, total: null });
    vi.mocked(resetDemo).mockResolvedValue(started);
    render(DemoDataCard);

    await user.click(screen.getByTestId('demo-reset'));
    expect(resetDemo).not.toHaveBeenCalled();

    await user.click(screen.getByTestId('demo-reset-confirm'));
    expect(resetDemo).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(jobs.jobs.map((j) => j.id)).toEqual(['reset-1']));
    expect(jobs.panelOpen).toBe(true);
    expect(screen.getByRole('status')).toHaveTextContent('Reset started');
  });

  it('can be called off', async () => {
    const user = userEvent.setup();
    render(DemoDataCard);
    await user.click(screen.getByTestId('demo-reset'));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('demo-reset-confirm')).not.toBeInTheDocument();
    expect(resetDemo).not.toHaveBeenCalled();
  });

  it('shows why a reset could not start', async () => {
    const user = userEvent.setup();
    vi.mocked(resetDemo).mockRejectedValue({ code: 'io', message: 'demo folder is read-only' });
    render(DemoDataCard);
    await user.click(screen.getByTestId('demo-reset'));
    await user.click(screen.getByTestId('demo-reset-confirm'));
    const error = await screen.findByTestId('demo-reset-error');
    expect(error).toHaveAttribute('data-code', 'io');
    expect(error).toHaveTextContent('demo folder is read-only');
    expect(jobs.jobs).toEqual([]);
  });
});
