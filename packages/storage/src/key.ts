import { LifeboatError, type ByteRange } from '@lifeboat/core';

/**
 * The one set of key rules every adapter applies, so a key that one
 * destination accepts is accepted by all of them (a backup fans out to several).
 */

/** Names the fs adapter uses for in-flight writes; never valid as a key part. */
export const TEMP_PREFIX = '.lifeboat-tmp-';

const RULES = 'keys are relative paths of names separated by "/", without empty, "." or ".." parts, backslashes or names starting with ".lifeboat-tmp-"';

function badPart(part: string): boolean {
  return part === '' || part === '.' || part === '..' || part.startsWith(TEMP_PREFIX);
}

function hasBadCharacters(text: string): boolean {
  return text.startsWith('/') || text.includes('\\') || text.includes('\0');
}

/** Throws a `LifeboatError` unless `key` is a valid object key. */
export function assertValidKey(key: string, where: string): void {
  if (hasBadCharacters(key) || key.split('/').some(badPart)) {
    throw new LifeboatError(`${JSON.stringify(key)} is not a valid key for ${where}: ${RULES}.`);
  }
}

/**
 * Throws a `LifeboatError` unless `prefix` is a valid list prefix: like a key,
 * except it may be empty, and its last part may be partial (`data/a`) or empty (`data/`).
 */
export function assertValidPrefix(prefix: string, where: string): void {
  const folders = prefix.split('/').slice(0, -1);
  if (hasBadCharacters(prefix) || folders.some(badPart)) {
    throw new LifeboatError(`${JSON.stringify(prefix)} is not a valid list prefix for ${where}: ${RULES}.`);
  }
}

/** A range every adapter accepts: whole, non-negative offsets, end (inclusive) not before start. */
export function assertValidRange(range: ByteRange, target: string): void {
  const { start, end } = range;
  const valid = Number.isSafeInteger(start) && start >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!valid) throw new LifeboatError(`cannot read ${target}: the byte range ${JSON.stringify(range)} is not valid.`);
}
