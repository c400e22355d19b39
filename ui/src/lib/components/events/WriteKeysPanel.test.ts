import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import type { WriteKeyView } from '$lib/backend';
import WriteKeysPanel from './WriteKeysPanel.svelte';

const server: WriteKeyView = {
  id: 'wk_0a1b2c3d4e',
  kind: 'server',
  label: 'order service',
  allowedOrigins: [],
  ratePerSec: 100,
  burst: 1000,
  createdAt: Date.UTC(2026, 10, 20, 9, 0),
  revokedAt: null,
};
const browser: WriteKeyView = {
  ...server,
  id: 'wk_ffeeddccbb',
  kind: 'browser',
  label: 'shop web',
  allowedOrigins: ['https://shop.example.com'],
};

beforeEach(() => {
  vi.clearAllMocks();
});

describe('WriteKeysPanel', () => {
  it('says the collector is open while there are no keys', async () => {
    vi.mocked(backend.writeKeys).mockResolvedValue([]);
    render(WriteKeysPanel, {});
    expect(await screen.findByText(/takes events from anyone/)).toBeInTheDocument();
    expect(screen.queryByTestId('write-keys-table')).toBeNull();
  });

  it('creates a browser key with its origins and shows the token once, copyable', async () => {
    const user = userEvent.setup();
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    vi.mocked(backend.writeKeys).mockResolvedValueOnce([]).mockResolvedValue([browser]);
    vi.mocked(backend.createWriteKey).mockResolvedValue({
      key: browser,
      token: 'stratus_pk_0123456789abcdef',
      published: true,
      publishError: null,
    });
    render(WriteKeysPanel, {});
    await screen.findByText(/takes events from anyone/);

    await user.type(screen.getByTestId('write-key-label'), 'shop web');
    await user.type(screen.getByTestId('write-key-origins'), 'https://shop.example.com, https://www.example.com');
    await user.click(screen.getByTestId('write-key-create'));

    expect(backend.createWriteKey).toHaveBeenCalledWith({
      kind: 'browser',
      label: 'shop web',
      allowedOrigins: ['https://shop.example.com', 'https://www.example.com'],
      ratePerSec: null,
      burst: null,
    });
    expect(await screen.findByTestId('write-key-token-value')).toHaveTextContent('stratus_pk_0123456789abcdef');
    expect(await screen.findAllByTestId('write-key-row')).toHaveLength(1);
    expect(screen.queryByTestId('write-key-publish')).toBeNull();
    await user.click(screen.getByTestId('write-key-copy'));
    expect(writeText).toHaveBeenCalledWith('stratus_pk_0123456789abcdef');
    expect(await screen.findByTestId('write-key-copied')).toHaveTextContent('Copied');
  });

  it('a server key sends no origins', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.writeKeys).mockResolvedValue([]);
    vi.mocked(backend.createWriteKey).mockResolvedValue({ key: server, token: 'stratus_sk_1', published: true, publishError: null });
    render(WriteKeysPanel, {});
    await screen.findByText(/takes events from anyone/);
    await user.selectOptions(screen.getByTestId('write-key-kind'), 'server');
    expect(screen.queryByTestId('write-key-origins')).toBeNull();
    await user.type(screen.getByTestId('write-key-label'), 'order service');
    await user.click(screen.getByTestId('write-key-create'));
    expect(backend.createWriteKey).toHaveBeenCalledWith(
      expect.objectContaining({ kind: 'server', allowedOrigins: [] }),
    );
  });

  it('revokes a key, and says when the key set could not be published', async () => {
    const user = userEvent.setup();
    const revoked = { ...server, revokedAt: Date.UTC(2026, 10, 21) };
    vi.mocked(backend.writeKeys).mockResolvedValueOnce([server, browser]).mockResolvedValue([revoked, browser]);
    vi.mocked(backend.revokeWriteKey).mockResolvedValue({
      key: revoked,
      token: null,
      published: false,
      publishError: 'the keys could not be published to the events bucket: timed out',
    });
    render(WriteKeysPanel, {});
    const rows = await screen.findAllByTestId('write-key-row');
    await user.click(within(rows[0]!).getByTestId('write-key-revoke'));
    expect(backend.revokeWriteKey).toHaveBeenCalledWith('wk_0a1b2c3d4e');
    await vi.waitFor(() =>
      expect(screen.getAllByTestId('write-key-row')[0]).toHaveAttribute('data-revoked', 'true'),
    );
    expect(within(screen.getAllByTestId('write-key-row')[0]!).queryByTestId('write-key-revoke')).toBeNull();
    expect(screen.getByTestId('write-key-publish')).toHaveTextContent('not published: the keys could not be published');
  });

  it('shows a refused key with its code', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.writeKeys).mockResolvedValue([]);
    vi.mocked(backend.createWriteKey).mockRejectedValue({
      code: 'invalid_write_key',
      message: 'a browser key needs its allowed origins (e.g. https://shop.example.com, or * for any)',
    });
    render(WriteKeysPanel, {});
    await screen.findByText(/takes events from anyone/);
    await user.type(screen.getByTestId('write-key-label'), 'shop');
    await user.click(screen.getByTestId('write-key-create'));
    const err = await screen.findByTestId('write-keys-error');
    expect(err).toHaveAttribute('data-code', 'invalid_write_key');
    expect(screen.queryByTestId('write-key-token')).toBeNull();
  });
});
