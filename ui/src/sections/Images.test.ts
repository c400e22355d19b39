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
});
