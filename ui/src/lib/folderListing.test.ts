import { describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../test/backend')).mockBackend(await importOriginal()),
);

import type { ObjectListing } from '$lib/backend';
import { listing, object } from '../test/fixtures';
import { FolderListing } from './folderListing.svelte';

/** A page answered from outside, so a test picks the order answers arrive in. */
function pending() {
  let answer!: (page: ObjectListing) => void;
  const promise = new Promise<ObjectListing>((resolve) => (answer = resolve));
  return { promise, answer };
}

describe('FolderListing', () => {
  it('shows the level opened last even when an earlier answer arrives after it', async () => {
    const slow = pending();
    const fast = pending();
    const list = vi.fn().mockReturnValueOnce(slow.promise).mockReturnValueOnce(fast.promise);
    const opened: string[] = [];
    const folder = new FolderListing(list, (prefix) => opened.push(prefix));

    const first = folder.open('');
    const second = folder.open('cats/');
    expect(opened).toEqual(['', 'cats/']);
    fast.answer(listing({ prefix: 'cats/', objects: [object('cats/tom.jpg')] }));
    await second;
    slow.answer(listing({ folders: ['cats/', 'dogs/'], objects: [object('root.jpg')] }));
    await first;

    expect(folder.prefix).toBe('cats/');
    expect(folder.objects.map((o) => o.key)).toEqual(['cats/tom.jpg']);
    expect(folder.folders).toEqual([]);
    expect(folder.loading).toBe(false);
  });

  it('appends the next page, each folder once, and stops when no page is left', async () => {
    const list = vi
      .fn()
      .mockResolvedValueOnce(listing({ folders: ['a/'], objects: [object('1.jpg')], nextAfter: '1.jpg' }))
      .mockResolvedValueOnce(listing({ folders: ['a/', 'b/'], objects: [object('2.jpg')], nextAfter: null }));
    const folder = new FolderListing(list);

    await folder.open('');
    await folder.loadMore();

    expect(list).toHaveBeenLastCalledWith('', '1.jpg');
    expect(folder.folders).toEqual(['a/', 'b/']);
    expect(folder.objects.map((o) => o.key)).toEqual(['1.jpg', '2.jpg']);
    expect(folder.nextAfter).toBeNull();
    await folder.loadMore();
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('drops a page of a level the user has left', async () => {
    const more = pending();
    const list = vi
      .fn()
      .mockResolvedValueOnce(listing({ objects: [object('1.jpg')], nextAfter: '1.jpg' }))
      .mockReturnValueOnce(more.promise)
      .mockResolvedValueOnce(listing({ prefix: 'b/', objects: [object('b/x.jpg')] }));
    const folder = new FolderListing(list);
    await folder.open('');

    const paging = folder.loadMore();
    await folder.open('b/');
    more.answer(listing({ objects: [object('2.jpg')] }));
    await paging;

    expect(folder.objects.map((o) => o.key)).toEqual(['b/x.jpg']);
  });

  it('keeps the error code and retries the request that failed', async () => {
    const list = vi
      .fn()
      .mockRejectedValueOnce({ code: 'access_denied', message: 'Access denied' })
      .mockResolvedValueOnce(listing({ objects: [object('1.jpg')], nextAfter: '1.jpg' }))
      .mockRejectedValueOnce(new Error('socket closed'))
      .mockResolvedValueOnce(listing({ objects: [object('2.jpg')] }));
    const folder = new FolderListing(list);

    await folder.open('');
    expect(folder.error).toEqual({ code: 'access_denied', message: 'Access denied' });
    expect(folder.isEmpty).toBe(false);
    await folder.retry();
    expect(list).toHaveBeenLastCalledWith('', null);
    expect(folder.error).toBeNull();

    await folder.loadMore();
    expect(folder.error?.code).toBe('internal');
    await folder.retry();
    expect(list).toHaveBeenLastCalledWith('', '1.jpg');
    expect(folder.objects.map((o) => o.key)).toEqual(['1.jpg', '2.jpg']);
  });

  it('is empty only once an answer says so', async () => {
    const page = pending();
    const folder = new FolderListing(vi.fn().mockReturnValueOnce(page.promise));
    const opening = folder.open('');
    expect(folder.isEmpty).toBe(false);
    page.answer(listing());
    await opening;
    expect(folder.isEmpty).toBe(true);
  });
});
