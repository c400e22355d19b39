import { describe, expect, it } from 'vitest';
import {
  describeEventsCache,
  formatEta,
  localInputToMs,
  minuteToTime,
  msToLocalInput,
  percentDone,
  stateLabel,
  timeToMinute,
} from './campaigns';

const counts = (done: number, total: number) => ({
  pending: total - done,
  inFlight: 0,
  sent: done,
  failed: 0,
  skipped: 0,
  unknown: 0,
  total,
  done,
});

describe('campaign helpers', () => {
  it('round-trips quiet hours between minutes and HH:MM', () => {
    expect(minuteToTime(21 * 60)).toBe('21:00');
    expect(minuteToTime(8 * 60 + 5)).toBe('08:05');
    expect(minuteToTime(null)).toBe('');
    expect(timeToMinute('21:00')).toBe(1260);
    expect(timeToMinute('8:05')).toBe(485);
    expect(timeToMinute('24:00')).toBeNull();
    expect(timeToMinute('')).toBeNull();
  });

  it('round-trips a schedule through the datetime-local value', () => {
    const ms = new Date(2026, 10, 26, 9, 30).getTime();
    expect(msToLocalInput(ms)).toBe('2026-11-26T09:30');
    expect(localInputToMs('2026-11-26T09:30')).toBe(ms);
    expect(localInputToMs('')).toBeNull();
  });

  it('never shows 100 % before every recipient has an answer', () => {
    expect(percentDone(counts(999, 1000))).toBe(99);
    expect(percentDone(counts(1000, 1000))).toBe(100);
    expect(percentDone(counts(0, 0))).toBe(100);
  });

  it('formats an ETA for people', () => {
    expect(formatEta(null)).toBe('—');
    expect(formatEta(12)).toBe('12 s');
    expect(formatEta(200)).toBe('3 min 20 s');
    expect(formatEta(3900)).toBe('1 h 5 min');
  });

  it('calls a run without a runner interrupted', () => {
    expect(stateLabel('running', true)).toBe('interrupted');
    expect(stateLabel('running', false)).toBe('running');
  });
});

describe('describeEventsCache', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0);
  const hour = 3_600_000;

  it('warns when the cache was never synced', () => {
    const d = describeEventsCache({ syncedAt: null, newestEventAt: null }, now);
    expect(d.stale).toBe(true);
    expect(d.text).toContain('never synced');
  });

  it('says how old the sync and the newest event are', () => {
    const d = describeEventsCache({ syncedAt: now - 3 * hour, newestEventAt: now - 5 * hour }, now);
    expect(d).toEqual({ text: 'Events synced 3 h ago, newest 5 h ago.', stale: false });
  });

  it('calls a cache synced over a day ago stale', () => {
    expect(describeEventsCache({ syncedAt: now - 30 * hour, newestEventAt: null }, now).stale).toBe(true);
  });
});
