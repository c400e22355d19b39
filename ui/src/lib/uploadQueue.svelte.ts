import { toAppError, uploadOriginal, type AppError } from '$lib/backend';

export type UploadState = 'queued' | 'uploading' | 'done' | 'error';

export interface UploadRow {
  id: number;
  key: string;
  file: File;
  state: UploadState;
  error: AppError | null;
}

/**
 * Originals waiting to be uploaded, sent one at a time in the order they were added
 * (one file's bytes in memory at once). `onSettled` runs when the queue runs dry.
 */
export class UploadQueue {
  rows = $state<UploadRow[]>([]);
  finished = $derived(this.rows.filter((r) => r.state === 'done' || r.state === 'error').length);
  busy = $derived(this.rows.some((r) => r.state === 'queued' || r.state === 'uploading'));

  private nextId = 1;
  private draining = false;

  constructor(private readonly onSettled: () => void = () => {}) {}

  /** Queues `files` under `prefix` (key = prefix + file name) and starts sending. */
  add(files: Iterable<File>, prefix: string): void {
    const incoming = [...files].map(
      (file): UploadRow => ({ id: this.nextId++, key: prefix + file.name, file, state: 'queued', error: null }),
    );
    if (incoming.length === 0) return;
    this.rows = [...this.rows, ...incoming];
    void this.drain();
  }

  /** Forgets the finished rows. */
  clearFinished(): void {
    this.rows = this.rows.filter((r) => r.state === 'queued' || r.state === 'uploading');
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let row = this.nextQueued(); row; row = this.nextQueued()) {
        await this.send(row.id);
      }
    } finally {
      this.draining = false;
    }
    this.onSettled();
  }

  private nextQueued(): UploadRow | undefined {
    return this.rows.find((r) => r.state === 'queued');
  }

  private async send(id: number): Promise<void> {
    const row = this.rows.find((r) => r.id === id);
    if (!row) return;
    this.update(id, { state: 'uploading' });
    try {
      const bytes = new Uint8Array(await row.file.arrayBuffer());
      await uploadOriginal(row.key, bytes);
      this.update(id, { state: 'done' });
    } catch (e) {
      this.update(id, { state: 'error', error: toAppError(e) });
    }
  }

  private update(id: number, patch: Partial<UploadRow>): void {
    this.rows = this.rows.map((r) => (r.id === id ? { ...r, ...patch } : r));
  }
}
