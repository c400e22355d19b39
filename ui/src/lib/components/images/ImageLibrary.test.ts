import { fireEvent, render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import { listOriginals, uploadOriginal } from '$lib/backend';
import { listing, object } from '../../../test/fixtures';
import ImageLibrary from './ImageLibrary.svelte';

const list = vi.mocked(listOriginals);
const upload = vi.mocked(uploadOriginal);

/** A File whose bytes can be read (jsdom's Blob has no arrayBuffer()). */
function image(name: string, bytes: number[]): File {
  const file = new File([new Uint8Array(bytes)], name, { type: 'image/jpeg' });
  Object.defineProperty(file, 'arrayBuffer', { value: async () => new Uint8Array(bytes).buffer });
  return file;
}

beforeEach(() => {
  list.mockReset();
  upload.mockReset();
});

describe('ImageLibrary', () => {
  it('shows folders and lazy thumbnails of the originals, and opens a folder', async () => {
    const user = userEvent.setup();
    list
      .mockResolvedValueOnce(
        listing({ folders: ['products/'], objects: [object('hero one.jpg'), object('logo.png')] }),
      )
      .mockResolvedValueOnce(listing({ prefix: 'products/', objects: [object('products/shoe.jpg')] }));
    const onselect = vi.fn();
    render(ImageLibrary, { onselect });

    const tiles = await screen.findAllByTestId('image-tile');
    expect(list).toHaveBeenCalledWith('', null);
    expect(tiles.map((t) => t.getAttribute('data-key'))).toEqual(['hero one.jpg', 'logo.png']);
    const img = tiles[0]!.querySelector('img');
    expect(img).toHaveAttribute('src', 'stratus-img://localhost/v/thumb/hero%20one.jpg');
    expect(img).toHaveAttribute('loading', 'lazy');

    await user.click(tiles[1]!);
    expect(onselect).toHaveBeenCalledWith('logo.png');

    await user.click(screen.getByTestId('image-folder'));
    expect(list).toHaveBeenLastCalledWith('products/', null);
    expect(await screen.findByTestId('image-tile')).toHaveAttribute('data-key', 'products/shoe.jpg');
    expect(screen.getByTestId('image-library')).toHaveAttribute('data-prefix', 'products/');
    expect(screen.getByTestId('breadcrumb')).toHaveTextContent('products');
  });

  it('filters the loaded page by name, ignoring case', async () => {
    const user = userEvent.setup();
    list.mockResolvedValueOnce(
      listing({ folders: ['shoes/', 'hats/'], objects: [object('Red-Shoe.jpg'), object('blue-hat.jpg'), object('shoebox.png')] }),
    );
    render(ImageLibrary);
    await screen.findAllByTestId('image-tile');

    await user.type(screen.getByTestId('image-search'), 'SHOE');

    expect(screen.getAllByTestId('image-tile').map((t) => t.getAttribute('data-key'))).toEqual([
      'Red-Shoe.jpg',
      'shoebox.png',
    ]);
    expect(screen.getAllByTestId('image-folder').map((f) => f.getAttribute('data-prefix'))).toEqual(['shoes/']);
    expect(list).toHaveBeenCalledTimes(1);

    await user.clear(screen.getByTestId('image-search'));
    await user.type(screen.getByTestId('image-search'), 'zebra');
    expect(screen.queryByTestId('image-tile')).not.toBeInTheDocument();
    expect(screen.getByTestId('image-search-empty')).toBeInTheDocument();
  });

  it('loads more after the last key', async () => {
    const user = userEvent.setup();
    list
      .mockResolvedValueOnce(listing({ objects: [object('a.jpg')], nextAfter: 'a.jpg' }))
      .mockResolvedValueOnce(listing({ objects: [object('b.jpg')], nextAfter: null }));
    render(ImageLibrary);

    await user.click(await screen.findByRole('button', { name: 'Load more' }));
    expect(list).toHaveBeenLastCalledWith('', 'a.jpg');
    await vi.waitFor(() => expect(screen.getAllByTestId('image-tile')).toHaveLength(2));
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });

  it('uploads picked files one at a time under the current prefix, then refreshes', async () => {
    const user = userEvent.setup();
    list
      .mockResolvedValueOnce(listing({ folders: ['products/'] }))
      .mockResolvedValueOnce(listing({ prefix: 'products/' }))
      .mockResolvedValueOnce(listing({ prefix: 'products/', objects: [object('products/a.jpg')] }));
    const order: string[] = [];
    let inFlight = 0;
    upload.mockImplementation(async (key, bytes) => {
      inFlight += 1;
      expect(inFlight).toBe(1);
      order.push(`${key}:${Array.from(bytes).join(',')}`);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      if (key.endsWith('bad.gif')) throw { code: 'unsupported_format', message: 'not an image we can read' };
      return object(key);
    });
    render(ImageLibrary);
    await user.click(await screen.findByTestId('image-folder'));
    await screen.findByTestId('image-library-empty');

    const input = screen.getByTestId('image-upload-input');
    expect(input).toHaveAttribute('type', 'file');
    expect(input).toHaveAttribute('accept', 'image/*');
    expect(input).toHaveAttribute('multiple');
    await user.upload(input, [image('a.jpg', [1, 2]), image('bad.gif', [3]), image('c d.png', [4, 5, 6])]);

    const rows = screen.getAllByTestId('upload-row');
    expect(rows.map((r) => r.getAttribute('data-key'))).toEqual(['products/a.jpg', 'products/bad.gif', 'products/c d.png']);
    expect(rows[0]).toHaveAttribute('data-state', 'uploading');
    expect(rows[2]).toHaveAttribute('data-state', 'queued');

    await vi.waitFor(() =>
      expect(screen.getAllByTestId('upload-row').map((r) => r.getAttribute('data-state'))).toEqual([
        'done',
        'error',
        'done',
      ]),
    );
    expect(order).toEqual(['products/a.jpg:1,2', 'products/bad.gif:3', 'products/c d.png:4,5,6']);
    const failed = screen.getAllByTestId('upload-row')[1]!;
    expect(failed).toHaveTextContent('not an image we can read');
    expect(failed).toHaveTextContent('unsupported_format');
    expect(screen.getByTestId('upload-progress')).toHaveAttribute('aria-valuenow', '3');
    expect(screen.getByTestId('upload-list')).toHaveTextContent('1 failed');

    expect(await screen.findByTestId('image-tile')).toHaveAttribute('data-key', 'products/a.jpg');
    expect(list).toHaveBeenLastCalledWith('products/', null);
  });

  it('uploads files dropped on the library', async () => {
    list.mockResolvedValue(listing());
    upload.mockImplementation(async (key) => object(key));
    render(ImageLibrary);
    await screen.findByTestId('image-library-empty');

    const zone = screen.getByTestId('image-dropzone');
    await fireEvent.drop(zone, { dataTransfer: { files: [image('x.jpg', [9])], types: ['Files'] } });

    await vi.waitFor(() => expect(screen.getByTestId('upload-row')).toHaveAttribute('data-state', 'done'));
    expect(upload).toHaveBeenCalledWith('x.jpg', new Uint8Array([9]));
    expect(within(screen.getByTestId('upload-list')).getByText(/Uploaded 1 of 1/)).toBeInTheDocument();

    // A file dropped beside the zone is not uploaded (the app-wide guard refuses it:
    // see strayDrops.test.ts).
    const stray = { dataTransfer: { files: [image('y.jpg', [1])], types: ['Files'] } };
    await fireEvent.drop(document.body, stray);
    expect(upload).toHaveBeenCalledTimes(1);
  });

  it('shows a listing error with its code', async () => {
    list.mockRejectedValueOnce({ code: 'access_denied', message: 'Access denied to bucket acme-media' });
    render(ImageLibrary);
    const error = await screen.findByTestId('image-library-error');
    expect(error).toHaveAttribute('data-code', 'access_denied');
    expect(error).toHaveTextContent('Access denied to bucket acme-media');
  });
});
