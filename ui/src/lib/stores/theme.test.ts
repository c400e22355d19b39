import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { THEME_STORAGE_KEY, ThemeStore } from './theme.svelte';

type Listener = (event: MediaQueryListEvent) => void;

function fakeMatchMedia(dark: boolean) {
  const listeners: Listener[] = [];
  const media = {
    matches: dark,
    addEventListener: (_: string, l: Listener) => listeners.push(l),
    removeEventListener: (_: string, l: Listener) => listeners.splice(listeners.indexOf(l), 1),
  };
  vi.stubGlobal('matchMedia', () => media);
  return {
    change(next: boolean) {
      media.matches = next;
      for (const l of [...listeners]) l({ matches: next } as MediaQueryListEvent);
    },
    listeners,
  };
}

beforeEach(() => {
  localStorage.clear();
  delete document.documentElement.dataset.theme;
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('ThemeStore', () => {
  it('follows the system by default', () => {
    const media = fakeMatchMedia(true);
    const store = new ThemeStore();
    store.init();
    expect(store.preference).toBe('system');
    expect(document.documentElement.dataset.theme).toBe('dark');

    media.change(false);
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('remembers an explicit choice and ignores the system for it', () => {
    const media = fakeMatchMedia(false);
    const store = new ThemeStore();
    store.init();
    store.set('dark');
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('dark');
    expect(document.documentElement.dataset.theme).toBe('dark');

    media.change(false);
    expect(document.documentElement.dataset.theme).toBe('dark');

    const reopened = new ThemeStore();
    reopened.init();
    expect(reopened.preference).toBe('dark');
  });

  it('ignores garbage in storage', () => {
    fakeMatchMedia(false);
    localStorage.setItem(THEME_STORAGE_KEY, 'purple');
    const store = new ThemeStore();
    store.init();
    expect(store.preference).toBe('system');
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('stops following the system after cleanup', () => {
    const media = fakeMatchMedia(false);
    const stop = new ThemeStore().init();
    expect(media.listeners).toHaveLength(1);
    stop();
    expect(media.listeners).toHaveLength(0);
  });
});
