import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../test/backend')).mockBackend(await importOriginal()),
);

import { deleteProfile, testProfile, useProfile } from '$lib/backend';
import { demoProfile, profileView, report, status } from '../../test/fixtures';
import ProfileList from './ProfileList.svelte';

const profiles = [
  demoProfile(),
  profileView({ name: 'prod', endpointUrl: 'http://localhost:9000', forcePathStyle: true, awsProfile: 'work' }),
];

function setup() {
  const handlers = { onactivated: vi.fn(), ondeleted: vi.fn(), onedit: vi.fn() };
  render(ProfileList, { profiles, ...handlers });
  return { ...handlers, user: userEvent.setup() };
}

beforeEach(() => {
  vi.mocked(useProfile).mockReset();
  vi.mocked(testProfile).mockReset();
  vi.mocked(deleteProfile).mockReset();
});

describe('ProfileList', () => {
  it('shows each profile with kind, location, buckets and the active badge', () => {
    setup();
    const demo = screen.getByTestId('profile-row-demo');
    expect(demo).toHaveTextContent('Active');
    expect(demo).toHaveTextContent('Demo');
    const prod = screen.getByTestId('profile-row-prod');
    expect(prod).not.toHaveTextContent('Active');
    expect(prod).toHaveTextContent('eu-west-1 · http://localhost:9000 · path-style');
    expect(prod).toHaveTextContent('acme-media');
    expect(prod).toHaveTextContent('acme-events');
    expect(prod).toHaveTextContent('AWS profile “work”');
  });

  it('offers no edit or delete for the demo profile', () => {
    setup();
    expect(screen.queryByTestId('profile-edit-demo')).not.toBeInTheDocument();
    expect(screen.queryByTestId('profile-delete-demo')).not.toBeInTheDocument();
    expect(screen.getByTestId('profile-test-demo')).toBeEnabled();
    expect(screen.getByTestId('profile-use-demo')).toBeDisabled();
  });

  it('switches the active profile', async () => {
    const { user, onactivated } = setup();
    const next = status({ name: 'prod', kind: 'cloud', reachability: 'reachable' });
    vi.mocked(useProfile).mockResolvedValue(next);
    await user.click(screen.getByTestId('profile-use-prod'));
    expect(useProfile).toHaveBeenCalledWith('prod');
    expect(onactivated).toHaveBeenCalledWith(next);
  });

  it('tests a saved profile and shows its report on the row', async () => {
    const { user } = setup();
    vi.mocked(testProfile).mockResolvedValue(report({ profile: 'prod', ok: true, checks: [] }));
    await user.click(screen.getByTestId('profile-test-prod'));
    const shown = await within(screen.getByTestId('profile-row-prod')).findByTestId('connection-report');
    expect(shown).toHaveTextContent('Connection OK');
    expect(testProfile).toHaveBeenCalledWith('prod');
  });

  it('deletes only after confirmation', async () => {
    const { user, ondeleted } = setup();
    vi.mocked(deleteProfile).mockResolvedValue(undefined);
    await user.click(screen.getByTestId('profile-delete-prod'));
    expect(deleteProfile).not.toHaveBeenCalled();
    await user.click(screen.getByTestId('profile-delete-confirm-prod'));
    expect(deleteProfile).toHaveBeenCalledWith('prod');
    expect(ondeleted).toHaveBeenCalledWith('prod');
  });

  it('shows a failed action on its row with the code', async () => {
    const { user, onactivated } = setup();
    vi.mocked(useProfile).mockRejectedValue({ code: 'profile_not_found', message: 'no profile `prod`' });
    await user.click(screen.getByTestId('profile-use-prod'));
    const error = await within(screen.getByTestId('profile-row-prod')).findByTestId('profile-row-error');
    expect(error).toHaveAttribute('data-code', 'profile_not_found');
    expect(error).toHaveTextContent('no profile `prod`');
    expect(onactivated).not.toHaveBeenCalled();
  });

  it('hands the profile to edit', async () => {
    const { user, onedit } = setup();
    await user.click(screen.getByTestId('profile-edit-prod'));
    expect(onedit).toHaveBeenCalledWith(profiles[1]);
  });
});
