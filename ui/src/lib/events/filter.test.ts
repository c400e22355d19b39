import { describe, expect, it } from 'vitest';
import { fromFilterInput, toFilterInput, withProperty } from './filter';

describe('saved views in the filter draft', () => {
  it('a saved filter opens as the draft it was saved from, in the zone shown', () => {
    const draft = { events: ['Order Completed'], from: '2026-11-20T09:30', to: '', property: 'currency = EUR and valid = 1', search: 'rain' };
    const saved = toFilterInput(draft, null, 'Asia/Tokyo');
    expect(saved.fromMs).toBe(Date.UTC(2026, 10, 20, 0, 30));
    expect(fromFilterInput(saved, 'Asia/Tokyo')).toEqual(draft);
    expect(fromFilterInput(saved, 'UTC').from).toBe('2026-11-20T00:30');
  });

  it('a facet value clicked is added to the property filter', () => {
    expect(withProperty('', 'plan', 'pro')).toBe('plan = pro');
    expect(withProperty(' currency = EUR ', 'plan', 'pro')).toBe('currency = EUR and plan = pro');
  });
});
