/**
 * Absolute times for the support screen, in one of three zones: UTC, the
 * customer's (from the customer directory, else their latest event's
 * `context.tz`), or this computer's.
 */

export type ZoneMode = 'utc' | 'customer' | 'local';

/** The IANA zone to format in; `undefined` means this computer's zone. */
export function resolveZone(mode: ZoneMode, customerZone: string | null): string | undefined {
  if (mode === 'utc') return 'UTC';
  if (mode === 'customer' && customerZone) return customerZone;
  return undefined;
}

/** The zone's name as shown next to times. */
export function zoneLabel(mode: ZoneMode, customerZone: string | null): string {
  const zone = resolveZone(mode, customerZone);
  return zone ?? `Local (${Intl.DateTimeFormat().resolvedOptions().timeZone})`;
}

function wallParts(ms: number, timeZone: string | undefined): Record<string, string> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  return Object.fromEntries(parts.map((p) => [p.type, p.value]));
}

/** `2026-11-26 15:04:05.123` in the zone, always absolute (never "5 min ago"). */
export function formatAbsolute(ms: number, timeZone: string | undefined): string {
  if (!Number.isFinite(ms)) return '—';
  const p = wallParts(ms, timeZone);
  const millis = String(((ms % 1000) + 1000) % 1000).padStart(3, '0');
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}.${millis}`;
}

/** Minutes the zone is ahead of UTC at `atMs` (e.g. 60 for Paris in winter). */
export function offsetMinutes(timeZone: string | undefined, atMs: number): number {
  const p = wallParts(atMs, timeZone);
  const wall = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!);
  const second = Math.floor(atMs / 1000) * 1000;
  return Math.round((wall - second) / 60_000);
}

/**
 * A `datetime-local` value (`2026-11-26T15:04`) read as wall time in the zone,
 * as Unix ms; `null` when empty or invalid.
 */
export function wallTimeToMs(value: string, timeZone: string | undefined): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const asUtc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  // The offset at the instant itself; one correction covers a DST change in between.
  const first = asUtc - offsetMinutes(timeZone, asUtc) * 60_000;
  return asUtc - offsetMinutes(timeZone, first) * 60_000;
}
