import { globToRegExp } from './glob.js';

/** Names of files that usually hold credentials or private keys. */
const SECRET_FILES = ['.env*', '*.key', '*.pem', '*.p12', '*.pfx', '*.jks', '*.keystore', 'id_rsa*', 'id_dsa*', 'id_ecdsa*', 'id_ed25519*', '.pgpass', '.netrc'].map(
  (pattern) => globToRegExp(pattern),
);
/** Names of folders that usually hold them. */
const SECRET_FOLDERS = new Set(['ssl', 'secrets', '.ssh']);

/**
 * The archived paths that look like secrets: files by name, and folders by
 * name (reported once, as `folder/`, rather than each file in them).
 */
export function secretLookingPaths(entries: Iterable<{ absolute: string; type: string }>): string[] {
  const found: string[] = [];
  const folders = new Set<string>();
  for (const { absolute, type } of entries) {
    const parts = absolute.split('/');
    const folderIndex = parts.findIndex((part, i) => SECRET_FOLDERS.has(part) && (i < parts.length - 1 || type === 'directory'));
    if (folderIndex >= 0) {
      const folder = `${parts.slice(0, folderIndex + 1).join('/')}/`;
      if (!folders.has(folder)) {
        folders.add(folder);
        found.push(folder);
      }
      continue;
    }
    const name = parts.at(-1) ?? '';
    if (type !== 'directory' && SECRET_FILES.some((regex) => regex.test(name))) found.push(absolute);
  }
  return found;
}

/** The warning every run of an unencrypted files component holding secret-looking paths gets. */
export function secretsWarning(paths: readonly string[]): string | undefined {
  if (paths.length === 0) return undefined;
  const shown = paths.slice(0, 3).join(', ');
  const more = paths.length > 3 ? ` and ${paths.length - 3} more` : '';
  const noun = paths.length === 1 ? 'path looks' : 'paths look';
  return (
    `${paths.length} archived ${noun} like secrets (${shown}${more}), and the archive is stored unencrypted in every destination ` +
    '(this version of Lifeboat has no encryption yet); keep the destinations as private as the files themselves'
  );
}
