import { describe, expect, it } from 'vitest';
import { latest } from './latest';

/** A promise settled from outside, so a test picks the order answers arrive in. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('latest', () => {
  it('keeps a request current until another begins', () => {
    const requests = latest();
    const first = requests.begin();
    expect(first()).toBe(true);
    const second = requests.begin();
    expect(first()).toBe(false);
    expect(second()).toBe(true);
  });

  it('lets a follow-up join the current request and go stale with it', () => {
    const requests = latest();
    const page = requests.begin();
    const more = requests.join();
    expect(more()).toBe(true);
    requests.begin();
    expect(page()).toBe(false);
    expect(more()).toBe(false);
  });

  it('drops an answer that arrives after a newer request was made', async () => {
    const requests = latest();
    let shown = '';
    async function load(answer: Promise<string>) {
      const isLatest = requests.begin();
      const text = await answer;
      if (isLatest()) shown = text;
    }
    const slow = deferred<string>();
    const fast = deferred<string>();
    const first = load(slow.promise);
    const second = load(fast.promise);
    fast.resolve('new');
    await second;
    slow.resolve('old');
    await first;
    expect(shown).toBe('new');
  });

  it('keeps separate sequences apart', () => {
    const rows = latest();
    const counts = latest();
    const row = rows.begin();
    counts.begin();
    expect(row()).toBe(true);
  });
});
