/** Typed calls for the Events section (support staff). */
import type { CustomerView } from './bindings/CustomerView';
import type { EventDetailView } from './bindings/EventDetailView';
import type { EventFilterInput } from './bindings/EventFilterInput';
import type { EventPageView } from './bindings/EventPageView';
import type { ExportFormat } from './bindings/ExportFormat';
import type { ExportView } from './bindings/ExportView';
import type { FacetCount } from './bindings/FacetCount';
import type { FacetsView } from './bindings/FacetsView';
import type { JobView } from './bindings/JobView';
import type { PersonCardView } from './bindings/PersonCardView';
import type { PrivacyRequestView } from './bindings/PrivacyRequestView';
import type { PropertyFacetView } from './bindings/PropertyFacetView';
import type { RetentionInput } from './bindings/RetentionInput';
import type { RetentionView } from './bindings/RetentionView';
import type { SavedViewView } from './bindings/SavedViewView';
import type { SessionView } from './bindings/SessionView';
import type { SyncStatusView } from './bindings/SyncStatusView';
import type { WriteKeyChange } from './bindings/WriteKeyChange';
import type { WriteKeyInput } from './bindings/WriteKeyInput';
import type { WriteKeyView } from './bindings/WriteKeyView';
import { call } from './call';

export type { CustomerView } from './bindings/CustomerView';
export type { EventDetailView } from './bindings/EventDetailView';
export type { EventFilterInput } from './bindings/EventFilterInput';
export type { EventPageView } from './bindings/EventPageView';
export type { EventRow } from './bindings/EventRow';
export type { ExportFormat } from './bindings/ExportFormat';
export type { ExportView } from './bindings/ExportView';
export type { FacetCount } from './bindings/FacetCount';
export type { FacetsView } from './bindings/FacetsView';
export type { PersonCardView } from './bindings/PersonCardView';
export type { PersonLinkView } from './bindings/PersonLinkView';
export type { PrivacyRequestView } from './bindings/PrivacyRequestView';
export type { PropertyFacetView } from './bindings/PropertyFacetView';
export type { PropertyMatch } from './bindings/PropertyMatch';
export type { RetentionInput } from './bindings/RetentionInput';
export type { RetentionView } from './bindings/RetentionView';
export type { SavedViewView } from './bindings/SavedViewView';
export type { SessionView } from './bindings/SessionView';
export type { SyncStatusView } from './bindings/SyncStatusView';
export type { WriteKeyChange } from './bindings/WriteKeyChange';
export type { WriteKeyInput } from './bindings/WriteKeyInput';
export type { WriteKeyView } from './bindings/WriteKeyView';

/** Starts a job that syncs the events bucket into the local cache. */
export function syncEvents(): Promise<JobView> {
  return call<JobView>('events_sync');
}

/** Last sync, cache size, bad lines and the objects waiting in the bucket. */
export function eventsSyncStatus(): Promise<SyncStatusView> {
  return call<SyncStatusView>('events_status');
}

/** Customers by id prefix, email, name or the text of their events. */
export function searchCustomers(query: string): Promise<CustomerView[]> {
  return call<CustomerView[]>('events_search', { query });
}

/** One customer's summary (time zone, counts), or null when unknown. */
export function getCustomer(distinctId: string): Promise<CustomerView | null> {
  return call<CustomerView | null>('events_customer', { distinctId });
}

/**
 * The person card of the customer an id (any of theirs) belongs to: ids and
 * how each was linked, traits, devices, consent, directory fields and the
 * campaigns they received; null when unknown.
 */
export function getPerson(distinctId: string): Promise<PersonCardView | null> {
  return call<PersonCardView | null>('events_person', { distinctId });
}

/** One keyset page of the filtered events, newest first; pass `next` back for the following page. */
export function eventsPage(filter: EventFilterInput, cursor: string | null, limit: number): Promise<EventPageView> {
  return call<EventPageView>('events_page', { filter, cursor, limit });
}

/** Counts by event name and by day; days are cut at `utcOffsetMinutes`. */
export function eventFacets(filter: EventFilterInput, utcOffsetMinutes: number): Promise<FacetsView> {
  return call<FacetsView>('events_facets', { filter, utcOffsetMinutes });
}

/** The full stored JSON of one event. */
export function eventDetail(eventId: string): Promise<EventDetailView> {
  return call<EventDetailView>('events_detail', { eventId });
}

/** A customer's sessions, most recent first. */
export function customerSessions(distinctId: string): Promise<SessionView[]> {
  return call<SessionView[]>('events_sessions', { distinctId });
}

/** Writes every event of the filter to a new file in the app's exports folder. */
export function exportEvents(filter: EventFilterInput, format: ExportFormat): Promise<ExportView> {
  return call<ExportView>('events_export', { filter, format });
}

/** How much the local cache keeps (by age in days, by count); null means no limit. */
export function eventsRetention(): Promise<RetentionView> {
  return call<RetentionView>('events_retention');
}

/** Saves the cache's retention and prunes to it at once; says how many events went. */
export function saveEventsRetention(input: RetentionInput): Promise<RetentionView> {
  return call<RetentionView>('events_retention_save', { input });
}

/** The collector's write keys of the active profile, revoked ones included (never their tokens). */
export function writeKeys(): Promise<WriteKeyView[]> {
  return call<WriteKeyView[]>('events_keys');
}

/** Creates a write key; the answer holds its token, shown this once. Publishes the key set. */
export function createWriteKey(input: WriteKeyInput): Promise<WriteKeyChange> {
  return call<WriteKeyChange>('events_key_create', { input });
}

/** Revokes a write key and publishes the key set. */
export function revokeWriteKey(id: string): Promise<WriteKeyChange> {
  return call<WriteKeyChange>('events_key_revoke', { id });
}

/** The top values of one property over the filtered events (what the property filter compares). */
export function propertyFacet(filter: EventFilterInput, key: string): Promise<PropertyFacetView> {
  return call<PropertyFacetView>('events_property_facet', { filter, key });
}

/** Property keys of the newest filtered events, most used first: the keys to facet by. */
export function propertyKeys(filter: EventFilterInput): Promise<FacetCount[]> {
  return call<FacetCount[]>('events_property_keys', { filter });
}

/** The saved views (named filters), by name. */
export function savedViews(): Promise<SavedViewView[]> {
  return call<SavedViewView[]>('events_views');
}

/** Saves the filter under a name; a view of that name (any case) is replaced. */
export function saveView(name: string, filter: EventFilterInput): Promise<SavedViewView> {
  return call<SavedViewView>('events_view_save', { name, filter });
}

export function deleteView(name: string): Promise<void> {
  return call<void>('events_view_delete', { name });
}

/**
 * Starts a job that writes everything held on the person (any of their ids) into
 * a new JSON file in the app's exports folder; `requestedBy` is kept in the record.
 */
export function exportPerson(distinctId: string, requestedBy: string): Promise<JobView> {
  return call<JobView>('events_person_export', { distinctId, requestedBy });
}

/** Starts a job that erases the person from the bucket, the cache and the customer list. */
export function forgetPerson(distinctId: string, requestedBy: string): Promise<JobView> {
  return call<JobView>('events_person_forget', { distinctId, requestedBy });
}

/** Recorded privacy requests (exports and erasures), newest first. */
export function privacyRequests(): Promise<PrivacyRequestView[]> {
  return call<PrivacyRequestView[]>('events_privacy_requests');
}
