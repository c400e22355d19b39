import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/backend', async (importOriginal) =>
  (await import('../../../test/backend')).mockBackend(await importOriginal()),
);

import * as backend from '$lib/backend';
import LevelTableEditor from './LevelTableEditor.svelte';

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(backend.getLevels).mockResolvedValue([
    { name: 'bronze', minPoints: 0 },
    { name: 'silver', minPoints: 500 },
  ]);
});

describe('LevelTableEditor', () => {
  it('edits the profile level table and saves it whole', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.setLevels).mockImplementation(async (levels) => levels);
    render(LevelTableEditor, { onclose: vi.fn() });
    expect(await screen.findAllByTestId('level-row')).toHaveLength(2);

    await user.click(screen.getByTestId('level-add'));
    const names = screen.getAllByTestId('level-name');
    await user.type(names[2]!, 'gold');
    const points = screen.getAllByTestId('level-points');
    await user.clear(points[2]!);
    await user.type(points[2]!, '1000');
    await user.click(screen.getByTestId('level-save'));

    expect(await screen.findByTestId('level-saved')).toBeInTheDocument();
    expect(backend.setLevels).toHaveBeenCalledWith([
      { name: 'bronze', minPoints: 0 },
      { name: 'silver', minPoints: 500 },
      { name: 'gold', minPoints: 1000 },
    ]);
  });

  it('shows a refused table with its reason', async () => {
    const user = userEvent.setup();
    vi.mocked(backend.setLevels).mockRejectedValue({
      code: 'invalid_campaign',
      message: 'level table: the lowest level must start at 0 points, so everyone has one',
    });
    render(LevelTableEditor, { onclose: vi.fn() });
    await screen.findAllByTestId('level-row');
    await user.click(screen.getByTestId('level-save'));
    expect(await screen.findByTestId('level-error')).toHaveTextContent('start at 0 points');
  });
});
