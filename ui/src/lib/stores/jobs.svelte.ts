import { untrack } from 'svelte';
import { listJobs, watchJobs, type JobState, type JobView } from '$lib/backend';

const ACTIVE: readonly JobState[] = ['queued', 'running'];

/** A job that has not reached a final state (can still be cancelled). */
export function isActive(job: JobView): boolean {
  return ACTIVE.includes(job.state);
}

function newestFirst(a: JobView, b: JobView): number {
  return b.startedAt - a.startedAt || a.id.localeCompare(b.id);
}

/** Replaces the job with the same id (or adds it) and keeps the list newest first. */
export function mergeJob(jobs: readonly JobView[], job: JobView): JobView[] {
  const next = jobs.filter((j) => j.id !== job.id);
  next.push(job);
  return next.sort(newestFirst);
}

/**
 * Folds a `jobs_list` snapshot in. Streamed updates are at least as fresh as the
 * snapshot (the watch starts first), so only unknown ids are taken from it.
 */
export function mergeSnapshot(jobs: readonly JobView[], snapshot: readonly JobView[]): JobView[] {
  const known = new Set(jobs.map((j) => j.id));
  return [...jobs, ...snapshot.filter((j) => !known.has(j.id))].sort(newestFirst);
}

/** Jobs that replace the demo profile's data: the first start's seed and a reset. */
const DEMO_DATA_JOBS: readonly string[] = ['demo.seed', 'demo.reset'];

/** Running and recent jobs, kept current by the backend's job channel. */
export class JobsStore {
  jobs = $state<JobView[]>([]);
  running = $derived(this.jobs.filter(isActive).length);
  panelOpen = $state(false);
  /** The first start's demo seed is running: the sections fill in when it ends. */
  preparingDemo = $derived(this.jobs.some((j) => j.kind === 'demo.seed' && isActive(j)));
  /** The first job list has arrived (before it, `preparingDemo` cannot be known). */
  loaded = $state(false);
  /** Demo seeds and resets that ended while the app was open, the last one's kind (see `onDemoDataReplaced`). */
  demoData = $state<{ version: number; kind: string }>({ version: 0, kind: '' });
  #openedAt = Date.now();
  #ended = new Set<string>();

  /** Takes the latest state of one job. */
  upsert(job: JobView): void {
    this.jobs = mergeJob(this.jobs, job);
    this.#noteDemoData(job);
  }

  /** Subscribes to job updates, then loads the jobs that already exist. */
  async start(): Promise<void> {
    this.#openedAt = Date.now();
    await watchJobs((job) => this.upsert(job));
    const snapshot = await listJobs();
    this.jobs = mergeSnapshot(this.jobs, snapshot);
    snapshot.forEach((job) => this.#noteDemoData(job));
    this.loaded = true;
  }

  // A seed or reset that ended after the app opened replaced data a section
  // may already show (a seed that ended earlier did not: the sections loaded
  // after it). Each job counts once, whether seen streamed or in the snapshot.
  #noteDemoData(job: JobView): void {
    if (!DEMO_DATA_JOBS.includes(job.kind) || isActive(job) || this.#ended.has(job.id)) return;
    if ((job.finishedAt ?? 0) < this.#openedAt) return;
    this.#ended.add(job.id);
    this.demoData = { version: this.demoData.version + 1, kind: job.kind };
  }
}

export const jobs = new JobsStore();

/** How the demo data changed under an open section. */
export type DemoDataChange = 'seeded' | 'reset';

/**
 * Calls `reload` when a demo seed or reset ends while the section is open: after
 * a seed the data it loaded was incomplete (reload in place, the user keeps
 * their place); after a reset it is gone (start over). Call from a component's setup.
 */
export function onDemoDataReplaced(reload: (change: DemoDataChange) => void): void {
  let seen: number | undefined;
  $effect.pre(() => {
    const { version, kind } = jobs.demoData;
    if (seen !== undefined && version !== seen) untrack(() => reload(kind === 'demo.seed' ? 'seeded' : 'reset'));
    seen = version;
  });
}
