import { render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import { syncStatus } from '../../../test/eventFixtures';
import { job } from '../../../test/fixtures';
import { jobs } from '$lib/stores/jobs.svelte';
import SyncStatusCard from './SyncStatusCard.svelte';

beforeEach(() => {
  vi.clearAllMocks();
});

describe('SyncStatusCard', () => {
  it('flags objects keyed in the future or outside the layout, with an example of each', async () => {
    vi.mocked(backend.eventsSyncStatus).mockResolvedValue(
      syncStatus({
        futureKeys: { count: 2, examples: ['events/v1/dt=2031-01-01/hh=00/a.ndjson.gz'] },
        outOfLayoutKeys: { count: 1, examples: ['events/backfill/old.ndjson.gz'] },
      }),
    );
    render(SyncStatusCard, { timeZone: 'UTC', onsynced: () => {} });
    const note = await screen.findByTestId('sync-odd-keys');
    expect(note).toHaveTextContent('2 objects are keyed ahead of the clock');
    expect(note).toHaveTextContent('dt=2031-01-01');
    expect(note).toHaveTextContent('1 object is outside the dt=/hh= layout');
    expect(note).toHaveTextContent('events/backfill/old.ndjson.gz');
  });

  it('says nothing about odd keys when there are none', async () => {
    vi.mocked(backend.eventsSyncStatus).mockResolvedValue(syncStatus());
    render(SyncStatusCard, { timeZone: 'UTC', onsynced: () => {} });
    await vi.waitFor(() => expect(screen.getByTestId('sync-events')).toHaveTextContent('30,000'));
    expect(screen.queryByTestId('sync-odd-keys')).toBeNull();
  });

  it('shows why a sync failed, with the code of the error that stopped it', async () => {
    vi.mocked(backend.eventsSyncStatus).mockResolvedValue(syncStatus());
    const started = job({ id: 'sync-1', kind: 'events.sync', title: 'Sync events', state: 'running' });
    vi.mocked(backend.syncEvents).mockResolvedValue(started);
    const card = render(SyncStatusCard, { timeZone: 'UTC', onsynced: () => {} });
    await card.component.syncNow();
    jobs.upsert({
      ...started,
      state: 'failed',
      finishedAt: Date.now(),
      error: { code: 'access_denied', message: 'access denied to bucket `events`; check the credentials' },
    });
    const message = await screen.findByText(/Sync failed:/);
    expect(message).toHaveTextContent('Sync failed: access denied to bucket `events`; check the credentials');
    expect(message).toHaveAttribute('data-code', 'access_denied');
  });
});
