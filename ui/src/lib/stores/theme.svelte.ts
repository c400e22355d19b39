export type ThemePreference = 'system' | 'light' | 'dark';
export type ResolvedTheme = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'stratus.theme';
const DARK_QUERY = '(prefers-color-scheme: dark)';

function isPreference(value: unknown): value is ThemePreference {
  return value === 'system' || value === 'light' || value === 'dark';
}

/** Light/dark theme: the user's choice, remembered, with "system" following the OS. */
export class ThemeStore {
  preference = $state<ThemePreference>('system');
  systemDark = $state(false);
  resolved: ResolvedTheme = $derived(
    this.preference === 'system' ? (this.systemDark ? 'dark' : 'light') : this.preference,
  );

  /** Reads the remembered choice, follows OS changes and applies the theme. Returns a cleanup. */
  init(): () => void {
    this.preference = readStored();
    const media = typeof window.matchMedia === 'function' ? window.matchMedia(DARK_QUERY) : null;
    this.systemDark = media?.matches ?? false;
    this.apply();
    if (!media) return () => {};
    const onChange = (event: MediaQueryListEvent) => {
      this.systemDark = event.matches;
      this.apply();
    };
    media.addEventListener('change', onChange);
    return () => media.removeEventListener('change', onChange);
  }

  set(preference: ThemePreference): void {
    this.preference = preference;
    try {
      localStorage.setItem(THEME_STORAGE_KEY, preference);
    } catch {
      // Storage can be unavailable (private mode); the choice then lasts for this session.
    }
    this.apply();
  }

  private apply(): void {
    document.documentElement.dataset.theme = this.resolved;
  }
}

function readStored(): ThemePreference {
  try {
    const stored = localStorage.getItem(THEME_STORAGE_KEY);
    return isPreference(stored) ? stored : 'system';
  } catch {
    return 'system';
  }
}

export const theme = new ThemeStore();
