import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../test/backend')).mockBackend(await importOriginal()),
);

import { listJobs, watchJobs, type JobView } from '$lib/backend';
import { job } from '../../test/fixtures';
import { JobsStore, isActive, mergeJob, mergeSnapshot } from './jobs.svelte';

describe('mergeJob', () => {
  it('replaces the job with the same id instead of adding it twice', () => {
    const first = [job({ id: 'a', done: 1 }), job({ id: 'b', startedAt: 1 })];
    const merged = mergeJob(first, job({ id: 'a', done: 7, state: 'running' }));
    expect(merged.filter((j) => j.id === 'a')).toHaveLength(1);
    expect(merged.find((j) => j.id === 'a')?.done).toBe(7);
    expect(merged).toHaveLength(2);
  });

  it('adds new jobs and keeps the newest first', () => {
    const merged = mergeJob([job({ id: 'old', startedAt: 100 })], job({ id: 'new', startedAt: 200 }));
    expect(merged.map((j) => j.id)).toEqual(['new', 'old']);
  });

  it('does not mutate its input', () => {
    const before = [job({ id: 'a' })];
    mergeJob(before, job({ id: 'b' }));
    expect(before).toHaveLength(1);
  });
});

describe('mergeSnapshot', () => {
  it('keeps streamed state and adds only unknown jobs', () => {
    const streamed = [job({ id: 'a', state: 'succeeded', done: 10, startedAt: 5 })];
    const snapshot = [job({ id: 'a', state: 'running', done: 2, startedAt: 5 }), job({ id: 'b', startedAt: 1 })];
    const merged = mergeSnapshot(streamed, snapshot);
    expect(merged.map((j) => `${j.id}:${j.state}`)).toEqual(['a:succeeded', 'b:running']);
  });
});

describe('isActive', () => {
  it('treats queued and running as active, the rest as final', () => {
    expect(isActive(job({ state: 'queued' }))).toBe(true);
    expect(isActive(job({ state: 'running' }))).toBe(true);
    for (const state of ['succeeded', 'failed', 'cancelled', 'interrupted'] as const) {
      expect(isActive(job({ state }))).toBe(false);
    }
  });
});

describe('JobsStore', () => {
  beforeEach(() => {
    vi.mocked(watchJobs).mockReset();
    vi.mocked(listJobs).mockReset();
  });

  it('merges channel updates by id and counts running jobs', async () => {
    let push: (j: JobView) => void = () => {};
    vi.mocked(watchJobs).mockImplementation(async (onJob) => {
      push = onJob;
    });
    vi.mocked(listJobs).mockResolvedValue([job({ id: 'old', state: 'succeeded', startedAt: 1 })]);

    const store = new JobsStore();
    await store.start();
    expect(store.jobs.map((j) => j.id)).toEqual(['old']);
    expect(store.running).toBe(0);

    push(job({ id: 'r', state: 'running', done: 1, startedAt: 10 }));
    push(job({ id: 'r', state: 'running', done: 5, startedAt: 10 }));
    expect(store.jobs).toHaveLength(2);
    expect(store.jobs[0]?.done).toBe(5);
    expect(store.running).toBe(1);

    push(job({ id: 'r', state: 'succeeded', done: 10, startedAt: 10 }));
    expect(store.running).toBe(0);
  });

  it('subscribes before listing so no update is missed', async () => {
    const order: string[] = [];
    vi.mocked(watchJobs).mockImplementation(async () => {
      order.push('watch');
    });
    vi.mocked(listJobs).mockImplementation(async () => {
      order.push('list');
      return [];
    });
    await new JobsStore().start();
    expect(order).toEqual(['watch', 'list']);
  });

  it('counts a demo seed or reset that ends while open, once, and not one that ended before', async () => {
    let push: (job: JobView) => void = () => {};
    vi.mocked(watchJobs).mockImplementation(async (onJob) => {
      push = onJob;
    });
    const before = Date.now() - 60_000;
    vi.mocked(listJobs).mockResolvedValue([
      job({ id: 'old-seed', kind: 'demo.seed', state: 'succeeded', finishedAt: before }),
    ]);
    const store = new JobsStore();
    await store.start();
    expect(store.demoData.version).toBe(0);
    expect(store.preparingDemo).toBe(false);

    push(job({ id: 'reset', kind: 'demo.reset', state: 'running' }));
    expect(store.demoData.version).toBe(0);
    push(job({ id: 'reset', kind: 'demo.reset', state: 'failed', finishedAt: Date.now() + 1 }));
    push(job({ id: 'reset', kind: 'demo.reset', state: 'failed', finishedAt: Date.now() + 1 }));
    expect(store.demoData.version).toBe(1);

    push(job({ id: 'seed', kind: 'demo.seed', state: 'running' }));
    expect(store.preparingDemo).toBe(true);
    push(job({ id: 'seed', kind: 'demo.seed', state: 'succeeded', finishedAt: Date.now() + 1 }));
    expect(store.preparingDemo).toBe(false);
    expect(store.demoData).toEqual({ version: 2, kind: 'demo.seed' });

    push(job({ id: 'sync', kind: 'events.sync', state: 'succeeded', finishedAt: Date.now() + 1 }));
    expect(store.demoData.version).toBe(2);
  });
});
