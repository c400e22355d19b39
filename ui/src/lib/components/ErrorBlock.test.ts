import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import ErrorBlock from './ErrorBlock.svelte';

describe('ErrorBlock', () => {
  it('reads out the message after its context, with the code beside it', () => {
    // `context` is also a Svelte option: props go under `props`.
    render(ErrorBlock, {
      props: {
        error: { code: 'access_denied', message: 'Access denied to bucket acme-media' },
        context: 'Could not load events',
        'data-testid': 'events-error',
      },
    });
    const block = screen.getByRole('alert');
    expect(block).toHaveAttribute('data-testid', 'events-error');
    expect(block).toHaveAttribute('data-code', 'access_denied');
    expect(block).toHaveTextContent('Could not load events: Access denied to bucket acme-media');
    expect(block.querySelector('.code')).toHaveTextContent('access_denied');
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });

  it('shows no code for a message without one', () => {
    render(ErrorBlock, { error: { message: 'The last sync failed' } });
    const block = screen.getByRole('alert');
    expect(block).not.toHaveAttribute('data-code');
    expect(block.querySelector('.code')).toBeNull();
  });

  it('offers Retry when given one', async () => {
    const onretry = vi.fn();
    render(ErrorBlock, { error: { code: 'internal', message: 'boom' }, stacked: true, icon: true, onretry });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Retry' }));
    expect(onretry).toHaveBeenCalledTimes(1);
  });
});
