import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LifeboatError } from '@lifeboat/core';
import { archiveName } from './archive-path.js';
import { PathPattern, anyMatches } from './glob.js';
import { readError } from './read-error.js';
import { byCodeUnit } from './roots.js';

export type EntryType = 'file' | 'directory' | 'symlink';

/** What the walk saw of one entry; the archiver must find it unchanged. */
export interface Snapshot {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

export interface FileEntry {
  absolute: string;
  /** The entry's path in the archive (absolute path without the leading `/`). */
  name: string;
  type: EntryType;
  /** As read by the walk; handed to the archiver so the header says exactly what was hashed. */
  stat: Stats;
  snapshot: Snapshot;
  linkTarget?: string;
  /** sha256 of the content (files). */
  sha256?: string;
}

export interface FileSetCounts {
  files: number;
  directories: number;
  symlinks: number;
  /** Total bytes of the files. */
  bytes: number;
}

export interface FileSet {
  /** Sorted by archive name: a folder always comes before what it holds. */
  entries: FileEntry[];
  /** Special files (sockets, FIFOs, devices) and symlink loops, left out. */
  skipped: Array<{ path: string; reason: string }>;
  counts: FileSetCounts;
  /** sha256 over every entry's path, type, mode, owner, size, mtime and content or link target. */
  contentHash: string;
}

export interface WalkOptions {
  roots: readonly string[];
  include: readonly string[];
  exclude: readonly string[];
  followSymlinks: boolean;
  signal?: AbortSignal;
}

const HASH_FORMAT = 'lifeboat-files-content/1';
const HASH_JOBS = 4;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function snapshotOf(st: Stats): Snapshot {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev };
}

/** How an entry differs from its snapshot, or undefined when it does not. */
export function changeOf(before: Snapshot, now: Stats): string | undefined {
  if (now.ino !== before.ino || now.dev !== before.dev) return 'was replaced by another file';
  if (now.size !== before.size) return `changed size from ${before.size} to ${now.size} bytes`;
  if (now.mtimeMs !== before.mtimeMs || now.ctimeMs !== before.ctimeMs) return 'was modified';
  return undefined;
}

export function changedError(path: string, change: string): LifeboatError {
  return new LifeboatError(
    `${path} ${change} while it was being backed up; nothing was stored — run the backup again, or stop what writes to it with hooks.beforeBackup`,
  );
}

/**
 * Reads the file set below the roots — every entry's metadata and the sha256
 * of every file — and its content hash. The hash is what `schedule: on-change`
 * compares with the previous backup, so it covers everything a restore would
 * put back.
 */
export async function collectFileSet(opts: WalkOptions): Promise<FileSet> {
  const include = opts.include.map((p) => new PathPattern(p));
  const exclude = opts.exclude.map((p) => new PathPattern(p));
  const rootSet = new Set(opts.roots);
  const seen = new Set<string>();
  const entries: FileEntry[] = [];
  const skipped: FileSet['skipped'] = [];

  const readStat = async (path: string): Promise<Stats> => {
    try {
      if (!opts.followSymlinks) return await lstat(path);
      try {
        return await stat(path);
      } catch (err) {
        // A dangling link is archived as the link it is.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return await lstat(path);
        throw err;
      }
    } catch (err) {
      throw readError(err, path);
    }
  };

  /**
   * Returns whether the entry was kept (folders: also when something below
   * them was). `included`: an include pattern matched a folder above, so
   * everything below it is in.
   */
  const visit = async (absolute: string, relative: string, ancestors: ReadonlySet<string>, included: boolean): Promise<boolean> => {
    if (opts.signal?.aborted) throw new LifeboatError('the backup was cancelled');
    if (seen.has(absolute)) return true;
    seen.add(absolute);
    const isRoot = rootSet.has(absolute);
    const wanted = included || include.length === 0 || anyMatches(include, absolute, relative);
    const st = await readStat(absolute);
    const base = { absolute, name: archiveName(absolute), stat: st, snapshot: snapshotOf(st) };
    if (st.isDirectory()) {
      const id = `${st.dev}:${st.ino}`;
      if (ancestors.has(id)) {
        skipped.push({ path: absolute, reason: 'a symlink loop (it leads back to a folder above it)' });
        return false;
      }
      const inside = new Set(ancestors).add(id);
      let keptChild = false;
      for (const name of await folderNames(absolute)) {
        const child = join(absolute, name);
        const childRelative = relative === '' ? name : `${relative}/${name}`;
        if (!rootSet.has(child) && anyMatches(exclude, child, childRelative)) continue;
        if (await visit(child, childRelative, inside, include.length > 0 && wanted)) keptChild = true;
      }
      const keep = isRoot || wanted || keptChild;
      if (keep) entries.push({ ...base, type: 'directory' });
      return keep;
    }
    const type: EntryType | undefined = st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : undefined;
    if (!type) {
      skipped.push({ path: absolute, reason: specialKind(st) });
      return false;
    }
    if (!isRoot && !wanted) return false;
    const entry: FileEntry = { ...base, type };
    if (type === 'symlink') {
      try {
        entry.linkTarget = await readlink(absolute);
      } catch (err) {
        throw readError(err, absolute);
      }
    }
    entries.push(entry);
    return true;
  };

  for (const root of opts.roots) await visit(root, '', new Set(), false);
  entries.sort((a, b) => byCodeUnit(a.name, b.name));
  await hashFiles(entries, opts.followSymlinks, opts.signal);

  const counts: FileSetCounts = { files: 0, directories: 0, symlinks: 0, bytes: 0 };
  const hash = createHash('sha256').update(`${HASH_FORMAT}\n`);
  for (const e of entries) {
    if (e.type === 'file') {
      counts.files++;
      counts.bytes += e.snapshot.size;
    } else if (e.type === 'directory') counts.directories++;
    else counts.symlinks++;
    const size = e.type === 'file' ? e.snapshot.size : 0;
    hash.update(JSON.stringify([e.name, e.type, e.stat.mode & 0o7777, e.stat.uid, e.stat.gid, size, e.snapshot.mtimeMs, e.sha256 ?? e.linkTarget ?? '']) + '\n');
  }
  return { entries, skipped, counts, contentHash: `sha256:${hash.digest('hex')}` };
}

/** A folder's names, sorted; a name that is not UTF-8 is refused, since the archive could not name it faithfully. */
async function folderNames(dir: string): Promise<string[]> {
  let raw: Buffer[];
  try {
    raw = await readdir(dir, { encoding: 'buffer' });
  } catch (err) {
    throw readError(err, dir);
  }
  return raw
    .map((bytes) => {
      try {
        return utf8.decode(bytes);
      } catch {
        throw new LifeboatError(
          `${join(dir, bytes.toString('latin1'))} has a name that is not valid UTF-8, which the archive cannot record faithfully; rename it or exclude it`,
        );
      }
    })
    .sort(byCodeUnit);
}

function specialKind(st: Stats): string {
  if (st.isSocket()) return 'a socket';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isCharacterDevice()) return 'a character device';
  return 'a special file';
}

/** sha256 of every file, a few at a time; hard links are read once. */
async function hashFiles(entries: FileEntry[], followSymlinks: boolean, signal?: AbortSignal): Promise<void> {
  const files = entries.filter((e) => e.type === 'file');
  const byInode = new Map<string, Promise<string>>();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const entry = files[next++]!;
      if (signal?.aborted) throw new LifeboatError('the backup was cancelled');
      const key = `${entry.snapshot.dev}:${entry.snapshot.ino}`;
      let digest = byInode.get(key);
      if (!digest) {
        digest = hashFile(entry, followSymlinks);
        byInode.set(key, digest);
      }
      entry.sha256 = await digest;
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_JOBS, files.length) }, worker));
}

/** Reads one file and checks it is the file the walk saw, unchanged before and after the read. */
async function hashFile(entry: FileEntry, followSymlinks: boolean): Promise<string> {
  const flags = constants.O_RDONLY | (followSymlinks ? 0 : constants.O_NOFOLLOW);
  let handle;
  try {
    handle = await open(entry.absolute, flags);
  } catch (err) {
    throw readError(err, entry.absolute);
  }
  try {
    const before = changeOf(entry.snapshot, await handle.stat());
    if (before) throw changedError(entry.absolute, before);
    const hash = createHash('sha256');
    // One byte more than expected, so a file that grew shows on the first read.
    const buffer = Buffer.allocUnsafe(Math.min(1024 * 1024, entry.snapshot.size + 1));
    let position = 0;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, buffer.length, position));
      } catch (err) {
        throw readError(err, entry.absolute);
      }
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    const after = changeOf(entry.snapshot, await handle.stat());
    if (after || position !== entry.snapshot.size) throw changedError(entry.absolute, after ?? `changed size from ${entry.snapshot.size} to ${position} bytes`);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}
