import { lstat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LifeboatError } from '@lifeboat/core';
import type { PathSpec } from './config.js';
import { globSegments, globToRegExp, hasGlob, unescapeSegment } from './glob.js';
import { readError } from './read-error.js';

export interface Roots {
  /** Existing absolute paths to archive, sorted, without duplicates. */
  roots: string[];
  /** Optional paths (as resolved) that matched nothing. */
  missingOptional: string[];
}

/**
 * Turns the plan's `paths` into existing absolute paths: relative ones are
 * relative to the plan's folder, globs are expanded. A path that matches
 * nothing fails the backup unless it is marked optional — the guide's
 * `2>/dev/null || true` hid exactly that.
 */
export async function resolveRoots(specs: readonly PathSpec[], planDir: string): Promise<Roots> {
  const roots = new Set<string>();
  const missing: string[] = [];
  const missingOptional: string[] = [];
  for (const spec of specs) {
    const absolute = resolve(planDir, spec.written);
    const found = hasGlob(absolute) ? await expand('/', globSegments(absolute)) : (await exists(absolute)) ? [absolute] : [];
    if (found.length === 0) (spec.optional ? missingOptional : missing).push(absolute);
    for (const path of found) {
      if (path === '/') throw new LifeboatError(`paths: ${spec.written} is the whole file system; list the folders to back up instead (a system image is the ec2 strategy's job)`);
      roots.add(path);
    }
  }
  if (missing.length > 0) {
    const what = missing.length === 1 ? `${missing[0]} does not exist` : `${missing.length} listed paths do not exist: ${missing.join(', ')}`;
    const hint = missing.some((m) => hasGlob(m)) ? ' (a glob that matches nothing counts as missing)' : '';
    throw new LifeboatError(`${what}${hint}; nothing was backed up — fix the path, or mark it { path: …, optional: true } if it may be absent`);
  }
  return { roots: [...roots].sort(byCodeUnit), missingOptional };
}

export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw readError(err, path);
  }
}

/** Names in a folder; none when it is not a folder or does not exist. */
async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort(byCodeUnit);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw readError(err, dir);
  }
}

async function isRealDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Expands glob segments below `base`, segment by segment, so only matching folders are read. */
async function expand(base: string, segments: readonly string[]): Promise<string[]> {
  const [segment, ...rest] = segments;
  if (segment === undefined) return (await exists(base)) ? [base] : [];
  if (segment === '**') {
    // Zero folders, or one more folder and `**` again. `**` never descends
    // into symlinked folders, so a link loop cannot make it recur forever.
    const out = await expand(base, rest);
    for (const name of await names(base)) {
      const child = join(base, name);
      if (await isRealDirectory(child)) out.push(...(await expand(child, segments)));
    }
    return [...new Set(out)];
  }
  if (!hasGlob(segment)) return expand(join(base, unescapeSegment(segment)), rest);
  const regex = globToRegExp(segment);
  const out: string[] = [];
  for (const name of await names(base)) {
    if (regex.test(name)) out.push(...(await expand(join(base, name), rest)));
  }
  return out;
}
