import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProfileStatus } from '$lib/backend';
import { onProfileSwitch, profile } from './profileStatus.svelte';

function status(name: string): ProfileStatus {
  return { name } as ProfileStatus;
}

describe('onProfileSwitch', () => {
  let stop: (() => void) | undefined;
  afterEach(() => {
    stop?.();
    profile.current = null;
  });

  it('starts a section over when another profile becomes active, not on the first load or a refresh', () => {
    const startOver = vi.fn();
    profile.current = null;
    stop = $effect.root(() => onProfileSwitch(startOver));
    flushSync();

    profile.set(status('demo'));
    flushSync();
    expect(startOver).not.toHaveBeenCalled();

    profile.set(status('demo'));
    flushSync();
    expect(startOver).not.toHaveBeenCalled();

    profile.set(status('prod'));
    flushSync();
    expect(startOver).toHaveBeenCalledTimes(1);
  });
});
