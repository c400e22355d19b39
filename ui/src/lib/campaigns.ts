/** Pure helpers of the Campaigns screens: settings defaults, times of day, progress figures. */
import type { CampaignInput, CampaignState, EventsCacheView, PushInput, RecipientCounts } from '$lib/backend';
import { formatRelative } from '$lib/format';

/** A new campaign as the editor starts it: SMS now, at SNS's default SMS quota. */
export function newCampaignInput(): CampaignInput {
  return {
    name: '',
    channel: 'sms',
    segment: 'sms_opt_in = true',
    template: 'Hi {{ first_name }}! You have {{ points }} points.',
    ratePerSec: 20,
    concurrency: 4,
    scheduledAt: null,
    quietStartMinute: null,
    quietEndMinute: null,
    quietMode: 'wait',
    capMessages: null,
    capDays: null,
    smsType: 'transactional',
    senderId: null,
    push: newPushInput(),
  };
}

/** Empty notification fields. */
export function newPushInput(): PushInput {
  return { title: '', deepLink: null, data: {}, badge: null, sound: null };
}

/** `key=value` lines as custom data (blank lines and lines without `=` are left out). */
export function dataFromLines(text: string): { [key: string]: string } {
  const data: { [key: string]: string } = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at).trim();
    if (key !== '') data[key] = line.slice(at + 1).trim();
  }
  return data;
}

/** Custom data as `key=value` lines. */
export function dataToLines(data: { [key: string]: string | undefined }): string {
  return Object.entries(data)
    .map(([k, v]) => `${k}=${v ?? ''}`)
    .join('\n');
}

/** `HH:MM` for a minute of the day (the value of an `<input type="time">`). */
export function minuteToTime(minute: number | null): string {
  if (minute === null) return '';
  const h = Math.floor(minute / 60);
  const m = minute % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** Minute of the day from `HH:MM`; `null` for an empty or malformed value. */
export function timeToMinute(time: string): number | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  if (!match) return null;
  const h = Number(match[1]);
  const m = Number(match[2]);
  if (h > 23 || m > 59) return null;
  return h * 60 + m;
}

/** Local `YYYY-MM-DDTHH:MM` (an `<input type="datetime-local">` value) for Unix ms. */
export function msToLocalInput(ms: number | null): string {
  if (ms === null) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Unix ms of a local `datetime-local` value; `null` when empty or invalid. */
export function localInputToMs(value: string): number | null {
  if (value.trim() === '') return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** Share of recipients with a definite answer, 0–100 (a campaign with nobody is 100 % done). */
export function percentDone(counts: RecipientCounts): number {
  if (counts.total === 0) return 100;
  return Math.min(100, Math.floor((counts.done / counts.total) * 100));
}

/** `1 h 5 min`, `3 min 20 s`, `12 s`; `—` when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return s % 60 === 0 ? `${minutes} min` : `${minutes} min ${s % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

/** Thousands separated: `10,000`. */
export function formatCount(n: number): string {
  return new Intl.NumberFormat('en-US').format(n);
}

/** A day: an events cache synced longer ago than this is called stale beside a `did` count. */
const STALE_AFTER_MS = 24 * 3_600_000;

/**
 * What a `did` segment's count says about the events cache it read: when it
 * was synced, how new its newest event is, and whether to warn (never
 * synced, or not for a day: `did` then matches too few, `not did` too many).
 */
export function describeEventsCache(
  cache: EventsCacheView,
  now: number = Date.now(),
): { text: string; stale: boolean } {
  if (cache.syncedAt === null) {
    return {
      text:
        cache.newestEventAt === null
          ? 'Events were never synced: `did` matches nobody yet (Events → Sync now).'
          : 'Events cache: no successful sync yet.',
      stale: true,
    };
  }
  const synced = `Events synced ${formatRelative(cache.syncedAt, now)}`;
  const newest =
    cache.newestEventAt === null ? 'none cached' : `newest ${formatRelative(cache.newestEventAt, now)}`;
  return { text: `${synced}, ${newest}.`, stale: now - cache.syncedAt > STALE_AFTER_MS };
}

/** States in which the run view (not the editor) is the campaign's page. */
export function isLaunched(state: CampaignState): boolean {
  return state !== 'draft';
}

/** The badge class for a state. */
export function stateTone(state: CampaignState, interrupted: boolean): string {
  if (interrupted) return 'badge-warning';
  switch (state) {
    case 'running':
    case 'scheduled':
      return 'badge-accent';
    case 'completed':
      return 'badge-success';
    case 'failed':
      return 'badge-danger';
    case 'paused':
    case 'cancelled':
      return 'badge-warning';
    default:
      return '';
  }
}

/** What the list and run view call a state (an interrupted run says so). */
export function stateLabel(state: CampaignState, interrupted: boolean): string {
  return interrupted ? 'interrupted' : state;
}
