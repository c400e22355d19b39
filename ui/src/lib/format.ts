/** Display helpers for sizes and times. Timestamps from the backend are Unix milliseconds. */

const BYTE_UNITS = ['KB', 'MB', 'GB', 'TB', 'PB'] as const;

/** Human-readable size with 1024-based units: `512 B`, `1.5 KB`, `20 MB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = value < 10 ? value.toFixed(1) : Math.round(value).toString();
  return `${rounded} ${BYTE_UNITS[unit]}`;
}

export interface DateFormatOptions {
  locale?: string;
  timeZone?: string;
}

/** Date and time of a Unix-millisecond timestamp, or `—` when unknown. */
export function formatDateTime(ms: number | null, options: DateFormatOptions = {}): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  return new Intl.DateTimeFormat(options.locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: options.timeZone,
  }).format(new Date(ms));
}

/** Short "time ago" for recent events (`just now`, `5 min ago`, `3 h ago`), else the date. */
export function formatRelative(ms: number, now: number = Date.now(), options: DateFormatOptions = {}): string {
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return formatDateTime(ms, options);
}

/** `3 / 10` when the total is known, `3` otherwise. */
export function formatProgress(done: number, total: number | null): string {
  const fmt = new Intl.NumberFormat('en-US');
  return total === null ? fmt.format(done) : `${fmt.format(done)} / ${fmt.format(total)}`;
}
