import { describe, expect, it } from 'vitest';
import { formatBytes, formatDateTime, formatProgress, formatRelative } from './format';

describe('formatBytes', () => {
  it('keeps small sizes in bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1)).toBe('1 B');
    expect(formatBytes(1023)).toBe('1023 B');
  });

  it('uses 1024-based units with one decimal below ten', () => {
    expect(formatBytes(1024)).toBe('1.0 KB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(20 * 1024)).toBe('20 KB');
    expect(formatBytes(5.25 * 1024 * 1024)).toBe('5.3 MB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GB');
    expect(formatBytes(2048 * 1024 ** 4)).toBe('2.0 PB');
  });

  it('shows a dash for impossible sizes', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('formatDateTime', () => {
  it('shows a dash when the time is unknown', () => {
    expect(formatDateTime(null)).toBe('—');
  });

  it('formats Unix milliseconds in the given zone', () => {
    const text = formatDateTime(Date.UTC(2024, 2, 5, 14, 7), { locale: 'en-US', timeZone: 'UTC' });
    expect(text).toContain('Mar 5, 2024');
    expect(text).toContain('2:07');
  });
});

describe('formatRelative', () => {
  const now = Date.UTC(2024, 0, 10, 12, 0, 0);

  it('says how long ago for recent times', () => {
    expect(formatRelative(now - 10_000, now)).toBe('just now');
    expect(formatRelative(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatRelative(now - 3 * 3_600_000, now)).toBe('3 h ago');
  });

  it('falls back to the date for old times', () => {
    expect(formatRelative(now - 3 * 86_400_000, now, { locale: 'en-US', timeZone: 'UTC' })).toContain('Jan 7, 2024');
  });
});

describe('formatProgress', () => {
  it('shows done of total, or done alone when the total is unknown', () => {
    expect(formatProgress(3, 10)).toBe('3 / 10');
    expect(formatProgress(1200, 5000)).toBe('1,200 / 5,000');
    expect(formatProgress(7, null)).toBe('7');
  });
});
