/**
 * How paths are named inside the archive, and which archive paths may be
 * extracted. Entries are stored as GNU tar stores absolute paths — without the
 * leading `/` — so `tar -xzf files.tar.gz -C /` puts them back in place and
 * `-C /tmp/x` beside.
 */

/** The archive name of an absolute path. */
export function archiveName(absolute: string): string {
  return absolute.replace(/^\/+/, '');
}

/** An entry's path as a plain relative path: no `./` prefix, no trailing `/` ('' for the archive root). */
export function entryName(raw: string): string {
  let name = raw;
  while (name.startsWith('./')) name = name.slice(2);
  if (name === '.') return '';
  return name.replace(/\/+$/, '');
}

export interface EntryHeader {
  path: string;
  type: string;
  linkpath?: string;
}

/**
 * Why an entry must not be extracted, or undefined when it may. An archive
 * Lifeboat wrote never trips these; a tampered or foreign one might.
 * Symlink targets may point anywhere (`/etc/nginx/sites-available/x` is
 * normal): extraction never follows a link, it only creates it.
 */
export function unsafeEntry(entry: EntryHeader): string | undefined {
  const { path, type, linkpath } = entry;
  if (path === '') return 'has an empty path';
  if (path.includes('\0')) return 'has a NUL byte in its path';
  if (path.startsWith('/')) return `has the absolute path ${path}`;
  if (path.split('/').includes('..')) return `has the path ${path}, which climbs out with '..'`;
  if (type === 'Link') {
    if (!linkpath) return `is a hard link without a target (${path})`;
    if (linkpath.startsWith('/')) return `is a hard link (${path}) to the absolute path ${linkpath}`;
    if (linkpath.split('/').includes('..')) return `is a hard link (${path}) to ${linkpath}, which climbs out with '..'`;
  }
  if (type === 'SymbolicLink' && !linkpath) return `is a symbolic link without a target (${path})`;
  return undefined;
}
