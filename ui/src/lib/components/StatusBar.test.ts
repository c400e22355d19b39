import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { ComponentProps } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import { status } from '../../test/fixtures';
import StatusBar from './StatusBar.svelte';

function renderBar(props: Partial<ComponentProps<typeof StatusBar>> = {}) {
  const ontogglejobs = vi.fn();
  render(StatusBar, { status: status(), running: 0, jobsOpen: false, ontogglejobs, ...props });
  return { ontogglejobs };
}

describe('StatusBar', () => {
  it('shows the demo profile as offline', () => {
    renderBar();
    expect(screen.getByTestId('status-profile')).toHaveTextContent('demo');
    expect(screen.getByTestId('status-profile')).toHaveTextContent('Demo');
    expect(screen.getByTestId('status-reachability')).toHaveTextContent('Offline demo');
  });

  it('shows reachable and unreachable cloud profiles', () => {
    renderBar({ status: status({ name: 'prod', kind: 'cloud', reachability: 'reachable' }) });
    expect(screen.getByTestId('status-profile')).toHaveTextContent('prod');
    expect(screen.getByTestId('status-profile')).toHaveTextContent('Cloud');
    expect(screen.getByTestId('status-reachability')).toHaveTextContent('Reachable');
  });

  it('shows why a profile is unreachable', () => {
    renderBar({
      status: status({ name: 'prod', kind: 'cloud', reachability: 'unreachable', message: 'timed out after 5 s' }),
    });
    expect(screen.getByTestId('status-reachability')).toHaveTextContent('Unreachable: timed out after 5 s');
  });

  it('shows a status error when there is no status', () => {
    renderBar({ status: null, error: { code: 'internal', message: 'backend down' } });
    expect(screen.getByTestId('status-reachability')).toHaveTextContent('Status unavailable: backend down');
  });

  it('counts running jobs and toggles the panel', async () => {
    const user = userEvent.setup();
    const { ontogglejobs } = renderBar({ running: 2 });
    const toggle = screen.getByTestId('jobs-toggle');
    expect(toggle).toHaveTextContent('2');
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    expect(ontogglejobs).toHaveBeenCalledOnce();
  });
});
