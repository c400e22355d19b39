import { render, screen, within } from '@testing-library/svelte';
import userEvent, { type UserEvent } from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../test/backend')).mockBackend(await importOriginal()),
);

import { saveProfile, testProfileDraft } from '$lib/backend';
import { profileView, report } from '../../test/fixtures';
import ProfileForm from './ProfileForm.svelte';

const save = vi.mocked(saveProfile);
const testDraft = vi.mocked(testProfileDraft);

async function fillValid(user: UserEvent) {
  await user.type(screen.getByTestId('profile-form-name'), 'prod');
  await user.type(screen.getByTestId('profile-form-region'), 'eu-west-1');
  await user.type(screen.getByTestId('profile-form-media-bucket'), 'acme-media');
  await user.type(screen.getByTestId('profile-form-events-bucket'), 'acme-events');
}

function setup(props: Partial<{ profile: ReturnType<typeof profileView> | null }> = {}) {
  const onsaved = vi.fn();
  const oncancel = vi.fn();
  render(ProfileForm, { onsaved, oncancel, ...props });
  return { onsaved, oncancel, user: userEvent.setup() };
}

beforeEach(() => {
  save.mockReset();
  testDraft.mockReset();
});

describe('ProfileForm', () => {
  it('validates required fields before calling the backend', async () => {
    const { user, onsaved } = setup();
    await user.click(screen.getByTestId('profile-form-save'));

    expect(screen.getByTestId('profile-form-error')).toHaveAttribute('data-code', 'validation');
    expect(screen.getByTestId('profile-form-name-error')).toHaveTextContent('Name is required.');
    expect(screen.getByTestId('profile-form-region-error')).toHaveTextContent('Region is required.');
    expect(screen.getByTestId('profile-form-media-bucket-error')).toHaveTextContent('Media bucket is required.');
    expect(screen.getByTestId('profile-form-events-bucket-error')).toHaveTextContent('Events bucket is required.');
    expect(screen.queryByTestId('profile-form-aws-profile-error')).not.toBeInTheDocument();
    expect(screen.getByTestId('profile-form-name')).toHaveAttribute('aria-invalid', 'true');
    expect(save).not.toHaveBeenCalled();
    expect(onsaved).not.toHaveBeenCalled();

    // Messages update as the user fixes the fields.
    await fillValid(user);
    expect(screen.queryByTestId('profile-form-name-error')).not.toBeInTheDocument();
    expect(screen.queryByTestId('profile-form-error')).not.toBeInTheDocument();
  });

  it('saves a new profile with trimmed values and nulls for empty optionals', async () => {
    const { user, onsaved } = setup();
    const saved = profileView();
    save.mockResolvedValue(saved);

    await fillValid(user);
    await user.type(screen.getByTestId('profile-form-endpoint'), 'http://localhost:9000');
    await user.click(screen.getByTestId('profile-form-path-style'));
    await user.click(screen.getByTestId('profile-form-save'));

    expect(save).toHaveBeenCalledWith(
      {
        name: 'prod',
        awsProfile: null,
        region: 'eu-west-1',
        endpointUrl: 'http://localhost:9000',
        forcePathStyle: true,
        allowInsecureHttp: false,
        mediaBucket: 'acme-media',
        eventsBucket: 'acme-events',
        topicArn: null,
        imageFunctionUrl: null,
      },
      null,
    );
    expect(onsaved).toHaveBeenCalledWith(saved);
  });

  it('shows the server error with its code, and puts profile_exists on the name', async () => {
    const { user, onsaved } = setup();
    save.mockRejectedValue({ code: 'profile_exists', message: 'A profile named `prod` already exists' });

    await fillValid(user);
    await user.click(screen.getByTestId('profile-form-save'));

    const error = await screen.findByTestId('profile-form-error');
    expect(error).toHaveAttribute('data-code', 'profile_exists');
    expect(error).toHaveTextContent('A profile named `prod` already exists');
    expect(error).toHaveTextContent('profile_exists');
    expect(screen.getByTestId('profile-form-name-error')).toHaveTextContent('already exists');
    expect(onsaved).not.toHaveBeenCalled();
  });

  it('shows invalid_profile errors from the server in the form', async () => {
    const { user } = setup();
    save.mockRejectedValue({ code: 'invalid_profile', message: 'region `eu-west-9` is not a known region' });

    await fillValid(user);
    await user.click(screen.getByTestId('profile-form-save'));

    const error = await screen.findByTestId('profile-form-error');
    expect(error).toHaveAttribute('data-code', 'invalid_profile');
    expect(error).toHaveTextContent('region `eu-west-9` is not a known region');
  });

  it('tests the draft and shows the connection report', async () => {
    const { user } = setup();
    testDraft.mockResolvedValue(report());

    await fillValid(user);
    await user.click(screen.getByTestId('profile-form-test'));

    const shown = await screen.findByTestId('connection-report');
    expect(testDraft).toHaveBeenCalledWith(expect.objectContaining({ name: 'prod', mediaBucket: 'acme-media' }));
    const checks = within(shown).getAllByTestId('connection-check');
    expect(checks.map((c) => c.getAttribute('data-outcome'))).toEqual(['ok', 'failed', 'skipped']);
    expect(checks[1]).toHaveTextContent('access_denied');
    expect(checks[1]).toHaveTextContent('Access denied to acme-media');
    expect(shown).toHaveTextContent('Connection failed');
    expect(save).not.toHaveBeenCalled();
  });

  it('does not test a draft that fails validation', async () => {
    const { user } = setup();
    await user.click(screen.getByTestId('profile-form-test'));
    expect(testDraft).not.toHaveBeenCalled();
    expect(screen.getByTestId('profile-form-error')).toBeInTheDocument();
  });

  it('edits an existing profile under its original name', async () => {
    const existing = profileView({ name: 'staging', awsProfile: 'work', topicArn: 'arn:aws:sns:eu-west-1:123456789012:t' });
    const { user, onsaved } = setup({ profile: existing });
    save.mockResolvedValue({ ...existing, name: 'staging-2' });

    expect(screen.getByTestId('profile-form-name')).toHaveValue('staging');
    expect(screen.getByTestId('profile-form-aws-profile')).toHaveValue('work');
    expect(screen.getByTestId('profile-form-topic')).toHaveValue('arn:aws:sns:eu-west-1:123456789012:t');

    await user.type(screen.getByTestId('profile-form-name'), '-2');
    await user.click(screen.getByTestId('profile-form-save'));

    expect(save).toHaveBeenCalledWith(expect.objectContaining({ name: 'staging-2', awsProfile: 'work' }), 'staging');
    expect(onsaved).toHaveBeenCalled();
  });

  it('cancels without saving', async () => {
    const { user, oncancel } = setup();
    await user.click(screen.getByTestId('profile-form-cancel'));
    expect(oncancel).toHaveBeenCalledOnce();
    expect(save).not.toHaveBeenCalled();
  });
});
