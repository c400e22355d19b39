/**
 * Test double for `$lib/backend`: every function that calls a command becomes a `vi.fn()`;
 * the helpers that call none stay real. Generated from the module itself, so a new
 * command function is mocked without an edit here (`lib/backend/commands.test.ts`
 * checks that REAL_HELPERS names exactly the functions that call no command).
 * Use from a test file as:
 *   vi.mock('$lib/backend', async (importOriginal) =>
 *     (await import('../../test/backend')).mockBackend(await importOriginal()));
 */
import { vi } from 'vitest';
import type * as Backend from '$lib/backend';

/** The backend's functions that call no command: kept real in the test double. */
export const REAL_HELPERS: readonly string[] = ['isAppError', 'toAppError', 'variantUrl', 'originalUrl'];

export function mockBackend(actual: typeof Backend): typeof Backend {
  const entries = Object.entries(actual).map(([name, value]) =>
    typeof value === 'function' && !REAL_HELPERS.includes(name) ? [name, vi.fn()] : [name, value],
  );
  return Object.fromEntries(entries) as typeof Backend;
}
