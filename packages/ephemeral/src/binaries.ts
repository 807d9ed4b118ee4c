/**
 * Finding server binaries for throwaway local servers. Nothing here reads
 * `process.env`: the caller hands over the PATH to search.
 */
import { accessSync, constants, readdirSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** Where Debian and Ubuntu put each PostgreSQL major version: `<root>/<version>/bin`. */
export const POSTGRES_INSTALL_ROOT = '/usr/lib/postgresql';

/** Used when a caller has no PATH to offer (a systemd unit, a bare test). */
export const DEFAULT_SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The full path of `name` in the first directory of `path` (a PATH string) that has it. */
export function findExecutable(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function hasServerBinaries(dir: string): boolean {
  return isExecutableFile(join(dir, 'postgres')) && isExecutableFile(join(dir, 'initdb'));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * A directory holding `postgres` and `initdb`: `preferred` if it has both, else
 * the directory of `initdb` on `path` (symlinks followed, so a link in
 * /usr/local/bin leads to the real install with its psql and pg_dump), else the
 * highest version under `installRoot` (Debian keeps server binaries off PATH).
 */
export function findPostgresBinDir(
  preferred?: string,
  path: string = DEFAULT_SEARCH_PATH,
  installRoot: string = POSTGRES_INSTALL_ROOT,
): string | undefined {
  if (preferred !== undefined && hasServerBinaries(preferred)) return preferred;

  const initdb = findExecutable('initdb', path);
  if (initdb !== undefined) {
    for (const dir of [dirname(realpathSync(initdb)), dirname(initdb)]) {
      if (hasServerBinaries(dir)) return dir;
    }
  }

  let versions: string[];
  try {
    versions = readdirSync(installRoot).filter((v) => /^\d+(\.\d+)*$/.test(v));
  } catch {
    return undefined;
  }
  versions.sort(compareVersions).reverse();
  for (const version of versions) {
    const dir = join(installRoot, version, 'bin');
    if (hasServerBinaries(dir)) return dir;
  }
  return undefined;
}
