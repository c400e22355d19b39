import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import ProgressBar from './ProgressBar.svelte';

describe('ProgressBar', () => {
  it('fills to the percent and says it to assistive technology', () => {
    render(ProgressBar, { percent: 40, label: 'Upload progress' });
    const bar = screen.getByRole('progressbar', { name: 'Upload progress' });
    expect(bar).toHaveAttribute('aria-valuenow', '40');
    expect(bar).toHaveAttribute('aria-valuemax', '100');
    expect(bar.querySelector('.fill')).toHaveStyle({ width: '40%' });
  });

  it('takes counts for its aria values', () => {
    render(ProgressBar, { percent: 30, label: 'Uploads', 'aria-valuemax': 10, 'aria-valuenow': 3 });
    const bar = screen.getByRole('progressbar');
    expect(bar).toHaveAttribute('aria-valuenow', '3');
    expect(bar).toHaveAttribute('aria-valuemax', '10');
  });

  it('slides while the total is unknown', () => {
    render(ProgressBar, { percent: null, label: 'Sync' });
    const bar = screen.getByRole('progressbar');
    expect(bar).toHaveClass('indeterminate');
    expect(bar).not.toHaveAttribute('aria-valuenow');
  });
});
