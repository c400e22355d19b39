import { describe, expect, it } from 'vitest';
import { baseName, breadcrumbs, folderPrefix } from './keys';

describe('breadcrumbs', () => {
  it('is empty at the root', () => {
    expect(breadcrumbs('')).toEqual([]);
  });

  it('lists each level with its full prefix', () => {
    expect(breadcrumbs('photos/2024/')).toEqual([
      { label: 'photos', prefix: 'photos/' },
      { label: '2024', prefix: 'photos/2024/' },
    ]);
  });
});

describe('folderPrefix', () => {
  it('keeps full common prefixes', () => {
    expect(folderPrefix('photos/2024/', 'photos/')).toBe('photos/2024/');
  });

  it('joins bare names onto the current prefix and adds the slash', () => {
    expect(folderPrefix('2024', 'photos/')).toBe('photos/2024/');
  });
});

describe('baseName', () => {
  it('returns the last segment of keys and prefixes', () => {
    expect(baseName('photos/2024/')).toBe('2024');
    expect(baseName('photos/cat.jpg')).toBe('cat.jpg');
    expect(baseName('cat.jpg')).toBe('cat.jpg');
  });
});
