import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import { jobs } from '$lib/stores/jobs.svelte';
import { person } from '../../../test/eventFixtures';
import { job } from '../../../test/fixtures';
import PersonPrivacy from './PersonPrivacy.svelte';

beforeEach(() => {
  vi.clearAllMocks();
  jobs.jobs = [];
});

describe('PersonPrivacy', () => {
  it('asks who requested it before anything can start', async () => {
    render(PersonPrivacy, { card: person() });
    expect(screen.getByTestId('person-export')).toBeDisabled();
    expect(screen.getByTestId('person-delete')).toBeDisabled();
    await fireEvent.input(screen.getByTestId('privacy-requester'), { target: { value: 'dpo@example.com' } });
    expect(screen.getByTestId('person-export')).toBeEnabled();
  });

  it('names what a deletion removes, runs it as a job on confirmation and reports the summary', async () => {
    const onerased = vi.fn();
    vi.mocked(backend.forgetPerson).mockResolvedValue(job({ id: 'j-erase', kind: 'events.person_forget', title: 'Delete cust-00034' }));
    render(PersonPrivacy, { card: person(), onerased });
    await fireEvent.input(screen.getByTestId('privacy-requester'), { target: { value: ' dpo@example.com ' } });
    await fireEvent.click(screen.getByTestId('person-delete'));
    expect(backend.forgetPerson).not.toHaveBeenCalled();
    const confirmation = screen.getByTestId('person-delete-confirmation');
    expect(confirmation).toHaveTextContent('120 cached events');
    expect(confirmation).toHaveTextContent('anon-laptop, anon-phone, cust-00034');
    expect(confirmation).toHaveTextContent('ann.lee@example.com');
    expect(confirmation).toHaveTextContent('bad/');
    await fireEvent.click(screen.getByTestId('person-delete-confirm'));
    expect(backend.forgetPerson).toHaveBeenCalledWith('cust-00034', 'dpo@example.com');
    expect(await screen.findByTestId('person-delete-job')).toHaveAttribute('data-state', 'running');
    jobs.upsert(job({ id: 'j-erase', kind: 'events.person_forget', state: 'succeeded', done: 10, total: 10, message: 'erased cust-00034 …' }));
    await vi.waitFor(() => expect(onerased).toHaveBeenCalledWith('erased cust-00034 …'));
  });

  it('shows where the export was saved once its job ends', async () => {
    vi.mocked(backend.exportPerson).mockResolvedValue(job({ id: 'j-export', kind: 'events.person_export' }));
    vi.mocked(backend.privacyRequests).mockResolvedValue([
      {
        id: 7,
        kind: 'export',
        subject: 'anon-phone',
        ids: ['anon-laptop', 'anon-phone', 'cust-00034'],
        requestedBy: 'dpo@example.com',
        requestedAt: 1,
        finishedAt: 2,
        state: 'done',
        counts: '{"bytes": 2048, "file": "/data/exports/events-person-cust-00034.json"}',
        file: '/data/exports/events-person-cust-00034.json',
        error: null,
      },
    ]);
    render(PersonPrivacy, { card: person() });
    await fireEvent.input(screen.getByTestId('privacy-requester'), { target: { value: 'dpo@example.com' } });
    await fireEvent.click(screen.getByTestId('person-export'));
    expect(backend.exportPerson).toHaveBeenCalledWith('cust-00034', 'dpo@example.com');
    jobs.upsert(job({ id: 'j-export', kind: 'events.person_export', state: 'succeeded', message: 'exported' }));
    const saved = await screen.findByTestId('person-export-result');
    expect(saved).toHaveAttribute('data-path', '/data/exports/events-person-cust-00034.json');
    expect(saved).toHaveTextContent('2.0 KB');
  });
});
