/** Object-key helpers for a "/"-delimited bucket browser. */

export interface Crumb {
  label: string;
  prefix: string;
}

/** The path segments of `prefix` as clickable crumbs, root excluded: `a/b/` → `a`, `a/b`. */
export function breadcrumbs(prefix: string): Crumb[] {
  const crumbs: Crumb[] = [];
  let acc = '';
  for (const part of prefix.split('/')) {
    if (part === '') continue;
    acc += `${part}/`;
    crumbs.push({ label: part, prefix: acc });
  }
  return crumbs;
}

/**
 * The full prefix of a folder from a listing. Stores return full common prefixes
 * (`a/b/`); a bare name (`b`) is joined onto the current prefix to be safe.
 */
export function folderPrefix(folder: string, current: string): string {
  const full = folder.startsWith(current) ? folder : current + folder;
  return full.endsWith('/') ? full : `${full}/`;
}

/** The last segment of a key or prefix, for display: `a/b/` → `b`, `a/b.jpg` → `b.jpg`. */
export function baseName(keyOrPrefix: string): string {
  const trimmed = keyOrPrefix.endsWith('/') ? keyOrPrefix.slice(0, -1) : keyOrPrefix;
  const slash = trimmed.lastIndexOf('/');
  return slash === -1 ? trimmed : trimmed.slice(slash + 1);
}
