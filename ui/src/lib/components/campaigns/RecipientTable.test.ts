import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import type { RecipientRowView } from '$lib/backend';
import { route } from '$lib/stores/route.svelte';
import RecipientTable from './RecipientTable.svelte';

function row(id: string, overrides: Partial<RecipientRowView> = {}): RecipientRowView {
  return {
    customerId: id,
    name: `Customer ${id}`,
    address: '+12025550143',
    status: 'sent',
    reason: null,
    errorCode: null,
    errorMessage: null,
    messageId: `m-${id}`,
    attempts: 1,
    rendered: 'Hi',
    updatedAt: Date.now(),
    ...overrides,
  };
}

beforeEach(() => {
  vi.clearAllMocks();
});

describe('RecipientTable', () => {
  it('opens a recipient in the Events section in one click', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.listRecipients).mockResolvedValueOnce({ rows: [row('c-1'), row('c-2')], nextAfter: null });
    render(RecipientTable, { campaignId: 'k-1' });
    await vi.waitFor(() => expect(screen.getAllByTestId('recipient-person')).toHaveLength(2));
    await user.click(screen.getByRole('button', { name: /Customer c-2/ }));
    expect(route.section).toBe('events');
    expect(route.takeCustomer()).toBe('c-2');
  });

  it('pages with the keyset cursor and filters by status', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.listRecipients)
      .mockResolvedValueOnce({ rows: [row('c-1'), row('c-2')], nextAfter: 'c-2' })
      .mockResolvedValueOnce({ rows: [row('c-3')], nextAfter: null })
      .mockResolvedValueOnce({
        rows: [row('c-9', { status: 'failed', errorCode: 'SimulatedFailure', errorMessage: 'refused' })],
        nextAfter: null,
      });
    render(RecipientTable, { campaignId: 'k-1' });
    await vi.waitFor(() => expect(screen.getAllByTestId('recipient-row')).toHaveLength(2));
    expect(backend.listRecipients).toHaveBeenLastCalledWith('k-1', null, null);

    await user.click(screen.getByTestId('recipient-more'));
    await vi.waitFor(() => expect(screen.getAllByTestId('recipient-row')).toHaveLength(3));
    expect(backend.listRecipients).toHaveBeenLastCalledWith('k-1', null, 'c-2');
    expect(screen.queryByTestId('recipient-more')).not.toBeInTheDocument();

    await user.selectOptions(screen.getByTestId('recipient-status'), 'failed');
    await vi.waitFor(() => expect(screen.getAllByTestId('recipient-row')).toHaveLength(1));
    expect(backend.listRecipients).toHaveBeenLastCalledWith('k-1', 'failed', null);
    expect(screen.getByTestId('recipient-row')).toHaveTextContent('SimulatedFailure');
  });

  it('exports the filtered recipients and says where the file is', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.listRecipients).mockResolvedValue({ rows: [row('c-1')], nextAfter: null });
    vi.mocked(backend.exportRecipients).mockResolvedValue({ path: '/data/exports/campaign-k-1-all.csv', rows: 1 });
    render(RecipientTable, { campaignId: 'k-1' });
    // There is no path to type: the app chooses the file, the webview only hears where.
    expect(screen.queryByTestId('recipient-export-path')).toBeNull();
    await user.click(screen.getByTestId('recipient-export'));
    expect(await screen.findByTestId('recipient-exported')).toHaveTextContent(
      '1 recipients written to /data/exports/campaign-k-1-all.csv',
    );
    expect(backend.exportRecipients).toHaveBeenCalledWith('k-1', null);
  });
});
