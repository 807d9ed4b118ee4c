import type { Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { LifeboatError } from '@lifeboat/core';
import { Pack, type WriteEntry } from 'tar';
import { changeOf, changedError, type FileSet } from './file-set.js';
import { readError } from './read-error.js';

export const ARTIFACT = 'files.tar.gz';
export const ARTIFACT_FORMAT = 'POSIX tar (tar -xzf)';

/**
 * The file set as a POSIX tar stream (ustar, with pax headers where a name,
 * size or id needs them), written by node-tar and gzip'd by the pipeline.
 * Entries are exactly the walked set, in its order, with the walk's own stat
 * (node-tar gets them through its stat cache), so the archive holds what was
 * hashed: modes, owners, mtimes, symlinks as links, hard links as links,
 * empty folders.
 *
 * Fails closed: a file that cannot be read, or that changed after it was
 * hashed, makes the stream error before it ends, so the pipeline stores
 * nothing.
 */
export function archiveStream(set: FileSet, opts: { followSymlinks: boolean }): Readable {
  const statCache = new Map<string, Stats>(set.entries.map((e) => [e.absolute, e.stat]));
  const pack = new Pack({
    cwd: '/',
    portable: false,
    noDirRecurse: true,
    follow: opts.followSymlinks,
    statCache,
    // Any warning from the writer (there should be none) is an error here.
    strict: true,
    onWriteEntry: (entry: WriteEntry) => {
      // Called after hard links were detected, just before the header is
      // written. Without dev/ino/nlink node-tar writes no SCHILY.* pax keys,
      // which GNU tar warns about on every entry.
      if (entry.stat) entry.stat = withoutIdentity(entry.stat);
      // Owners are numeric only: node-tar would take the user name from
      // $USER, which sudo or su can leave pointing at someone else, and
      // GNU tar prefers names over ids when it extracts as root.
      entry.myuser = '';
    },
  });
  let packEnded = false;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      cb(null, chunk);
    },
    flush(cb) {
      unchangedSince(set, opts.followSymlinks).then(
        () => cb(),
        (err: unknown) => cb(err as Error),
      );
    },
  });
  pack.on('error', (er: unknown) => {
    const err = er as Error & { path?: string };
    out.destroy(err instanceof LifeboatError ? err : err.path ? readError(err, err.path) : new LifeboatError(`tar failed: ${err.message}`, undefined, { cause: err }));
  });
  pack.on('end', () => (packEnded = true));
  out.once('close', () => {
    // The consumer gave up (a destination failed): stop reading files. An
    // entry mid-file keeps its descriptor until the process ends; node-tar
    // has no way to cancel one.
    if (!packEnded) pack.pause();
  });
  pack.pipe(out);
  for (const entry of set.entries) pack.add(entry.name);
  pack.end();
  return out;
}

/** A copy of `st` without the fields that identify the inode. */
function withoutIdentity(st: Stats): Stats {
  // Same prototype, so isFile() and friends still work on the copy.
  const copy = Object.assign(Object.create(Object.getPrototypeOf(st) as object) as Stats, st);
  return Object.assign(copy, { dev: undefined, ino: undefined, nlink: undefined }) as unknown as Stats;
}

/** Every file and symlink is still the one the walk saw: same inode, size, mtime and ctime. */
async function unchangedSince(set: FileSet, followSymlinks: boolean): Promise<void> {
  for (const entry of set.entries) {
    if (entry.type === 'directory') continue;
    let now: Stats;
    try {
      now = followSymlinks && entry.type === 'file' ? await stat(entry.absolute) : await lstat(entry.absolute);
    } catch (err) {
      throw readError(err, entry.absolute);
    }
    const change = changeOf(entry.snapshot, now);
    if (change) throw changedError(entry.absolute, change);
  }
}
