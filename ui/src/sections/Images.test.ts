import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import { catalog, listing, object, preset, variant } from '../test/fixtures';
import Images from './Images.svelte';

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(backend.listOriginals).mockResolvedValue(listing({ objects: [object('shoe.jpg'), object('hat.jpg')] }));
  vi.mocked(backend.imageCatalog).mockResolvedValue(catalog());
  vi.mocked(backend.getVariant).mockImplementation(async (_o, name) => variant({ preset: name }));
});

describe('Images', () => {
  it('opens an original with one card per preset', async () => {
    const user = userEvent.setup();
    render(Images);
    await user.click((await screen.findAllByTestId('image-tile'))[1]!);

    const detail = await screen.findByTestId('image-detail');
    expect(detail).toHaveAttribute('data-key', 'hat.jpg');
    await vi.waitFor(() =>
      expect(within(detail).getAllByTestId('variant-card').map((c) => c.getAttribute('data-preset'))).toEqual([
        'thumb',
        'card',
      ]),
    );
    expect(backend.getVariant).toHaveBeenCalledWith('hat.jpg', 'card');
  });

  it('uses the saved catalog once the editor saves', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.saveImageCatalog).mockResolvedValue(catalog({ presets: [preset('square')] }));
    render(Images);
    await user.click(await screen.findByTestId('catalog-open'));
    await user.click(screen.getByTestId('catalog-save'));

    await vi.waitFor(() => expect(screen.queryByTestId('catalog-editor')).not.toBeInTheDocument());
    expect(screen.getByTestId('warm-preset')).toHaveValue('square');
  });

  it('lists the folder again after a move and shows the moved original; closes it after a delete', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.moveOriginal).mockResolvedValue(2);
    vi.mocked(backend.deleteOriginal).mockResolvedValue(2);
    render(Images);
    await user.click((await screen.findAllByTestId('image-tile'))[0]!);
    expect(backend.listOriginals).toHaveBeenCalledTimes(1);

    vi.mocked(backend.listOriginals).mockResolvedValue(listing({ objects: [object('boot.jpg'), object('hat.jpg')] }));
    await user.click(screen.getByTestId('original-move'));
    await user.clear(screen.getByTestId('original-move-target'));
    await user.type(screen.getByTestId('original-move-target'), 'boot.jpg');
    await user.click(screen.getByTestId('original-move-confirm'));

    await vi.waitFor(() => expect(screen.getByTestId('image-detail')).toHaveAttribute('data-key', 'boot.jpg'));
    expect(backend.moveOriginal).toHaveBeenCalledWith('shoe.jpg', 'boot.jpg');
    await vi.waitFor(() => expect(backend.listOriginals).toHaveBeenCalledTimes(2));

    await user.click(screen.getByTestId('original-delete'));
    await user.click(screen.getByTestId('original-delete-confirm'));
    await vi.waitFor(() => expect(screen.queryByTestId('image-detail')).not.toBeInTheDocument());
    expect(backend.deleteOriginal).toHaveBeenCalledWith('boot.jpg');
    await vi.waitFor(() => expect(backend.listOriginals).toHaveBeenCalledTimes(3));
  });
});
