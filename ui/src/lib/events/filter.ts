/** The event table's filter as the screen edits it, and its backend form. */
import type { EventFilterInput, PropertyMatch } from '$lib/backend';
import { formatAbsolute, wallTimeToMs } from './time';

export interface FilterDraft {
  /** Any of these event names; empty means all. */
  events: string[];
  /** `datetime-local` values, read in the zone shown. */
  from: string;
  to: string;
  /** `key = value`, several joined by ` and `. */
  property: string;
  /** Free text over name, properties and url. */
  search: string;
}

export function emptyDraft(): FilterDraft {
  return { events: [], from: '', to: '', property: '', search: '' };
}

/** `plan = pro and valid = 1` → matches; a part without `=` is an error the user can fix. */
export function parseProperties(text: string): { matches: PropertyMatch[]; error: string | null } {
  const matches: PropertyMatch[] = [];
  for (const part of text.split(/\s+and\s+/i)) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) return { matches: [], error: `“${trimmed}” is not key = value` };
    matches.push({ key: trimmed.slice(0, eq).trim(), value: trimmed.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1') });
  }
  return { matches, error: null };
}

/** The backend's filter for a draft, one customer (or all) and the zone the times are read in. */
export function toFilterInput(
  draft: FilterDraft,
  distinctId: string | null,
  timeZone: string | undefined,
): EventFilterInput {
  return {
    distinctId,
    sessionId: null,
    events: draft.events,
    fromMs: wallTimeToMs(draft.from, timeZone),
    toMs: wallTimeToMs(draft.to, timeZone),
    properties: parseProperties(draft.property).matches,
    search: draft.search.trim() === '' ? null : draft.search.trim(),
  };
}

/** Toggles one event name in the list. */
export function toggleEvent(events: readonly string[], name: string): string[] {
  return events.includes(name) ? events.filter((e) => e !== name) : [...events, name];
}

/** The draft of a saved filter (a saved view), its times shown in the zone; its customer and session are not part of the draft. */
export function fromFilterInput(filter: EventFilterInput, timeZone: string | undefined): FilterDraft {
  const wall = (ms: number | null) => (ms === null ? '' : formatAbsolute(ms, timeZone).slice(0, 16).replace(' ', 'T'));
  return {
    events: [...filter.events],
    from: wall(filter.fromMs),
    to: wall(filter.toMs),
    property: filter.properties.map((p) => `${p.key} = ${p.value}`).join(' and '),
    search: filter.search ?? '',
  };
}

/** Adds `key = value` to the draft's property text (a facet value clicked). */
export function withProperty(property: string, key: string, value: string): string {
  const part = `${key} = ${value}`;
  return property.trim() === '' ? part : `${property.trim()} and ${part}`;
}
