import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { EventRow } from '$lib/backend';
import { eventRow } from '../../../test/eventFixtures';
import EventTable from './EventTable.svelte';

function rows(n: number): EventRow[] {
  return Array.from({ length: n }, (_, i) => eventRow(i));
}

function scrollTo(viewport: HTMLElement, top: number) {
  Object.defineProperty(viewport, 'scrollTop', { value: top, configurable: true });
  return fireEvent.scroll(viewport);
}

describe('EventTable', () => {
  it('keeps only the rows in view in the DOM', async () => {
    const onloadmore = vi.fn();
    render(EventTable, {
      rows: rows(5000),
      hasMore: true,
      loading: false,
      timeZone: 'UTC',
      onselect: vi.fn(),
      onloadmore,
    });
    const first = screen.getAllByTestId('event-row');
    expect(first.length).toBeGreaterThan(10);
    expect(first.length).toBeLessThan(60);
    expect(first[0]).toHaveAttribute('data-index', '0');
    // Far from the loaded end: no next page yet.
    expect(onloadmore).not.toHaveBeenCalled();

    await scrollTo(screen.getByTestId('event-viewport'), 34 * 2500);
    const middle = screen.getAllByTestId('event-row').map((r) => Number(r.getAttribute('data-index')));
    expect(Math.min(...middle)).toBeGreaterThan(2400);
    expect(Math.max(...middle)).toBeLessThan(2600);
    expect(middle.length).toBeLessThan(60);
  });

  it('asks for the next page when scrolled near the loaded end, only if there is one', async () => {
    const onloadmore = vi.fn();
    const view = render(EventTable, {
      rows: rows(200),
      hasMore: true,
      loading: false,
      timeZone: 'UTC',
      onselect: vi.fn(),
      onloadmore,
    });
    await scrollTo(screen.getByTestId('event-viewport'), 34 * 190);
    expect(onloadmore).toHaveBeenCalled();
    expect(screen.getAllByTestId('event-row').some((r) => r.getAttribute('data-index') === '199')).toBe(true);

    onloadmore.mockClear();
    await view.rerender({ rows: rows(200), hasMore: false, loading: false, timeZone: 'UTC', onselect: vi.fn(), onloadmore });
    await scrollTo(screen.getByTestId('event-viewport'), 34 * 195);
    expect(onloadmore).not.toHaveBeenCalled();
    expect(screen.getByText(/End of the list/)).toBeInTheDocument();
  });

  it('shows each time absolute in the zone it is given', async () => {
    const one = [eventRow(0, { ts: Date.UTC(2026, 10, 26, 15, 4, 5, 123) })];
    const props = { rows: one, hasMore: false, loading: false, onselect: vi.fn(), onloadmore: vi.fn() };
    const view = render(EventTable, { ...props, timeZone: 'UTC' });
    expect(screen.getByTestId('event-time')).toHaveTextContent('2026-11-26 15:04:05.123');
    await view.rerender({ ...props, timeZone: 'Asia/Tokyo' });
    expect(screen.getByTestId('event-time')).toHaveTextContent('2026-11-27 00:04:05.123');
  });

  it('opens the clicked event', async () => {
    const onselect = vi.fn();
    render(EventTable, { rows: rows(3), hasMore: false, loading: false, timeZone: 'UTC', onselect, onloadmore: vi.fn() });
    await fireEvent.click(screen.getAllByTestId('event-row')[1]!);
    expect(onselect).toHaveBeenCalledWith(expect.objectContaining({ eventId: 'ev-1' }));
  });
});
