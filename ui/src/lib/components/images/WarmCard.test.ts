import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import { warmPreset } from '$lib/backend';
import { jobs } from '$lib/stores/jobs.svelte';
import { job, preset } from '../../../test/fixtures';
import WarmCard from './WarmCard.svelte';

const warm = vi.mocked(warmPreset);
const presets = [preset('thumb'), preset('card'), preset('hero')];

beforeEach(() => {
  warm.mockReset();
  jobs.jobs = [];
  jobs.panelOpen = false;
});

describe('WarmCard', () => {
  it('warms the chosen preset for the current prefix and shows the job in the jobs panel', async () => {
    const user = userEvent.setup();
    warm.mockResolvedValue(job({ id: 'warm-1', kind: 'image_warm', title: 'Warm card under products/', state: 'queued' }));
    render(WarmCard, { presets, prefix: 'products/' });

    expect(screen.getByTestId('warm-prefix')).toHaveValue('products/');
    await user.selectOptions(screen.getByTestId('warm-preset'), 'card');
    await user.click(screen.getByTestId('warm-start'));

    expect(warm).toHaveBeenCalledWith('card', 'products/');
    await vi.waitFor(() => expect(jobs.jobs.map((j) => j.id)).toEqual(['warm-1']));
    expect(jobs.panelOpen).toBe(true);
    expect(screen.getByRole('status')).toHaveTextContent('Jobs panel');
  });

  it('takes another prefix and shows why a warm could not start', async () => {
    const user = userEvent.setup();
    warm.mockRejectedValue({ code: 'preset_unknown', message: 'no preset `thumb`' });
    render(WarmCard, { presets, prefix: '' });

    await user.type(screen.getByTestId('warm-prefix'), 'archive/2024/');
    await user.click(screen.getByTestId('warm-start'));

    expect(warm).toHaveBeenCalledWith('thumb', 'archive/2024/');
    const error = await screen.findByTestId('warm-error');
    expect(error).toHaveAttribute('data-code', 'preset_unknown');
    expect(jobs.jobs).toEqual([]);
  });
});
