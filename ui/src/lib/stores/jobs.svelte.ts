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

/** Running and recent jobs, kept current by the backend's job channel. */
export class JobsStore {
  jobs = $state<JobView[]>([]);
  running = $derived(this.jobs.filter(isActive).length);
  panelOpen = $state(false);

  /** Takes the latest state of one job. */
  upsert(job: JobView): void {
    this.jobs = mergeJob(this.jobs, job);
  }

  /** Subscribes to job updates, then loads the jobs that already exist. */
  async start(): Promise<void> {
    await watchJobs((job) => this.upsert(job));
    const snapshot = await listJobs();
    this.jobs = mergeSnapshot(this.jobs, snapshot);
  }
}

export const jobs = new JobsStore();
