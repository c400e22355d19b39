import { untrack } from 'svelte';
import { profileStatus, toAppError, type AppError, type ProfileStatus } from '$lib/backend';

export const STATUS_REFRESH_MS = 30_000;

/** The active profile and whether its cloud is reachable, for the status bar. */
export class ProfileStatusStore {
  current = $state<ProfileStatus | null>(null);
  error = $state<AppError | null>(null);

  async refresh(): Promise<void> {
    try {
      this.current = await profileStatus();
      this.error = null;
    } catch (e) {
      this.error = toAppError(e);
    }
  }

  /** Takes a status the backend already returned (e.g. from `profile_use`). */
  set(status: ProfileStatus): void {
    this.current = status;
    this.error = null;
  }

  /** Loads now and every `intervalMs`; returns the function that stops polling. */
  start(intervalMs: number = STATUS_REFRESH_MS): () => void {
    void this.refresh();
    const timer = setInterval(() => void this.refresh(), intervalMs);
    return () => clearInterval(timer);
  }
}

export const profile = new ProfileStatusStore();

/**
 * Runs `startOver` when the active profile changes to another one (not on the
 * first load): a section shows one profile's data. Call from a component's setup.
 */
export function onProfileSwitch(startOver: () => void): void {
  let shown: string | undefined;
  $effect.pre(() => {
    const name = profile.current?.name;
    // Untracked: what startOver reads must not re-run this check.
    if (shown !== undefined && name !== shown) untrack(startOver);
    shown = name;
  });
}
