/**
 * The UI side of the one command list (`src-tauri/commands.txt`, see docs/architecture.md):
 * every backend function calls exactly one listed command, every listed command has a
 * function, and the test double mocks exactly the functions that call a command.
 */
/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const { invoke } = vi.hoisted(() => ({ invoke: vi.fn() }));

vi.mock('@tauri-apps/api/core', () => ({
  invoke,
  Channel: class {
    onmessage: ((m: unknown) => void) | null = null;
  },
}));

import * as backend from './index';
import { mockBackend, REAL_HELPERS } from '../../test/backend';

const here = dirname(fileURLToPath(import.meta.url));
const commandList = readFileSync(resolve(here, '../../../../src-tauri/commands.txt'), 'utf8');
/** The command names of the list: `<module>::<command>` lines, `#` comments. */
const listed = commandList
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => line.split('::').pop() ?? line);

type AnyFunction = (...args: unknown[]) => unknown;
const exported = backend as unknown as Record<string, unknown>;
const functions = Object.entries(exported).filter(
  (entry): entry is [string, AnyFunction] => typeof entry[1] === 'function',
);
const commandFunctions = functions.filter(([name]) => !REAL_HELPERS.includes(name));

/** The commands a function invokes when called with `args`. */
async function commandsOf(fn: AnyFunction, ...args: unknown[]): Promise<string[]> {
  invoke.mockReset();
  invoke.mockResolvedValue(null);
  await fn(...args);
  return invoke.mock.calls.map((call) => String(call[0]));
}

beforeEach(() => invoke.mockReset());

describe('the command list', () => {
  it('is read from src-tauri/commands.txt', () => {
    expect(listed.length).toBeGreaterThan(0);
    expect(listed).toContain('app_info');
  });

  it('is what the backend functions call: one listed command each, every listed command called', async () => {
    const called = new Map<string, string>();
    for (const [name, fn] of commandFunctions) {
      const commands = await commandsOf(fn, 'a', 'b');
      expect(commands, `${name} should call exactly one command (or be in REAL_HELPERS)`).toHaveLength(1);
      called.set(commands[0] ?? '', name);
    }
    const unlisted = [...called.keys()].filter((c) => !listed.includes(c));
    expect(unlisted, 'commands the UI calls that are not in src-tauri/commands.txt').toEqual([]);
    const uncalled = listed.filter((c) => !called.has(c));
    expect(uncalled, 'listed commands no function in ui/src/lib/backend/ calls').toEqual([]);
  });

  it('is mocked whole by the test double, and the helpers it keeps real call no command', async () => {
    const double = mockBackend(backend) as unknown as Record<string, unknown>;
    for (const [name] of commandFunctions) {
      expect(vi.isMockFunction(double[name]), `${name} is mocked`).toBe(true);
    }
    for (const name of REAL_HELPERS) {
      const helper = exported[name];
      expect(typeof helper, `${name} is a backend function`).toBe('function');
      expect(double[name]).toBe(helper);
      expect(await commandsOf(helper as AnyFunction, 'a', 'b'), `${name} calls no command`).toEqual([]);
    }
  });
});
