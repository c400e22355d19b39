import { beforeEach, describe, expect, it, vi } from 'vitest';

const { invoke, channels } = vi.hoisted(() => ({
  invoke: vi.fn(),
  channels: [] as { onmessage: ((m: unknown) => void) | null }[],
}));

vi.mock('@tauri-apps/api/core', () => ({
  invoke,
  Channel: class {
    onmessage: ((m: unknown) => void) | null = null;
    constructor() {
      channels.push(this);
    }
  },
}));

import * as backend from './index';
import { job } from '../../test/fixtures';

beforeEach(() => {
  invoke.mockReset();
  channels.length = 0;
});

describe('commands', () => {
  it('sends the command names and argument keys the shell expects', async () => {
    invoke.mockResolvedValue(null);
    const input = {
      name: 'prod',
      awsProfile: null,
      region: 'eu-west-1',
      endpointUrl: null,
      forcePathStyle: false,
      allowInsecureHttp: false,
      mediaBucket: 'm-bucket',
      eventsBucket: 'e-bucket',
      topicArn: null,
      imageFunctionUrl: null,
    };

    await backend.appInfo();
    await backend.listProfiles();
    await backend.saveProfile(input, null);
    await backend.saveProfile(input, 'old');
    await backend.deleteProfile('prod');
    await backend.useProfile('prod');
    await backend.testProfile('prod');
    await backend.testProfileDraft(input);
    await backend.profileStatus();
    await backend.listJobs();
    await backend.cancelJob('j1');
    await backend.resetDemo();
    await backend.listObjects('media', 'a/', 'a/b.jpg');

    expect(invoke.mock.calls).toEqual([
      ['app_info', undefined],
      ['profiles_list', undefined],
      ['profile_save', { input, originalName: null }],
      ['profile_save', { input, originalName: 'old' }],
      ['profile_delete', { name: 'prod' }],
      ['profile_use', { name: 'prod' }],
      ['profile_test', { name: 'prod' }],
      ['profile_test_draft', { input }],
      ['profile_status', undefined],
      ['jobs_list', undefined],
      ['job_cancel', { id: 'j1' }],
      ['demo_reset', undefined],
      ['store_list', { bucket: 'media', prefix: 'a/', startAfter: 'a/b.jpg' }],
    ]);
  });

  it('sends the image commands with the argument keys the shell expects', async () => {
    invoke.mockResolvedValue(null);
    const catalog = {
      presets: [{ name: 'thumb', width: 200, height: 200, fit: 'cover', gravity: 'attention', enlarge: false, format: 'webp', quality: 80 }],
      allowedSpecs: ['w300'],
    };

    await backend.listOriginals('products/', null);
    await backend.imageCatalog();
    await backend.saveImageCatalog(catalog);
    await backend.getVariant('products/shoe.jpg', 'thumb');
    await backend.warmPreset('card', 'products/');
    await backend.purgeVariants('products/shoe.jpg');
    await backend.deleteOriginal('products/shoe.jpg');
    await backend.moveOriginal('products/shoe.jpg', 'archive/shoe.jpg');
    await backend.imagePlaceholder('products/shoe.jpg');
    await backend.imageFocus('products/shoe.jpg');
    await backend.setImageFocus('products/shoe.jpg', { x: 0.42, y: 0.31 });
    await backend.setImageFocus('products/shoe.jpg', null);

    expect(invoke.mock.calls).toEqual([
      ['image_originals', { prefix: 'products/', startAfter: null }],
      ['image_catalog', undefined],
      ['image_catalog_save', { catalog }],
      ['image_variant', { original: 'products/shoe.jpg', preset: 'thumb' }],
      ['image_warm', { preset: 'card', prefix: 'products/' }],
      ['image_purge', { original: 'products/shoe.jpg' }],
      ['image_delete', { original: 'products/shoe.jpg' }],
      ['image_move', { original: 'products/shoe.jpg', to: 'archive/shoe.jpg' }],
      ['image_placeholder', { original: 'products/shoe.jpg' }],
      ['image_focus', { original: 'products/shoe.jpg' }],
      ['image_set_focus', { original: 'products/shoe.jpg', focus: { x: 0.42, y: 0.31 } }],
      ['image_set_focus', { original: 'products/shoe.jpg', focus: null }],
    ]);
  });

  it('uploads raw bytes with the key, URL-encoded, in a header', async () => {
    invoke.mockResolvedValue({ key: 'a b/é.jpg', size: 3, lastModified: null, etag: null, contentType: null });
    const bytes = new Uint8Array([1, 2, 3]);
    await backend.uploadOriginal('a b/é.jpg', bytes);
    expect(invoke).toHaveBeenCalledWith('image_upload', bytes, {
      headers: { 'x-stratus-key': 'a%20b%2F%C3%A9.jpg' },
    });

    invoke.mockRejectedValue({ code: 'invalid_key', message: 'bad key' });
    await expect(backend.uploadOriginal('..', bytes)).rejects.toEqual({ code: 'invalid_key', message: 'bad key' });
  });

  it('builds image URLs for the stratus-img protocol, one encoded segment at a time', () => {
    expect(backend.variantUrl('thumb', 'products/red shoe#1.jpg')).toBe(
      'stratus-img://localhost/v/thumb/products/red%20shoe%231.jpg',
    );
    expect(backend.variantUrl('w/300', 'a.jpg')).toBe('stratus-img://localhost/v/w%2F300/a.jpg');
    expect(backend.originalUrl('é/b?.png')).toBe('stratus-img://localhost/o/%C3%A9/b%3F.png');
  });

  it('streams job updates through a channel', async () => {
    invoke.mockResolvedValue(null);
    const seen: string[] = [];
    await backend.watchJobs((j) => seen.push(`${j.id}:${j.state}`));

    expect(invoke).toHaveBeenCalledWith('jobs_watch', { onEvent: channels[0] });
    channels[0]?.onmessage?.(job({ id: 'a', state: 'running' }));
    channels[0]?.onmessage?.(job({ id: 'a', state: 'succeeded' }));
    expect(seen).toEqual(['a:running', 'a:succeeded']);
  });
});

describe('errors', () => {
  it('passes AppErrors through', async () => {
    invoke.mockRejectedValue({ code: 'profile_exists', message: 'profile `prod` exists' });
    await expect(backend.deleteProfile('prod')).rejects.toEqual({
      code: 'profile_exists',
      message: 'profile `prod` exists',
    });
  });

  it('normalises anything else into an internal error', async () => {
    invoke.mockRejectedValue('command not found');
    await expect(backend.appInfo()).rejects.toEqual({ code: 'internal', message: 'command not found' });

    invoke.mockRejectedValue(new Error('boom'));
    await expect(backend.appInfo()).rejects.toEqual({ code: 'internal', message: 'Error: boom' });

    invoke.mockRejectedValue({ code: 42 });
    await expect(backend.appInfo()).rejects.toEqual({ code: 'internal', message: '[object Object]' });
  });
});
