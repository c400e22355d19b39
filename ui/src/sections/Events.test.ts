import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import { jobs } from '$lib/stores/jobs.svelte';
import { customer, eventRow, facets, syncStatus } from '../test/eventFixtures';
import { job } from '../test/fixtures';
import Events from './Events.svelte';

const T = Date.UTC(2026, 10, 26, 15, 4, 5, 123);

beforeEach(() => {
  vi.clearAllMocks();
  jobs.jobs = [];
  vi.mocked(backend.eventsSyncStatus).mockResolvedValue(syncStatus());
  vi.mocked(backend.eventsPage).mockResolvedValue({ events: [eventRow(0, { ts: T })], next: null });
  vi.mocked(backend.eventFacets).mockResolvedValue(facets());
  vi.mocked(backend.searchCustomers).mockResolvedValue([customer()]);
  vi.mocked(backend.eventDetail).mockResolvedValue({ eventId: 'ev-0', json: '{\n  "event": "Button Clicked"\n}' });
});

describe('Events (support screen)', () => {
  it('finds a customer and opens their timeline in their time zone, with a UTC toggle', async () => {
    const user = userEvent.setup();
    render(Events);
    await user.type(screen.getByTestId('customer-search'), 'ann{Enter}');
    await user.click(await screen.findByTestId('customer-result'));

    expect(await screen.findByTestId('customer-card')).toHaveAttribute('data-id', 'cust-00034');
    await vi.waitFor(() =>
      expect(backend.eventsPage).toHaveBeenLastCalledWith(expect.objectContaining({ distinctId: 'cust-00034' }), null, 200),
    );
    // The customer's zone (Asia/Tokyo, from the directory) is chosen by itself.
    expect(screen.getByTestId('zone-toggle')).toHaveAttribute('data-mode', 'customer');
    expect(await screen.findByTestId('event-time')).toHaveTextContent('2026-11-27 00:04:05.123');
    expect(screen.getByTestId('customer-zone')).toHaveTextContent('Asia/Tokyo');

    await vi.waitFor(() => expect(backend.eventFacets).toHaveBeenLastCalledWith(expect.anything(), 540));
    const pages = vi.mocked(backend.eventsPage).mock.calls.length;

    await user.click(screen.getByTestId('zone-utc'));
    expect(screen.getByTestId('event-time')).toHaveTextContent('2026-11-26 15:04:05.123');
    expect(screen.getByTestId('zone-note')).toHaveTextContent('UTC');
    // Another zone re-cuts the facets' days; the rows stay (no time range typed).
    await vi.waitFor(() => expect(backend.eventFacets).toHaveBeenLastCalledWith(expect.anything(), 0));
    expect(backend.eventsPage).toHaveBeenCalledTimes(pages);
  });

  it('narrows a timeline to one session of the customer', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.customerSessions).mockResolvedValue([
      { sessionId: 'sess-9', firstTs: T - 600_000, lastTs: T, events: 7, landingUrl: 'https://shop.example.com/pricing' },
    ]);
    render(Events);
    await user.type(screen.getByTestId('customer-search'), 'ann{Enter}');
    await user.click(await screen.findByTestId('customer-result'));
    await user.click(await screen.findByTestId('sessions-toggle'));
    expect(backend.customerSessions).toHaveBeenCalledWith('cust-00034');
    const row = await screen.findByTestId('session-row');
    expect(row).toHaveTextContent('7 events');
    await user.click(row);
    await vi.waitFor(() =>
      expect(backend.eventsPage).toHaveBeenLastCalledWith(
        expect.objectContaining({ distinctId: 'cust-00034', sessionId: 'sess-9' }),
        null,
        200,
      ),
    );
    expect(screen.getByTestId('events-scope')).toHaveTextContent('one session');
  });

  it('shows the full JSON of the clicked event', async () => {
    const user = userEvent.setup();
    render(Events);
    await user.click(await screen.findByTestId('event-row'));
    const detail = await screen.findByTestId('event-detail');
    expect(await within(detail).findByTestId('event-json')).toHaveTextContent('"event": "Button Clicked"');
    expect(backend.eventDetail).toHaveBeenCalledWith('ev-0');
  });

  it('filters by a facet and by a property', async () => {
    const user = userEvent.setup();
    render(Events);
    const facet = (await screen.findAllByTestId('facet-event')).find((f) => f.dataset.name === '$pageview')!;
    await user.click(facet);
    await user.type(screen.getByTestId('filter-property'), 'button = nav-pricing');
    await vi.waitFor(() =>
      expect(backend.eventsPage).toHaveBeenLastCalledWith(
        expect.objectContaining({ events: ['$pageview'], properties: [{ key: 'button', value: 'nav-pricing' }] }),
        null,
        200,
      ),
    );
    expect(screen.getByTestId('filter-event-chip')).toHaveTextContent('$pageview');
  });

  it('offers the first sync when nothing was synced, with its progress', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.eventsSyncStatus).mockResolvedValue(
      syncStatus({ lastSyncAt: null, events: 0, objects: 0, objectsBehind: 60, watermark: null }),
    );
    vi.mocked(backend.syncEvents).mockResolvedValue(job({ id: 'sync-1', kind: 'events.sync', done: 0, total: null }));
    render(Events);
    const empty = await screen.findByTestId('events-empty');
    expect(empty).toHaveTextContent('No events synced yet');
    expect(empty).toHaveTextContent('60 objects waiting');
    await user.click(within(empty).getByTestId('events-empty-sync'));

    expect(backend.syncEvents).toHaveBeenCalledOnce();
    expect(await screen.findByTestId('sync-job')).toHaveAttribute('data-state', 'running');
    expect(screen.getByTestId('events-sync-now')).toBeDisabled();
    vi.mocked(backend.cancelJob).mockResolvedValue(undefined);
    await user.click(screen.getByTestId('sync-cancel'));
    expect(backend.cancelJob).toHaveBeenCalledWith('sync-1');
    jobs.upsert(job({ id: 'sync-1', kind: 'events.sync', state: 'succeeded', done: 60, total: 60, message: '30000 new events' }));
    await vi.waitFor(() => expect(screen.getByTestId('sync-job')).toHaveAttribute('data-state', 'succeeded'));
    await vi.waitFor(() => expect(backend.eventsSyncStatus).toHaveBeenCalledTimes(2));
  });

  it('exports the current filter and shows where the file is', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.exportEvents).mockResolvedValue({ path: '/data/exports/events-demo.csv', rows: 1, bytes: 300 });
    render(Events);
    await screen.findByTestId('event-row');
    await user.type(screen.getByTestId('filter-text'), 'pricing');
    await vi.waitFor(() =>
      expect(backend.eventsPage).toHaveBeenLastCalledWith(expect.objectContaining({ search: 'pricing' }), null, 200),
    );
    await user.click(screen.getByTestId('export-csv'));
    expect(backend.exportEvents).toHaveBeenCalledWith(expect.objectContaining({ search: 'pricing' }), 'csv');
    expect(await screen.findByTestId('export-result')).toHaveTextContent('/data/exports/events-demo.csv');
  });

  it('offers the events a background sync brought, without moving the rows under the reader', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      vi.mocked(backend.eventsSyncStatus)
        .mockResolvedValueOnce(syncStatus({ events: 30_000 }))
        .mockResolvedValue(syncStatus({ events: 30_003 }));
      render(Events);
      await screen.findByTestId('event-row');
      expect(screen.queryByTestId('events-new')).not.toBeInTheDocument();
      const pages = vi.mocked(backend.eventsPage).mock.calls.length;

      await vi.advanceTimersByTimeAsync(15_000);
      expect(await screen.findByTestId('events-new')).toHaveTextContent('3 new events');
      expect(backend.eventsPage).toHaveBeenCalledTimes(pages);

      screen.getByTestId('events-new-show').click();
      await vi.waitFor(() => expect(backend.eventsPage).toHaveBeenCalledTimes(pages + 1));
      await vi.waitFor(() => expect(screen.queryByTestId('events-new')).not.toBeInTheDocument());
    } finally {
      vi.useRealTimers();
    }
  });

  it('refreshes the open customer when new events are shown', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
      vi.mocked(backend.eventsSyncStatus)
        .mockResolvedValueOnce(syncStatus({ events: 30_000 }))
        .mockResolvedValue(syncStatus({ events: 30_002 }));
      vi.mocked(backend.getCustomer).mockResolvedValue(customer({ events: 122 }));
      render(Events);
      await user.type(screen.getByTestId('customer-search'), 'ann{Enter}');
      await user.click(await screen.findByTestId('customer-result'));
      expect(await screen.findByTestId('customer-card')).toHaveTextContent('120');

      await vi.advanceTimersByTimeAsync(15_000);
      await user.click(await screen.findByTestId('events-new-show'));
      await vi.waitFor(() => expect(screen.getByTestId('customer-card')).toHaveTextContent('122'));
      expect(backend.getCustomer).toHaveBeenCalledWith('cust-00034');
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows a failed page with its code', async () => {
    vi.mocked(backend.eventsPage).mockRejectedValue({ code: 'invalid_filter', message: 'property name `` must be 1 to 200 characters' });
    render(Events);
    const err = await screen.findByTestId('events-error');
    expect(err).toHaveAttribute('data-code', 'invalid_filter');
    expect(err).toHaveTextContent('invalid_filter');
  });
});
