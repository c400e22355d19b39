import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../test/backend')).mockBackend(await importOriginal()),
);

import { cancelJob } from '$lib/backend';
import { job } from '../../test/fixtures';
import JobsPanel from './JobsPanel.svelte';

const cancel = vi.mocked(cancelJob);

beforeEach(() => {
  cancel.mockReset();
});

function row(id: string): HTMLElement {
  const found = screen.getAllByTestId('job-row').find((r) => r.getAttribute('data-job-id') === id);
  if (!found) throw new Error(`no job row ${id}`);
  return found;
}

describe('JobsPanel', () => {
  it('shows title, state, progress and message of each job', () => {
    render(JobsPanel, {
      jobs: [
        job({ id: 'a', title: 'Reset demo data', state: 'running', done: 3, total: 12, message: 'Seeding events' }),
        job({
          id: 'b',
          title: 'Warm variants',
          state: 'failed',
          done: 2,
          total: 4,
          error: { code: 'too_large', message: 'original `a.jpg` is 90 bytes, above the 10 byte limit' },
        }),
      ],
      onclose: vi.fn(),
    });

    const a = row('a');
    expect(a).toHaveTextContent('Reset demo data');
    expect(within(a).getByTestId('job-state')).toHaveTextContent('running');
    const bar = within(a).getByTestId('job-progress');
    expect(bar).toHaveAttribute('aria-valuenow', '3');
    expect(bar).toHaveAttribute('aria-valuemax', '12');
    expect(bar.querySelector('div')).toHaveStyle({ width: '25%' });
    expect(a).toHaveTextContent('3 / 12');
    expect(a).toHaveTextContent('Seeding events');

    const b = row('b');
    expect(within(b).getByTestId('job-state')).toHaveTextContent('failed');
    const failure = within(b).getByTestId('job-error');
    expect(failure).toHaveTextContent('original `a.jpg` is 90 bytes, above the 10 byte limit');
    expect(failure).toHaveAttribute('data-code', 'too_large');
  });

  it('draws an indeterminate bar when the total is unknown', () => {
    render(JobsPanel, { jobs: [job({ id: 'a', done: 40, total: null })], onclose: vi.fn() });
    const bar = within(row('a')).getByTestId('job-progress');
    expect(bar).toHaveClass('indeterminate');
    expect(bar).not.toHaveAttribute('aria-valuenow');
    expect(row('a')).toHaveTextContent('40');
  });

  it('offers Cancel only for running or queued jobs, and cancel calls job_cancel with the id', async () => {
    const user = userEvent.setup();
    cancel.mockResolvedValue(undefined);
    render(JobsPanel, {
      jobs: [
        job({ id: 'run', state: 'running' }),
        job({ id: 'wait', state: 'queued' }),
        job({ id: 'done', state: 'succeeded', done: 10, total: 10 }),
      ],
      onclose: vi.fn(),
    });

    expect(within(row('done')).queryByTestId('job-cancel')).not.toBeInTheDocument();
    expect(within(row('wait')).getByTestId('job-cancel')).toBeInTheDocument();

    await user.click(within(row('run')).getByTestId('job-cancel'));
    expect(cancel).toHaveBeenCalledExactlyOnceWith('run');
  });

  it('shows a cancel failure on the row, but not a job that just finished', async () => {
    const user = userEvent.setup();
    cancel
      .mockRejectedValueOnce({ code: 'job_not_running', message: 'job `a` is not running' })
      .mockRejectedValueOnce({ code: 'database', message: 'database is locked' });
    render(JobsPanel, { jobs: [job({ id: 'a' }), job({ id: 'b' })], onclose: vi.fn() });

    await user.click(within(row('a')).getByTestId('job-cancel'));
    expect(row('a')).not.toHaveTextContent('Could not cancel');

    await user.click(within(row('b')).getByTestId('job-cancel'));
    expect(await within(row('b')).findByText(/Could not cancel: database is locked/)).toBeInTheDocument();
  });

  it('has an empty state and closes', async () => {
    const user = userEvent.setup();
    const onclose = vi.fn();
    render(JobsPanel, { jobs: [], onclose });
    expect(screen.getByTestId('jobs-panel')).toHaveTextContent('No jobs yet.');
    await user.click(screen.getByRole('button', { name: 'Close jobs panel' }));
    expect(onclose).toHaveBeenCalledOnce();
  });
});
