import type { CustomerView, EventRow, FacetsView, PersonCardView, SyncStatusView } from '$lib/backend';

/** Event `i`, one minute older than event `i - 1`. */
export function eventRow(i: number, overrides: Partial<EventRow> = {}): EventRow {
  return {
    rowid: 100_000 - i,
    eventId: `ev-${i}`,
    ts: Date.UTC(2026, 10, 26, 15, 0, 0) - i * 60_000,
    event: i % 2 === 0 ? 'Button Clicked' : '$pageview',
    kind: i % 2 === 0 ? 'track' : 'page',
    distinctId: 'cust-00034',
    anonymousId: 'anon-1',
    sessionId: 'sess-1',
    url: 'https://shop.example.com/',
    properties: '{"button":"nav-pricing"}',
    ...overrides,
  };
}

export function syncStatus(overrides: Partial<SyncStatusView> = {}): SyncStatusView {
  return {
    lastSyncAt: Date.now() - 60_000,
    lastError: null,
    watermark: 'events/v1/dt=2026-11-26/hh=14/x.ndjson.gz',
    objects: 60,
    events: 30_000,
    badLines: 0,
    objectsBehind: 0,
    behindError: null,
    syncing: false,
    autoSyncSeconds: 60,
    futureKeys: { count: 0, examples: [] },
    outOfLayoutKeys: { count: 0, examples: [] },
    ...overrides,
  };
}

export function customer(overrides: Partial<CustomerView> = {}): CustomerView {
  return {
    distinctId: 'cust-00034',
    ids: 1,
    name: 'Ann Lee',
    email: 'ann.lee@example.com',
    timeZone: 'Asia/Tokyo',
    timeZoneSource: 'directory',
    events: 120,
    firstTs: Date.UTC(2026, 9, 28),
    lastTs: Date.UTC(2026, 10, 26, 15),
    matchedBy: 'id',
    ...overrides,
  };
}

export function facets(overrides: Partial<FacetsView> = {}): FacetsView {
  return {
    byEvent: [
      { value: 'Button Clicked', count: 50 },
      { value: '$pageview', count: 70 },
    ],
    byDay: [
      { value: '2026-11-25', count: 40 },
      { value: '2026-11-26', count: 80 },
    ],
    ...overrides,
  };
}

/** The person card of Ann: two anonymous devices joined by identify and alias. */
export function person(overrides: Partial<PersonCardView> = {}): PersonCardView {
  return {
    person: 'cust-00034',
    ids: [
      { id: 'anon-laptop', user: false },
      { id: 'anon-phone', user: false },
      { id: 'cust-00034', user: true },
    ],
    links: [
      { kind: 'identify', id: 'cust-00034', other: 'anon-laptop', at: Date.UTC(2026, 10, 20, 9), eventId: 'e-1' },
      { kind: 'alias', id: 'cust-00034', other: 'anon-phone', at: Date.UTC(2026, 10, 21, 9), eventId: 'e-2' },
      { kind: 'group', id: 'cust-00034', other: 'acme', at: Date.UTC(2026, 10, 22, 9), eventId: 'e-3' },
    ],
    traits: [{ name: 'plan', value: '"pro"', setAt: Date.UTC(2026, 10, 22, 9), eventId: 'e-4' }],
    devices: [
      {
        id: 'anon-laptop',
        library: 'stratus.js 0.4.2',
        os: null,
        browser: null,
        deviceType: null,
        events: 40,
        firstTs: Date.UTC(2026, 9, 28),
        lastTs: Date.UTC(2026, 10, 20),
      },
    ],
    events: 120,
    sessions: 9,
    firstTs: Date.UTC(2026, 9, 28),
    lastTs: Date.UTC(2026, 10, 26, 15),
    consent: [{ name: 'sms_opt_in', value: 'true', source: 'directory', setAt: null }],
    directory: {
      id: 'cust-00034',
      name: 'Ann Lee',
      email: 'ann.lee@example.com',
      locale: 'ja',
      timeZone: 'Asia/Tokyo',
      level: 'gold',
      points: 1520,
      streak: 4,
      smsOptIn: true,
      pushOptIn: false,
    },
    campaigns: [
      {
        campaignId: 'c-1',
        name: 'Spring sale',
        channel: 'sms',
        customerId: 'cust-00034',
        status: 'sent',
        reason: null,
        rendered: 'Hi Ann',
        updatedAt: Date.UTC(2026, 10, 24, 9),
      },
    ],
    ...overrides,
  };
}
