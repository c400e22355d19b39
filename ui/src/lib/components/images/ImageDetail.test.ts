import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import {
  deleteOriginal,
  getVariant,
  imageFocus,
  imagePlaceholder,
  moveOriginal,
  purgeVariants,
  setImageFocus,
  type VariantView,
} from '$lib/backend';
import { preset, variant } from '../../../test/fixtures';
import ImageDetail from './ImageDetail.svelte';

const get = vi.mocked(getVariant);
const presets = [
  preset('thumb', { spec: 'w200-h200-cover-webp-q80' }),
  preset('card', { spec: 'w600-h400-cover-jpeg-q82' }),
  preset('hero', { spec: 'w1600-inside-avif-q60' }),
];

beforeEach(() => {
  get.mockReset();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function card(name: string): HTMLElement {
  const found = screen.getAllByTestId('variant-card').find((c) => c.getAttribute('data-preset') === name);
  if (!found) throw new Error(`no card for ${name}`);
  return found;
}

describe('ImageDetail', () => {
  it('asks for every preset at once and shows each card on its own', async () => {
    const pending: Record<string, { resolve: (v: VariantView) => void; reject: (e: unknown) => void }> = {};
    get.mockImplementation(
      (_original, name) => new Promise((resolve, reject) => (pending[name] = { resolve, reject })),
    );
    render(ImageDetail, { original: 'products/shoe.jpg', presets });

    expect(screen.getByTestId('original-preview').querySelector('img')).toHaveAttribute(
      'src',
      'stratus-img://localhost/o/products/shoe.jpg',
    );
    expect(screen.getAllByTestId('variant-card').map((c) => c.getAttribute('data-preset'))).toEqual([
      'thumb',
      'card',
      'hero',
    ]);
    // All three in flight before any answer: parallel, not one after another.
    expect(get.mock.calls).toEqual([
      ['products/shoe.jpg', 'thumb'],
      ['products/shoe.jpg', 'card'],
      ['products/shoe.jpg', 'hero'],
    ]);
    expect(within(card('thumb')).getByRole('status')).toBeInTheDocument();

    pending.card!.resolve(
      variant({ preset: 'card', width: 600, height: 400, bytes: 48_128, format: 'jpeg', outcome: 'made', millis: 37 }),
    );
    await vi.waitFor(() => expect(card('card')).toHaveAttribute('data-outcome', 'made'));
    expect(within(card('card')).getByTestId('variant-dims')).toHaveTextContent('600 × 400');
    expect(within(card('card')).getByTestId('variant-bytes')).toHaveTextContent('47 KB');
    expect(card('card')).toHaveTextContent('made in 37 ms');
    expect(card('card')).toHaveTextContent('w600-h400-cover-jpeg-q82');
    expect(card('card')).toHaveTextContent('jpeg');
    expect(within(card('thumb')).getByRole('status')).toBeInTheDocument();

    pending.hero!.reject({ code: 'source_too_large', message: 'original is 432 MP, above the 50 MP limit' });
    pending.thumb!.resolve(variant({ preset: 'thumb', outcome: 'hit' }));
    const error = await within(card('hero')).findByTestId('variant-error');
    expect(error).toHaveAttribute('data-code', 'source_too_large');
    expect(error).toHaveTextContent('above the 50 MP limit');
    await vi.waitFor(() => expect(card('thumb')).toHaveAttribute('data-outcome', 'hit'));
    expect(card('thumb')).toHaveTextContent('hit');
    expect(within(card('thumb')).queryByTestId('variant-error')).not.toBeInTheDocument();
    expect(within(card('card')).queryByTestId('variant-error')).not.toBeInTheDocument();
  });

  it('copies the variant key and tolerates a refused clipboard', async () => {
    const user = userEvent.setup();
    const writeText = vi.fn().mockResolvedValueOnce(undefined).mockRejectedValueOnce(new Error('denied'));
    get.mockResolvedValue(variant({ key: 'variants/thumb/products/shoe.jpg.webp' }));
    render(ImageDetail, { original: 'products/shoe.jpg', presets: presets.slice(0, 1) });
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });

    const copy = await screen.findByTestId('variant-copy');
    await user.click(copy);
    expect(writeText).toHaveBeenCalledWith('variants/thumb/products/shoe.jpg.webp');
    expect(copy).toHaveTextContent('Copied');

    await user.click(copy);
    await vi.waitFor(() => expect(copy).toHaveTextContent('Copy failed'));
  });

  it('copies the public URL of the variant from the image function', async () => {
    const user = userEvent.setup();
    const writeText = vi.fn().mockResolvedValue(undefined);
    get.mockResolvedValue(
      variant({
        publicUrl: 'https://img.example.com/variants/summer%202026/shoe.jpg/thumb.webp',
        key: 'variants/summer 2026/shoe.jpg/thumb.webp',
      }),
    );
    render(ImageDetail, { original: 'summer 2026/shoe.jpg', presets: presets.slice(0, 1) });
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });

    const copyUrl = await screen.findByTestId('variant-copy-url');
    await user.click(copyUrl);
    expect(writeText).toHaveBeenCalledWith('https://img.example.com/variants/summer%202026/shoe.jpg/thumb.webp');
    expect(copyUrl).toHaveTextContent('Copied');
    expect(screen.getByTestId('variant-copy')).toHaveTextContent('Copy key');
  });

  it('offers the CDN .auto path for an auto preset, and the served format beside it', async () => {
    const user = userEvent.setup();
    const writeText = vi.fn().mockResolvedValue(undefined);
    get.mockResolvedValue(
      variant({
        format: 'webp',
        publicUrl: 'https://d1.cloudfront.net/variants/shoe.jpg/thumb.webp',
        autoUrl: 'https://d1.cloudfront.net/variants/shoe.jpg/thumb.auto',
      }),
    );
    render(ImageDetail, { original: 'shoe.jpg', presets: presets.slice(0, 1) });
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });

    const copyUrl = await screen.findByTestId('variant-copy-url');
    expect(copyUrl.getAttribute('title')).toMatch(/picks AVIF, WebP or JPEG/);
    await user.click(copyUrl);
    expect(writeText).toHaveBeenLastCalledWith('https://d1.cloudfront.net/variants/shoe.jpg/thumb.auto');
    const concrete = screen.getByTestId('variant-copy-format-url');
    expect(concrete).toHaveTextContent('Copy .webp URL');
    await user.click(concrete);
    expect(writeText).toHaveBeenLastCalledWith('https://d1.cloudfront.net/variants/shoe.jpg/thumb.webp');
  });

  it('offers no second URL when there is no .auto path', async () => {
    get.mockResolvedValue(variant());
    render(ImageDetail, { original: 'a.jpg', presets: presets.slice(0, 1) });
    await screen.findByTestId('variant-copy-url');
    expect(screen.queryByTestId('variant-copy-format-url')).not.toBeInTheDocument();
  });

  it('cannot copy a URL when the profile names no image function', async () => {
    get.mockResolvedValue(variant({ publicUrl: null }));
    render(ImageDetail, { original: 'a.jpg', presets: presets.slice(0, 1) });
    const copyUrl = await screen.findByTestId('variant-copy-url');
    expect(copyUrl).toBeDisabled();
    expect(copyUrl.getAttribute('title')).toMatch(/image function URL/);
  });

  it('compares a variant with the original side by side', async () => {
    const user = userEvent.setup();
    get.mockImplementation(async (_o, name) => variant({ preset: name, url: `stratus-img://localhost/v/${name}/a.jpg` }));
    render(ImageDetail, { original: 'a.jpg', presets });
    await vi.waitFor(() => expect(card('card')).toHaveAttribute('data-outcome', 'hit'));

    await user.click(within(card('card')).getByRole('button', { name: 'Compare' }));
    const compare = screen.getByTestId('compare-preview');
    expect(compare).toHaveAttribute('data-preset', 'card');
    expect(compare.querySelector('img')).toHaveAttribute('src', 'stratus-img://localhost/v/card/a.jpg');
    expect(screen.getByTestId('original-preview')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Stop comparing' }));
    expect(screen.queryByTestId('compare-preview')).not.toBeInTheDocument();
  });
});

describe('ImageDetail purge', () => {
  it('purges the original’s variants, says how many, and asks for each preset again', async () => {
    const purge = vi.mocked(purgeVariants);
    purge.mockReset();
    purge.mockResolvedValue(3);
    get.mockImplementation(async (_original, name) => variant({ preset: name, outcome: 'hit' }));
    render(ImageDetail, { original: 'products/shoe.jpg', presets });
    await vi.waitFor(() => expect(get).toHaveBeenCalledTimes(3));

    await userEvent.click(screen.getByTestId('purge-variants'));
    expect(purge).toHaveBeenCalledWith('products/shoe.jpg');
    expect(await screen.findByTestId('purge-result')).toHaveTextContent('3 variants deleted');
    // Every card asks again: the variants are made anew from the current original.
    await vi.waitFor(() => expect(get).toHaveBeenCalledTimes(6));
  });

  it('shows why a purge failed and keeps the cards', async () => {
    const purge = vi.mocked(purgeVariants);
    purge.mockReset();
    purge.mockRejectedValue({ code: 'storage_failed', message: 'the bucket did not answer' });
    get.mockImplementation(async (_original, name) => variant({ preset: name, outcome: 'hit' }));
    render(ImageDetail, { original: 'products/shoe.jpg', presets });
    await vi.waitFor(() => expect(get).toHaveBeenCalledTimes(3));

    await userEvent.click(screen.getByTestId('purge-variants'));
    expect(await screen.findByTestId('purge-error')).toHaveTextContent('the bucket did not answer');
    expect(get).toHaveBeenCalledTimes(3);
    expect(screen.getAllByTestId('variant-card')).toHaveLength(3);
  });
});

describe('ImageDetail focal point', () => {
  beforeEach(() => {
    get.mockReset();
    get.mockImplementation(async (_original, name) => variant({ preset: name, outcome: 'hit' }));
    vi.mocked(imageFocus).mockReset();
    vi.mocked(setImageFocus).mockReset();
  });

  it('sets the point where the picture is clicked, then every card asks for its new crop', async () => {
    const user = userEvent.setup();
    vi.mocked(imageFocus).mockResolvedValue(null);
    vi.mocked(setImageFocus).mockResolvedValue(2);
    render(ImageDetail, { original: 'people/portrait.jpg', presets });
    await vi.waitFor(() => expect(get).toHaveBeenCalledTimes(3));
    const picture = screen.getByTestId('focal-point-picture');
    await vi.waitFor(() => expect(picture).toBeEnabled());
    expect(screen.queryByTestId('focal-point-marker')).not.toBeInTheDocument();
    // The picture drawn 400×200 at (100, 50): a click at (200, 200) is ¼ across, ¾ down.
    picture.getBoundingClientRect = () => new DOMRect(100, 50, 400, 200);

    await user.pointer({ keys: '[MouseLeft]', target: picture, coords: { clientX: 200, clientY: 200 } });

    expect(setImageFocus).toHaveBeenCalledWith('people/portrait.jpg', { x: 0.25, y: 0.75 });
    const marker = await screen.findByTestId('focal-point-marker');
    expect(marker.style.left).toBe('25%');
    expect(marker.style.top).toBe('75%');
    expect(screen.getByTestId('focal-point-text')).toHaveTextContent('25 % across, 75 % down');
    expect(await screen.findByTestId('purge-result')).toHaveTextContent('2 variants deleted');
    await vi.waitFor(() => expect(get).toHaveBeenCalledTimes(6));
  });

  it('shows a stored point, clears it, and says why a change failed', async () => {
    const user = userEvent.setup();
    vi.mocked(imageFocus).mockResolvedValue({ x: 0.4, y: 0.3 });
    vi.mocked(setImageFocus)
      .mockRejectedValueOnce({ code: 'original_not_found', message: 'original `a.jpg` does not exist' })
      .mockResolvedValueOnce(1);
    render(ImageDetail, { original: 'a.jpg', presets });

    expect(await screen.findByTestId('focal-point-text')).toHaveTextContent('40 % across, 30 % down');
    await user.click(screen.getByTestId('focal-point-clear'));
    const error = await screen.findByTestId('focal-point-error');
    expect(error).toHaveAttribute('data-code', 'original_not_found');
    expect(screen.getByTestId('focal-point-marker')).toBeInTheDocument();

    await user.click(screen.getByTestId('focal-point-clear'));
    expect(setImageFocus).toHaveBeenLastCalledWith('a.jpg', null);
    await vi.waitFor(() => expect(screen.queryByTestId('focal-point-marker')).not.toBeInTheDocument());
    expect(screen.queryByTestId('focal-point-error')).not.toBeInTheDocument();
  });
});

describe('ImageDetail move and delete', () => {
  beforeEach(() => {
    get.mockImplementation(async (_original, name) => variant({ preset: name, outcome: 'hit' }));
  });

  it('deletes the original only after a confirm and tells the parent', async () => {
    const user = userEvent.setup();
    const remove = vi.mocked(deleteOriginal);
    remove.mockReset();
    remove.mockResolvedValue(2);
    const ondeleted = vi.fn();
    render(ImageDetail, { original: 'products/shoe.jpg', presets, ondeleted });

    await user.click(screen.getByTestId('original-delete'));
    expect(remove).not.toHaveBeenCalled();
    const confirm = screen.getByRole('alertdialog', { name: 'Confirm deleting products/shoe.jpg' });
    expect(confirm).toHaveTextContent('Delete shoe.jpg and its variants?');
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(remove).not.toHaveBeenCalled();

    await user.click(screen.getByTestId('original-delete'));
    await user.click(screen.getByTestId('original-delete-confirm'));
    expect(remove).toHaveBeenCalledWith('products/shoe.jpg');
    await vi.waitFor(() => expect(ondeleted).toHaveBeenCalledOnce());
  });

  it('moves the original to the key typed, and shows a refusal with its code', async () => {
    const user = userEvent.setup();
    const move = vi.mocked(moveOriginal);
    move.mockReset();
    move.mockRejectedValueOnce({ code: 'original_exists', message: 'an original `archive/shoe.jpg` already exists' });
    move.mockResolvedValueOnce(3);
    const onmoved = vi.fn();
    render(ImageDetail, { original: 'products/shoe.jpg', presets, onmoved });

    await user.click(screen.getByTestId('original-move'));
    const input = screen.getByTestId('original-move-target');
    expect(input).toHaveValue('products/shoe.jpg');
    expect(screen.getByTestId('original-move-confirm')).toBeDisabled();
    await user.clear(input);
    await user.type(input, 'archive/shoe.jpg');
    await user.click(screen.getByTestId('original-move-confirm'));

    const error = await screen.findByTestId('original-action-error');
    expect(error).toHaveAttribute('data-code', 'original_exists');
    expect(error).toHaveTextContent('Could not move it');
    expect(onmoved).not.toHaveBeenCalled();

    await user.click(screen.getByTestId('original-move-confirm'));
    expect(move).toHaveBeenLastCalledWith('products/shoe.jpg', 'archive/shoe.jpg');
    await vi.waitFor(() => expect(onmoved).toHaveBeenCalledWith('archive/shoe.jpg'));
    expect(screen.queryByTestId('original-action-error')).not.toBeInTheDocument();
  });
});

describe('ImageDetail placeholders', () => {
  const lqip = 'data:image/webp;base64,UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA';

  beforeEach(() => {
    get.mockImplementation(async (_original, name) => variant({ preset: name, outcome: 'hit' }));
  });

  it('shows the ThumbHash and the LQIP and copies each', async () => {
    const user = userEvent.setup();
    const writeText = vi.fn().mockResolvedValue(undefined);
    vi.mocked(imagePlaceholder).mockResolvedValue({ thumbhash: '1QcSHQRnh493V4dIh4eXh1h4kJUI', lqip, lqipWidth: 24, lqipHeight: 16 });
    render(ImageDetail, { original: 'products/shoe.jpg', presets });
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });

    expect(imagePlaceholder).toHaveBeenCalledWith('products/shoe.jpg');
    expect(await screen.findByTestId('placeholder-thumbhash')).toHaveTextContent('1QcSHQRnh493V4dIh4eXh1h4kJUI');
    expect(screen.getByTestId('placeholder-lqip')).toHaveAttribute('src', lqip);
    expect(screen.getByTestId('placeholders')).toHaveTextContent('24 × 16 WebP');

    await user.click(screen.getByTestId('placeholder-copy-thumbhash'));
    expect(writeText).toHaveBeenLastCalledWith('1QcSHQRnh493V4dIh4eXh1h4kJUI');
    expect(screen.getByTestId('placeholder-copy-thumbhash')).toHaveTextContent('Copied');
    await user.click(screen.getByTestId('placeholder-copy-lqip'));
    expect(writeText).toHaveBeenLastCalledWith(lqip);
  });

  it('says why the placeholders could not be made and retries', async () => {
    const user = userEvent.setup();
    const make = vi.mocked(imagePlaceholder);
    make.mockReset();
    make.mockRejectedValueOnce({ code: 'undecodable', message: 'original `a.jpg` cannot be decoded' });
    make.mockResolvedValueOnce({ thumbhash: 'AAAA', lqip, lqipWidth: 1, lqipHeight: 1 });
    render(ImageDetail, { original: 'a.jpg', presets });

    const error = await screen.findByTestId('placeholder-error');
    expect(error).toHaveAttribute('data-code', 'undecodable');
    await user.click(within(error).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('placeholder-thumbhash')).toHaveTextContent('AAAA');
  });
});
