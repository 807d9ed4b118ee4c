import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, mkdir, open, opendir, readFile, rename, rmdir, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  LifeboatError,
  NotFoundError,
  type ByteRange,
  type PutOptions,
  type StorageAdapter,
  type StorageHealth,
  type StoredObject,
  type VersionedObject,
  type WriteCondition,
} from '@lifeboat/core';
import { TEMP_PREFIX, assertValidKey, assertValidPrefix, assertValidRange } from '../key.js';
import { errnoCode, fsFailure } from './fs-error.js';

/** Backups hold production data: only the owner may read them (ARCHITECTURE §9). */
const FILE_MODE = 0o600;
const FOLDER_MODE = 0o700;

/** A destination on a local or mounted file system: key `a/b` is the file `<root>/a/b`. */
export class FsStorage implements StorageAdapter {
  readonly root: string;
  readonly description: string;

  constructor(root: string) {
    if (!path.isAbsolute(root)) {
      throw new LifeboatError(`The fs destination path ${JSON.stringify(root)} must be absolute.`);
    }
    this.root = path.resolve(root);
    this.description = `fs:${this.root}`;
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<StoredObject> {
    const file = this.#file(key);
    const target = `fs:${file}`;
    const folder = path.dirname(file);
    // Written beside the final file so the rename stays on one file system (atomic).
    const temp = path.join(folder, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    let handle: FileHandle | undefined;
    try {
      handle = await this.#createTemp(folder, temp, target);
      const out = handle;
      await writing(target, out.chmod(FILE_MODE)); // open's mode is filtered by the umask
      // Body errors and aborts reject as they are; only our own writes become fs failures.
      await pipeline(
        body,
        (source: AsyncIterable<unknown>) => writeBatched(source, (pieces) => writing(target, writeAllv(out, pieces))),
        { signal: opts.signal },
      );
      await writing(target, out.sync());
      const info = await writing(target, out.stat());
      handle = undefined;
      await writing(target, out.close());
      await writing(target, rename(temp, file));
      // The rename lives in the folder's entries; without this a crash could undo it.
      await writing(target, syncFolder(folder));
      return toStored(key, info);
    } catch (err) {
      // pipeline destroys the body on its own failures, but not when we fail before it.
      body.destroy();
      await handle?.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      await this.#pruneEmptyFolders(folder);
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.#file(key);
    if (range !== undefined) assertValidRange(range, `fs:${file}`);
    // Open now so a missing key rejects here rather than later on the stream.
    const handle = await this.openFile(key);
    return handle.createReadStream({ start: range?.start, end: range?.end });
  }

  async openFile(key: string): Promise<FileHandle> {
    const file = this.#file(key);
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      await this.#rethrowUnlessMissing('read', file, err);
      throw new NotFoundError(key, this.description);
    }
    try {
      // Opening a folder succeeds on Linux; a folder is not an object.
      if (!(await handle.stat()).isFile()) throw new NotFoundError(key, this.description);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw fsFailure('read', `fs:${file}`, err);
    }
    return handle;
  }

  /** A missing root folder is an unmounted or removed disk until someone says otherwise; statfs gives the space left to us. */
  async health(): Promise<StorageHealth> {
    try {
      if (!(await stat(this.root)).isDirectory()) return { exists: false };
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return { exists: false };
      throw fsFailure('read', this.description, err);
    }
    const fs = await statfs(this.root);
    return { exists: true, freeBytes: fs.bavail * fs.bsize };
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const file = this.#file(key);
    try {
      const info = await stat(file);
      return info.isFile() ? toStored(key, info) : undefined;
    } catch (err) {
      await this.#rethrowUnlessMissing('read', file, err);
      return undefined;
    }
  }

  async *list(prefix: string): AsyncGenerator<StoredObject> {
    assertValidPrefix(prefix, this.description);
    // Only the folder named by the prefix's complete parts can hold matches.
    const pending = [prefix.split('/').slice(0, -1).join('/')];
    for (let folderKey = pending.pop(); folderKey !== undefined; folderKey = pending.pop()) {
      const folder = this.#path(folderKey);
      try {
        for await (const entry of await opendir(folder)) {
          if (entry.name.startsWith(TEMP_PREFIX)) continue; // a put in flight
          const key = folderKey === '' ? entry.name : `${folderKey}/${entry.name}`;
          if (entry.isDirectory()) {
            if (`${key}/`.startsWith(prefix)) pending.push(key);
          } else if (entry.isFile() && key.startsWith(prefix)) {
            const info = await this.#statIfPresent(key);
            if (info !== undefined) yield toStored(key, info);
          }
          // Anything else (symlinks, sockets) was not written by us; following a
          // link could leave the root, so it is not an object.
        }
      } catch (err) {
        await this.#rethrowUnlessMissing('list', folder, err);
      }
    }
  }

  async delete(keys: string[]): Promise<void> {
    const files = keys.map((key) => this.#file(key)); // every key is valid before anything goes
    const emptied = new Set<string>();
    for (const file of files) {
      try {
        await unlink(file);
        emptied.add(path.dirname(file));
      } catch (err) {
        const code = errnoCode(err);
        // Missing, below a file, or a folder: no object by that key, which is fine.
        if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw fsFailure('delete', `fs:${file}`, err);
      }
    }
    for (const folder of emptied) await this.#pruneEmptyFolders(folder);
  }

  /**
   * Conditional writes serialize on a guard file beside the object, created
   * with O_EXCL (atomic on local file systems and NFS): while it is held, the
   * condition is checked against the object and the new content, written and
   * fsynced in a temp file, is renamed over it — so the object's name never
   * goes missing, and a create and a replace can never both win. A guard left
   * by a process that died is removed once it is GUARD_STALE_MS old.
   */
  async putIf(key: string, bytes: Uint8Array, condition: WriteCondition): Promise<string | undefined> {
    const file = this.#file(key);
    const target = `fs:${file}`;
    const folder = path.dirname(file);
    const temp = path.join(folder, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const handle = await this.#createTemp(folder, temp, target);
    try {
      try {
        await writing(target, handle.chmod(FILE_MODE));
        await writing(target, writeAllv(handle, [bytes]));
        await writing(target, handle.sync());
      } finally {
        await handle.close();
      }
      return await withGuard(path.join(folder, `${TEMP_PREFIX}guard-${path.basename(file)}`), target, async () => {
        let current: Buffer | undefined;
        try {
          current = await readFile(file);
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw fsFailure('write', target, err);
        }
        const holds = 'ifAbsent' in condition ? current === undefined : current !== undefined && versionOf(current) === condition.ifVersion;
        if (!holds) return undefined;
        await writing(target, rename(temp, file));
        await writing(target, syncFolder(folder));
        return versionOf(bytes);
      });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const file = this.#file(key);
    try {
      const bytes = await readFile(file);
      return { bytes, version: versionOf(bytes) };
    } catch (err) {
      if (errnoCode(err) === 'EISDIR') return undefined;
      await this.#rethrowUnlessMissing('read', file, err);
      return undefined;
    }
  }

  #file(key: string): string {
    assertValidKey(key, this.description);
    return this.#path(key);
  }

  #path(key: string): string {
    return key === '' ? this.root : path.join(this.root, ...key.split('/'));
  }

  async #statIfPresent(key: string): Promise<Stats | undefined> {
    const file = this.#path(key);
    try {
      return await stat(file);
    } catch (err) {
      // Deleted between reading the folder and now.
      await this.#rethrowUnlessMissing('list', file, err);
      return undefined;
    }
  }

  async #createTemp(folder: string, temp: string, target: string): Promise<FileHandle> {
    for (let tries = 1; ; tries++) {
      try {
        await makeFolders(folder);
        return await open(temp, 'wx', FILE_MODE);
      } catch (err) {
        // A concurrent delete prunes the folders it empties: one may vanish
        // while we create or enter it. Until our file is in it, just try again.
        if (errnoCode(err) !== 'ENOENT' || tries >= 3) throw fsFailure('write', target, err);
      }
    }
  }

  /**
   * ENOENT means the object is missing. ENOTDIR means a part of the path is a
   * file: below the root that is just a missing object, but at or above it the
   * destination itself is broken and the person must hear about it.
   */
  async #rethrowUnlessMissing(action: 'read' | 'list', file: string, err: unknown): Promise<void> {
    const code = errnoCode(err);
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR' && (await this.#rootIsFolder())) return;
    throw fsFailure(action, `fs:${file}`, err);
  }

  async #rootIsFolder(): Promise<boolean> {
    try {
      return (await stat(this.root)).isDirectory();
    } catch {
      return false;
    }
  }

  /** Removes `folder` and its parents while empty, never the root itself. */
  async #pruneEmptyFolders(folder: string): Promise<void> {
    for (let dir = folder; isInside(this.root, dir); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        // Not empty, already gone, or not ours to remove: an empty folder left behind is harmless.
        return;
      }
    }
  }
}

function isInside(root: string, dir: string): boolean {
  const relative = path.relative(root, dir);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** `work`, whose failure becomes one sentence: `cannot write <target>: …`. */
async function writing<T>(target: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw fsFailure('write', target, err);
  }
}

/** `mkdir -p` whose new folders are 0700 whatever the umask, and durable. */
async function makeFolders(folder: string): Promise<void> {
  const first = await mkdir(folder, { recursive: true, mode: FOLDER_MODE });
  if (first === undefined) return;
  const created: string[] = [];
  for (let dir = folder; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    created.unshift(dir);
    if (dir === first) break;
  }
  for (const dir of created) await chmod(dir, FOLDER_MODE);
  // Each new folder is an entry in its parent; sync parents so the path survives a crash.
  for (const dir of [path.dirname(first), ...created]) await syncFolder(dir);
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Bytes gathered into one write: a body arrives in pieces of a few bytes to
 * 64 KiB (a pipe's or a socket's reads, a parser's views). 256 KiB, not more: pieces held
 * for 1 MiB batches outlived the pipeline's minor collections (every 4 MiB),
 * were promoted, and peak memory grew with the data again (a pg_dump at
 * pgbench scale 80: 95 → 117 MiB; 96 MiB with 256 KiB batches).
 */
export const WRITE_BATCH_BYTES = 256 * 1024;

/**
 * Writes `source` through `write` in batches of about WRITE_BATCH_BYTES, one
 * batch in flight while the next is gathered. One write per piece cost a
 * thread-pool round trip each (a Redis backup of 81 MiB made 6,800 writes,
 * 2,000 of them under 256 bytes) and the body waited on every one of them.
 * A failed write fails the whole: its error is thrown once the source is
 * left, never while nothing awaits it.
 */
export async function writeBatched(source: AsyncIterable<unknown>, write: (pieces: Uint8Array[]) => Promise<void>, batchBytes = WRITE_BATCH_BYTES): Promise<void> {
  let pieces: Uint8Array[] = [];
  let bytes = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    const batch = pieces;
    pieces = [];
    bytes = 0;
    await inFlight;
    inFlight = write(batch);
    // Observed now (awaited later): a failure while the next batch is gathered is not an unhandled rejection.
    inFlight.catch(() => undefined);
  };
  try {
    for await (const chunk of source) {
      const piece = toBytes(chunk);
      if (piece.byteLength === 0) continue;
      pieces.push(piece);
      bytes += piece.byteLength;
      if (bytes >= batchBytes) await flush();
    }
    if (bytes > 0) await flush();
  } finally {
    // Whatever happened, the last write has finished before the caller closes the file.
    await inFlight.catch(() => undefined);
  }
  await inFlight;
}

/** Writes every byte of `pieces`, in order: writev may write fewer bytes than asked. */
async function writeAllv(handle: FileHandle, pieces: Uint8Array[]): Promise<void> {
  let rest = pieces;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest);
    let skip = bytesWritten;
    const next: Uint8Array[] = [];
    for (const piece of rest) {
      if (skip >= piece.byteLength) skip -= piece.byteLength;
      else {
        next.push(skip > 0 ? piece.subarray(skip) : piece);
        skip = 0;
      }
    }
    if (next.length > 0 && bytesWritten === 0) throw new Error('writev wrote nothing');
    rest = next;
  }
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError(`A storage body must yield bytes or strings, not ${typeof chunk}.`);
}

/** A guard older than this was left by a process that died while holding it (holding takes milliseconds). */
const GUARD_STALE_MS = 10_000;
/** How long a conditional write waits for another one's guard. */
const GUARD_WAIT_MS = 5_000;

/** Runs `work` while holding the O_EXCL guard file `guard`. */
async function withGuard<T>(guard: string, target: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + GUARD_WAIT_MS;
  for (;;) {
    try {
      await (await open(guard, 'wx', FILE_MODE)).close();
      break;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw fsFailure('write', target, err);
    }
    const held = await stat(guard).catch(() => undefined);
    if (held !== undefined && Date.now() - held.mtimeMs > GUARD_STALE_MS) {
      await unlink(guard).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new LifeboatError(`cannot write ${target}: another writer has held ${path.basename(guard)} beside it for more than ${GUARD_WAIT_MS / 1000} s`);
    }
    await sleep(5 + Math.random() * 20);
  }
  try {
    return await work();
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** The version conditional writes compare: the content's digest (lock objects always differ). */
function versionOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

function toStored(key: string, info: Stats): StoredObject {
  return { key, bytes: info.size, modifiedAt: info.mtime };
}
