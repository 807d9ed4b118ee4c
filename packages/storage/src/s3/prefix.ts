import { assertValidKey } from '../key.js';

/** A prefix is a folder inside the bucket: the key rules apply to it, and a trailing "/" is dropped. */
export const PREFIX_RULES = 'a folder inside the bucket: names separated by "/", without a leading "/", empty, "." or ".." parts or backslashes';

/** `prefix` without trailing slashes (`''` for the bucket's root), or undefined when it is not valid. */
export function normalizePrefix(prefix: string): string | undefined {
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '') return prefix === '' ? '' : undefined; // "/" alone is a leading slash
  return isValidKey(trimmed) ? trimmed : undefined;
}

/** The shared key rules as a yes/no answer. */
export function isValidKey(key: string): boolean {
  try {
    assertValidKey(key, '');
    return true;
  } catch {
    return false;
  }
}
