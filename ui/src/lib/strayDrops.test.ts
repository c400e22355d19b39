import { fireEvent } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guardStrayDrops } from './strayDrops';

describe('stray drops', () => {
  let remove: () => void;
  beforeEach(() => {
    remove = guardStrayDrops(window);
  });
  afterEach(() => {
    remove();
    document.body.innerHTML = '';
  });

  const file = { dataTransfer: { files: [new File(['<h1>x</h1>'], 'page.html')], types: ['Files'] } };
  const link = { dataTransfer: { types: ['text/uri-list'], getData: () => 'https://evil.example/' } };

  it('refuses a file or a link dropped anywhere on the app', async () => {
    // `false`: the default (the webview opening what was dropped) was prevented.
    expect(await fireEvent.dragOver(document.body, file)).toBe(false);
    expect(await fireEvent.drop(document.body, file)).toBe(false);
    expect(await fireEvent.drop(document.body, link)).toBe(false);
  });

  it('leaves drop zones and text dropped into fields alone', async () => {
    const zone = document.createElement('div');
    let taken = 0;
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      taken += 1;
    });
    const field = document.createElement('textarea');
    document.body.append(zone, field);
    await fireEvent.drop(zone, file);
    expect(taken).toBe(1);
    expect(await fireEvent.drop(field, { dataTransfer: { types: ['text/plain'] } })).toBe(true);
    expect(await fireEvent.drop(field, file)).toBe(false);
  });
});
