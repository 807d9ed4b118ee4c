/**
 * Puts a restored RDB in place as `<dir>/dump.rdb`, atomically: the content is
 * written to a temp file in the same folder, checked (sha256 by the engine's
 * verified stream, CRC64 and structure by RdbCheck), flushed to disk, given
 * its owner and mode, and only then renamed over the old file. A failure at
 * any point leaves the old dump.rdb untouched and no temp file behind.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lchown, open, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LifeboatError, UsageError, formatBytes } from '@lifeboat/core';
import { RdbCheck, type RdbCheckResult } from './rdb-check.js';

export const DUMP_FILE = 'dump.rdb';

export interface PlacedDump {
  path: string;
  check: RdbCheckResult;
  uid: number;
  gid: number;
  mode: number;
  /** True when an existing dump.rdb was replaced. */
  replaced: boolean;
  /** When the rename put it in place: a server started since then loads it. */
  placedAt: Date;
}

export interface PlaceOptions {
  /** `--owner`: who the file belongs to. Default: the owner of the dump.rdb it replaces, else of the folder. */
  owner?: { uid: number; gid: number };
  /** `--yes`: replacing an existing dump.rdb was confirmed. */
  yes: boolean;
  /** Names the content in error sentences. */
  what: string;
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Refusals that need no data: run them before anything is read or written. */
export async function checkTargetDir(dirArg: string, opts: Pick<PlaceOptions, 'yes'>): Promise<{ dir: string; existing?: { bytes: number; mtime: Date } }> {
  const dir = resolve(dirArg);
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new UsageError(`--to-dir ${dir} does not exist; give the folder the Redis server loads dump.rdb from (its dir setting)`);
  if (!info.isDirectory()) throw new UsageError(`--to-dir ${dir} is not a folder`);
  const existing = await statOrUndefined(join(dir, DUMP_FILE));
  if (existing && !opts.yes) {
    throw new UsageError(
      `${join(dir, DUMP_FILE)} already exists (${formatBytes(existing.size)}, written ${existing.mtime.toISOString()}); add --yes to replace it (nothing was written)`,
    );
  }
  return existing ? { dir, existing: { bytes: existing.size, mtime: existing.mtime } } : { dir };
}

export async function placeDump(content: Readable, dirArg: string, opts: PlaceOptions): Promise<PlacedDump> {
  const { dir } = await checkTargetDir(dirArg, opts);
  const path = join(dir, DUMP_FILE);
  const [folder, existing] = await Promise.all([stat(dir), statOrUndefined(path)]);

  // Who Redis runs as is best told by the file it wrote before, else by its data folder (999:999 in the official image).
  const owner = opts.owner ?? (existing ? { uid: existing.uid, gid: existing.gid } : { uid: folder.uid, gid: folder.gid });
  // Keep the mode the old file had (the server could read it); a new file is for its owner only.
  const mode = existing ? existing.mode & 0o777 : 0o600;
  const asRoot = process.getuid?.() === 0;
  const chown = opts.owner !== undefined || asRoot;

  const temp = join(dir, `.${DUMP_FILE}.lifeboat-${randomBytes(6).toString('hex')}`);
  let placed = false;
  try {
    const check = new RdbCheck(opts.what);
    // `wx`: a fresh file of our own, never one planted under that name; flush: fsync before close.
    await pipeline(content, check, createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true, highWaterMark: 1024 * 1024 }));
    if (chown) {
      try {
        await lchown(temp, owner.uid, owner.gid);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new LifeboatError(
          `could not give ${path} to ${owner.uid}:${owner.gid} (${code ?? 'error'})${code === 'EPERM' ? '; only root can give files away: run as root, or leave out --owner' : ''}`,
        );
      }
    }
    await chmod(temp, mode);
    await rename(temp, path);
    const placedAt = new Date();
    placed = true;
    await syncFolder(dir);
    const final = await stat(path);
    return { path, check: check.result, uid: final.uid, gid: final.gid, mode: final.mode & 0o777, replaced: existing !== undefined, placedAt };
  } finally {
    if (!placed) await rm(temp, { force: true });
  }
}

/** The rename is durable only once the folder itself is on disk. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a folder; the data itself is synced.
  } finally {
    await handle.close();
  }
}
