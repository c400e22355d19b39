import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import { saveImageCatalog } from '$lib/backend';
import { catalog, preset } from '../../../test/fixtures';
import CatalogEditor from './CatalogEditor.svelte';

const save = vi.mocked(saveImageCatalog);

function row(name: string): HTMLElement {
  const found = screen.getAllByTestId('catalog-row').find((r) => r.getAttribute('data-name') === name);
  if (!found) throw new Error(`no row ${name}`);
  return found;
}

beforeEach(() => {
  save.mockReset();
});

describe('CatalogEditor', () => {
  it('adds, edits and deletes presets and allowed specs, then saves them', async () => {
    const user = userEvent.setup();
    const current = catalog({
      presets: [preset('thumb', { width: 200, height: 200, quality: 80 }), preset('card', { width: 600, height: 400 })],
      allowedSpecs: ['w300-webp'],
    });
    const saved = catalog({ presets: [preset('thumb'), preset('square', { spec: 'w512-h512-cover-avif' })] });
    save.mockResolvedValue(saved);
    const onsaved = vi.fn();
    render(CatalogEditor, { catalog: current, onsaved });

    expect(screen.getAllByTestId('catalog-row').map((r) => r.getAttribute('data-name'))).toEqual(['thumb', 'card']);

    await user.click(within(row('card')).getByTestId('catalog-delete'));
    await user.click(screen.getByTestId('catalog-add'));
    const added = screen.getAllByTestId('catalog-row')[1]!;
    await user.type(within(added).getByTestId('catalog-name'), 'square');
    await user.type(within(added).getByTestId('catalog-width'), '512');
    await user.type(within(added).getByTestId('catalog-height'), '512');
    await user.clear(within(added).getByTestId('catalog-quality'));
    await user.selectOptions(within(added).getByTestId('catalog-format'), 'avif');
    expect(within(added).getByTestId('catalog-enlarge')).not.toBeChecked();
    await user.click(within(added).getByTestId('catalog-enlarge'));
    await user.selectOptions(within(added).getByTestId('catalog-gravity'), 'attention');
    await user.clear(within(row('thumb')).getByTestId('catalog-width'));
    await user.type(within(row('thumb')).getByTestId('catalog-width'), '240');

    await user.click(within(screen.getByTestId('catalog-allowed')).getByTestId('catalog-allowed-remove'));
    await user.type(screen.getByTestId('catalog-allowed-input'), 'w800-h600-contain-jpeg-q85');
    await user.click(screen.getByTestId('catalog-allowed-add'));

    await user.click(screen.getByTestId('catalog-save'));

    expect(save).toHaveBeenCalledWith({
      presets: [
        { name: 'thumb', width: 240, height: 200, fit: 'cover', gravity: 'centre', enlarge: false, format: 'webp', quality: 80 },
        { name: 'square', width: 512, height: 512, fit: 'cover', gravity: 'attention', enlarge: true, format: 'avif', quality: null },
      ],
      allowedSpecs: ['w800-h600-contain-jpeg-q85'],
    });
    await vi.waitFor(() => expect(onsaved).toHaveBeenCalledWith(saved));
  });

  it('shows the server error code inline and keeps the edits', async () => {
    const user = userEvent.setup();
    save.mockRejectedValue({ code: 'invalid_spec', message: 'allowed spec `w0` has a zero width' });
    const onsaved = vi.fn();
    render(CatalogEditor, { catalog: catalog(), onsaved });

    await user.type(screen.getByTestId('catalog-allowed-input'), 'w0');
    await user.click(screen.getByTestId('catalog-allowed-add'));
    await user.click(screen.getByTestId('catalog-save'));

    const error = await screen.findByTestId('catalog-error');
    expect(error).toHaveAttribute('data-code', 'invalid_spec');
    expect(error).toHaveTextContent('invalid_spec');
    expect(error).toHaveTextContent('zero width');
    expect(onsaved).not.toHaveBeenCalled();
    expect(screen.getByTestId('catalog-allowed')).toHaveAttribute('data-spec', 'w0');
  });

  it('shows a saved preset that enlarges as checked and keeps it on save', async () => {
    const user = userEvent.setup();
    save.mockResolvedValue(catalog());
    render(CatalogEditor, { catalog: catalog({ presets: [preset('tiny', { enlarge: true })] }) });

    expect(within(row('tiny')).getByTestId('catalog-enlarge')).toBeChecked();
    await user.click(screen.getByTestId('catalog-save'));

    expect(save.mock.calls[0]![0].presets[0]).toMatchObject({ name: 'tiny', enlarge: true });
  });

  it('offers the backend\'s gravities for cover only and sends the centre for other fits', async () => {
    const user = userEvent.setup();
    save.mockResolvedValue(catalog());
    render(CatalogEditor, {
      catalog: catalog({
        presets: [preset('portrait', { gravity: 'focus' }), preset('box', { fit: 'contain' })],
        gravities: ['centre', 'north', 'focus'],
      }),
    });

    const gravity = within(row('portrait')).getByTestId('catalog-gravity');
    expect(gravity).toHaveValue('focus');
    expect(within(gravity).getAllByRole('option').map((o) => o.textContent)).toEqual(['centre', 'north', 'focus']);
    expect(within(row('box')).getByTestId('catalog-gravity')).toBeDisabled();
    await user.selectOptions(gravity, 'north');
    await user.selectOptions(within(row('portrait')).getByTestId('catalog-fit'), 'inside');
    expect(gravity).toBeDisabled();
    await user.click(screen.getByTestId('catalog-save'));

    const sent = save.mock.calls[0]![0].presets;
    expect(sent.map((p) => [p.name, p.fit, p.gravity])).toEqual([
      ['portrait', 'inside', 'centre'],
      ['box', 'contain', 'centre'],
    ]);
  });

  it('reverts the edits on cancel', async () => {
    const user = userEvent.setup();
    const onclose = vi.fn();
    render(CatalogEditor, { catalog: catalog(), onclose });

    await user.click(within(row('thumb')).getByTestId('catalog-delete'));
    await user.click(screen.getByTestId('catalog-add'));
    await user.click(screen.getByTestId('catalog-cancel'));

    expect(onclose).toHaveBeenCalledOnce();
    expect(save).not.toHaveBeenCalled();
    expect(screen.getAllByTestId('catalog-row').map((r) => r.getAttribute('data-name'))).toEqual(['thumb', 'card']);
  });
});
