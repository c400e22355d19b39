import { describe, expect, it } from 'vitest';
import { formatAbsolute, offsetMinutes, resolveZone, wallTimeToMs } from './time';
import { parseProperties, toFilterInput, emptyDraft } from './filter';

// 2026-11-26T15:04:05.123Z
const T = Date.UTC(2026, 10, 26, 15, 4, 5, 123);

describe('event times', () => {
  it('formats the same instant in UTC and in a customer zone', () => {
    expect(formatAbsolute(T, 'UTC')).toBe('2026-11-26 15:04:05.123');
    expect(formatAbsolute(T, 'Europe/Paris')).toBe('2026-11-26 16:04:05.123');
    expect(formatAbsolute(T, 'Asia/Tokyo')).toBe('2026-11-27 00:04:05.123');
  });

  it('falls back to local time when the customer zone is unknown', () => {
    expect(resolveZone('customer', null)).toBeUndefined();
    expect(resolveZone('customer', 'Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(resolveZone('utc', 'Asia/Tokyo')).toBe('UTC');
  });

  it('knows offsets across daylight saving time', () => {
    expect(offsetMinutes('Europe/Paris', T)).toBe(60);
    expect(offsetMinutes('Europe/Paris', Date.UTC(2026, 6, 1))).toBe(120);
    expect(offsetMinutes('America/New_York', T)).toBe(-300);
  });

  it('reads a typed wall time in the zone shown', () => {
    expect(wallTimeToMs('2026-11-26T16:04', 'Europe/Paris')).toBe(Date.UTC(2026, 10, 26, 15, 4));
    expect(wallTimeToMs('2026-07-01T12:00', 'Europe/Paris')).toBe(Date.UTC(2026, 6, 1, 10, 0));
    expect(wallTimeToMs('', 'UTC')).toBeNull();
    expect(wallTimeToMs('yesterday', 'UTC')).toBeNull();
  });
});

describe('event filter', () => {
  it('parses property conditions and flags a malformed one', () => {
    expect(parseProperties('plan = pro and valid = "1"')).toEqual({
      matches: [
        { key: 'plan', value: 'pro' },
        { key: 'valid', value: '1' },
      ],
      error: null,
    });
    expect(parseProperties('plan').error).toContain('key = value');
    expect(parseProperties('  ').matches).toEqual([]);
  });

  it('sends blank text as no search and times in the chosen zone', () => {
    const input = toFilterInput({ ...emptyDraft(), from: '2026-11-26T00:00', search: '  ' }, 'cust-1', 'UTC');
    expect(input).toMatchObject({ distinctId: 'cust-1', search: null, fromMs: Date.UTC(2026, 10, 26), toMs: null });
  });
});
