import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../test/backend')).mockBackend(await importOriginal()),
);

import { listObjects } from '$lib/backend';
import { listing, object } from '../../test/fixtures';
import ObjectBrowser from './ObjectBrowser.svelte';

const list = vi.mocked(listObjects);

beforeEach(() => {
  list.mockReset();
});

describe('ObjectBrowser', () => {
  it('lists folders and objects of the bucket root', async () => {
    list.mockResolvedValueOnce(
      listing({
        folders: ['originals/', 'variants/'],
        objects: [object('readme.txt', { size: 1536, lastModified: Date.UTC(2024, 0, 2) })],
      }),
    );
    render(ObjectBrowser, { bucket: 'media' });

    const folders = await screen.findAllByTestId('folder-row');
    expect(folders.map((f) => f.textContent?.trim().split(/\s+/)[0])).toEqual(['originals/', 'variants/']);
    const rows = screen.getAllByTestId('object-row');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent('readme.txt');
    expect(rows[0]).toHaveTextContent('1.5 KB');
    expect(rows[0]).toHaveTextContent('2024');
    expect(list).toHaveBeenCalledWith('media', '', null);
    expect(screen.queryByTestId('object-browser-empty')).not.toBeInTheDocument();
  });

  it('navigates into a folder and back up with the breadcrumb', async () => {
    const user = userEvent.setup();
    list
      .mockResolvedValueOnce(listing({ folders: ['originals/'] }))
      .mockResolvedValueOnce(
        listing({ prefix: 'originals/', folders: ['originals/2024/'], objects: [object('originals/cat.jpg')] }),
      )
      .mockResolvedValueOnce(listing({ folders: ['originals/'] }));
    render(ObjectBrowser, { bucket: 'media' });

    await user.click(await screen.findByTestId('folder-row'));

    expect(await screen.findByTestId('object-row')).toHaveTextContent('originals/cat.jpg');
    expect(list).toHaveBeenLastCalledWith('media', 'originals/', null);
    expect(screen.getByTestId('object-browser')).toHaveAttribute('data-prefix', 'originals/');
    expect(screen.getByTestId('folder-row')).toHaveAttribute('data-prefix', 'originals/2024/');
    const crumb = screen.getByTestId('breadcrumb');
    expect(crumb).toHaveTextContent('originals');
    expect(crumb).toHaveAttribute('aria-current', 'location');

    await user.click(screen.getByTestId('breadcrumb-root'));
    expect(list).toHaveBeenLastCalledWith('media', '', null);
    expect(await screen.findByTestId('folder-row')).toHaveAttribute('data-prefix', 'originals/');
    expect(screen.queryByTestId('object-row')).not.toBeInTheDocument();
    expect(screen.getByTestId('object-browser')).toHaveAttribute('data-prefix', '');
  });

  it('shows the empty state for an empty bucket', async () => {
    list.mockResolvedValueOnce(listing());
    render(ObjectBrowser, { bucket: 'events' });

    expect(await screen.findByTestId('object-browser-empty')).toHaveTextContent('This bucket is empty.');
    expect(list).toHaveBeenCalledWith('events', '', null);
  });

  it('shows the error message and code inline, and retries', async () => {
    const user = userEvent.setup();
    list
      .mockRejectedValueOnce({ code: 'access_denied', message: 'Access denied to bucket acme-media' })
      .mockResolvedValueOnce(listing({ objects: [object('a.jpg')] }));
    render(ObjectBrowser, { bucket: 'media' });

    const error = await screen.findByTestId('object-browser-error');
    expect(error).toHaveTextContent('Access denied to bucket acme-media');
    expect(error).toHaveAttribute('data-code', 'access_denied');
    expect(screen.queryByTestId('object-browser-empty')).not.toBeInTheDocument();

    await user.click(within(error).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('object-row')).toHaveTextContent('a.jpg');
    expect(screen.queryByTestId('object-browser-error')).not.toBeInTheDocument();
  });

  it('loads more after the last key until there is no next page', async () => {
    const user = userEvent.setup();
    list
      .mockResolvedValueOnce(listing({ objects: [object('a.jpg'), object('b.jpg')], nextAfter: 'b.jpg' }))
      .mockResolvedValueOnce(listing({ objects: [object('c.jpg')], nextAfter: null }));
    render(ObjectBrowser, { bucket: 'media' });

    await user.click(await screen.findByRole('button', { name: 'Load more' }));

    expect(list).toHaveBeenLastCalledWith('media', '', 'b.jpg');
    await vi.waitFor(() => expect(screen.getAllByTestId('object-row')).toHaveLength(3));
    expect(screen.getAllByTestId('object-row').map((r) => r.getAttribute('data-key'))).toEqual([
      'a.jpg',
      'b.jpg',
      'c.jpg',
    ]);
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });

  it('ignores an answer for a folder the user already left', async () => {
    const user = userEvent.setup();
    let finishSlow: (l: ReturnType<typeof listing>) => void = () => {};
    list
      .mockResolvedValueOnce(listing({ folders: ['slow/'] }))
      .mockImplementationOnce(() => new Promise((resolve) => (finishSlow = resolve)))
      .mockResolvedValueOnce(listing({ objects: [object('root.txt')] }));
    render(ObjectBrowser, { bucket: 'media' });

    await user.click(await screen.findByTestId('folder-row'));
    await user.click(screen.getByTestId('breadcrumb-root'));
    expect(await screen.findByTestId('object-row')).toHaveTextContent('root.txt');

    finishSlow(listing({ prefix: 'slow/', objects: [object('slow/late.jpg')] }));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.getAllByTestId('object-row').map((r) => r.getAttribute('data-key'))).toEqual(['root.txt']);
    expect(screen.getByTestId('object-browser')).toHaveAttribute('data-prefix', '');
  });
});
