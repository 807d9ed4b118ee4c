import { chmodSync, close, closeSync, constants, fchmodSync, fchownSync, fdatasync, lchownSync, lstatSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { LifeboatError, describeError } from '@lifeboat/core';
import { TarBlocks } from './tar-blocks.js';

const BLOCK = 512;
/** Files at least this big are flushed to disk in the background as soon as they are written (`flushed()`). */
const FLUSH_FROM_BYTES = 1024 * 1024;

/**
 * The file of a data directory that PostgreSQL reads first: without it no
 * server starts there ("is not a valid data directory"). A layout holds it
 * back until `finish()`, so a folder whose backup was still being proven
 * (or whose proof failed, or whose restore was killed) can never be started.
 */
export const HELD_BACK = 'PG_VERSION';

/**
 * Lays out the tar that pg_basebackup writes (`-Ft -D -`, base.tar) in an
 * empty folder as the bytes stream in, without GNU tar and without a spool
 * copy: a restore to a point proves its base backup and lays it out in one
 * read. Only what a pg_basebackup tar holds is taken — directories, regular
 * files and symbolic links (pg_tblspc) — and every name must stay inside the
 * folder: no absolute name, no `..`, no path through a symbolic link the tar
 * made, no name twice. Anything else stops the layout with a sentence.
 *
 * Files are created with the tar's permission bits (as GNU tar does for
 * root), and given `owner` as they are made (the server's OS user, when
 * root restores: no `chown -R` pass over the folder afterwards); modification
 * times are not set (PostgreSQL and pg_verifybackup read none). `HELD_BACK`
 * is kept in memory and written by `finish()`.
 *
 * The file system calls are synchronous, as GNU tar's are: for the thousand
 * files of a small cluster they took 0.9–1.2 s against 1.4–1.5 s through
 * the promise API (a round trip through libuv's thread pool per call, which
 * gunzip also needs). The event loop waits for one local write at a time.
 *
 * Each file of 1 MiB or more is flushed to disk (fdatasync, in the thread
 * pool) as soon as it is written, while the rest is laid out: PostgreSQL
 * fsyncs the whole data directory before it recovers from a base backup,
 * and then finds little left to write (0.3 s for 322 MiB here otherwise).
 */
export class BaseLayout extends Writable {
  readonly #dir: string;
  readonly #blocks = new TarBlocks({ header: (block) => this.#member(block), data: (part) => this.#data(part), end: () => this.#closeFile() });
  #file: { fd: number | undefined; name: string; mode: number; size: number; parts?: Buffer[] } | undefined;
  #ended = false;
  #held: { content: Buffer; mode: number } | undefined;
  readonly #links = new Set<string>();
  readonly #seen = new Set<string>();
  readonly #dirs = new Set<string>();
  #flushing = 0;
  #flushError: Error | undefined;
  #flushWaiters: Array<() => void> = [];

  readonly #owner: { uid: number; gid: number } | undefined;

  /** `owner`: what every file, folder and link it makes belongs to (left as made when not given). */
  constructor(dir: string, opts: { owner?: { uid: number; gid: number } } = {}) {
    super({ highWaterMark: 1024 * 1024 });
    this.#dir = dir;
    this.#owner = opts.owner;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Not within the write call: gunzip hands a piece over from inside its push, and starts inflating the
    // next piece (in libuv's thread pool) only once that returns; so the two overlap instead of taking turns.
    setImmediate(() => {
      try {
        this.#blocks.push(chunk);
      } catch (err) {
        // A refusal of the tar says what it refuses; a file system error (a full disk) also where.
        cb(err instanceof LifeboatError ? err : new LifeboatError(`cannot lay out the base backup in ${this.#dir}${this.#file ? ` (at ${this.#file.name})` : ''}: ${describeError(err)}`, undefined, { cause: err }));
        return;
      }
      cb();
    });
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.#blocks.partial) {
      cb(new LifeboatError(`the base backup's tar ends inside ${this.#file ? this.#file.name : 'a header'}: it is cut short`));
      return;
    }
    if (!this.#ended) {
      cb(new LifeboatError("the base backup's tar has no end-of-archive blocks: it is cut short"));
      return;
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const fd = this.#file?.fd;
    this.#file = undefined;
    if (fd !== undefined) closeSync(fd);
    cb(err);
  }

  /** Writes the held-back file: the folder becomes a data directory PostgreSQL can start. Call only once the backup is proven. */
  finish(): void {
    if (!this.writableFinished) throw new LifeboatError('the base backup was not laid out whole');
    if (!this.#held) throw new LifeboatError(`the base backup's tar holds no ${HELD_BACK}: it is not a PostgreSQL data directory`);
    const path = join(this.#dir, HELD_BACK);
    writeFileSync(path, this.#held.content, { mode: this.#held.mode, flag: 'wx' });
    if ((this.#held.mode & 0o077) !== 0) chmodSync(path, this.#held.mode);
    this.#own(path);
  }

  /** Gives `path` (never followed: a link itself) the layout's owner. */
  #own(path: string): void {
    if (this.#owner) lchownSync(path, this.#owner.uid, this.#owner.gid);
  }

  /** mkdir -p, each folder it makes given the owner. */
  #mkdirs(path: string, mode: number): void {
    const first = mkdirSync(path, { recursive: true, mode });
    if (first === undefined || !this.#owner) return;
    // Every level from the first one made down to `path`.
    for (let level = path; ; level = level.slice(0, level.lastIndexOf('/'))) {
      this.#own(level);
      if (level.length <= first.length) break;
    }
  }

  #data(part: Buffer): void {
    const file = this.#file!;
    if (file.parts) file.parts.push(Buffer.from(part));
    else writeWhole(file.fd!, part);
  }

  #member(block: Buffer): number {
    if (isZero(block)) {
      // Two zero blocks end the archive; one alone is taken as the end too, as GNU tar does.
      // After them only zeros may follow (tar pads to its record size).
      this.#ended = true;
      return 0;
    }
    if (this.#ended) throw new LifeboatError("the base backup's tar holds data after its end-of-archive blocks");
    const header = parseHeader(block);
    const name = safeName(header.name, this.#links);
    if (this.#seen.has(name)) throw new LifeboatError(`the base backup's tar holds ${name} twice`);
    this.#seen.add(name);
    const path = join(this.#dir, name);
    switch (header.type) {
      case 'directory': {
        if (header.size !== 0) throw new LifeboatError(`the base backup's tar gives directory ${name} a size`);
        this.#mkdirs(path, header.mode);
        // An existing one is a folder the layout made for an earlier member's parent; recursive mkdir never goes through a link of the tar's (safeName).
        if (!lstatSync(path).isDirectory()) throw new LifeboatError(`${name} in the base backup's tar is a directory and also something else`);
        chmodSync(path, header.mode);
        this.#dirs.add(name);
        return 0;
      }
      case 'symlink': {
        if (header.size !== 0) throw new LifeboatError(`the base backup's tar gives link ${name} a size`);
        this.#parent(name);
        symlinkSync(header.linkName, path);
        this.#own(path);
        this.#links.add(name);
        return 0;
      }
      case 'file': {
        this.#parent(name);
        if (name === HELD_BACK) {
          this.#file = { fd: undefined, name, mode: header.mode, size: header.size, parts: [] };
        } else {
          // O_EXCL and O_NOFOLLOW: a new file, never one a link points at.
          const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, header.mode);
          this.#file = { fd, name, mode: header.mode, size: header.size };
          if ((header.mode & 0o077) !== 0) fchmodSync(fd, header.mode);
          if (this.#owner) fchownSync(fd, this.#owner.uid, this.#owner.gid);
        }
        return header.size;
      }
    }
  }

  #parent(name: string): void {
    const slash = name.lastIndexOf('/');
    if (slash < 0 || this.#dirs.has(name.slice(0, slash))) return;
    this.#mkdirs(join(this.#dir, name.slice(0, slash)), 0o700);
    this.#dirs.add(name.slice(0, slash));
  }

  #closeFile(): void {
    const file = this.#file;
    if (!file) return;
    this.#file = undefined;
    if (file.parts) this.#held = { content: Buffer.concat(file.parts), mode: file.mode };
    else if (file.size < FLUSH_FROM_BYTES) closeSync(file.fd!);
    else this.#flush(file.fd!, file.name);
  }

  #flush(fd: number, name: string): void {
    this.#flushing++;
    fdatasync(fd, (err) => {
      if (err) this.#flushError ??= new LifeboatError(`cannot flush ${name} of the base backup to disk: ${err.message}`, undefined, { cause: err });
      close(fd, () => {
        if (--this.#flushing > 0) return;
        for (const wake of this.#flushWaiters.splice(0)) wake();
      });
    });
  }

  /** Resolves once every file flushed in the background is on disk; rejects with the first failure to. */
  async flushed(): Promise<void> {
    if (this.#flushing > 0) await new Promise<void>((resolve) => this.#flushWaiters.push(resolve));
    if (this.#flushError) throw this.#flushError;
  }
}

function writeWhole(fd: number, part: Buffer): void {
  let done = 0;
  while (done < part.length) done += writeSync(fd, part, done, part.length - done);
}

function isZero(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

interface Header {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  size: number;
  linkName: string;
}

const TYPES: Record<string, Header['type']> = { '0': 'file', '\0': 'file', '5': 'directory', '2': 'symlink' };

/** One ustar header as pg_basebackup writes it (PostgreSQL's tarCreateHeader): checked by its checksum. */
function parseHeader(block: Buffer): Header {
  const text = (from: number, to: number) => {
    const field = block.subarray(from, to);
    const nul = field.indexOf(0);
    return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
  };
  const stored = octal(block.subarray(148, 156));
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!;
  if (stored !== sum) throw new LifeboatError(`the base backup's tar has a damaged header (checksum ${stored}, computed ${sum}) after ${text(0, 100) || 'its start'}`);
  const flag = String.fromCharCode(block[156]!);
  const type = TYPES[flag];
  const prefix = text(257, 263).startsWith('ustar') ? text(345, 500) : '';
  const name = prefix ? `${prefix}/${text(0, 100)}` : text(0, 100);
  if (!type) throw new LifeboatError(`the base backup's tar holds ${name} of tar type '${flag === '\0' ? '\\0' : flag}', which pg_basebackup never writes (only directories, files and symbolic links)`);
  return { name, type, mode: octal(block.subarray(100, 108)) & 0o7777, size: size(block.subarray(124, 136), name), linkName: text(157, 257) };
}

function octal(field: Buffer): number {
  const digits = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]*$/.test(digits)) throw new LifeboatError(`the base backup's tar has a damaged header (number field '${digits}')`);
  return digits ? parseInt(digits, 8) : 0;
}

/** Octal, or base-256 (high bit set) for files over 8 GiB, as PostgreSQL's print_tar_number writes them. */
function size(field: Buffer, name: string): number {
  if ((field[0]! & 0x80) === 0) return octal(field);
  let value = 0;
  for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
  if (!Number.isSafeInteger(value)) throw new LifeboatError(`the base backup's tar gives ${name} an impossible size`);
  return value;
}

/** The name relative to the folder, or a refusal: nothing may land outside it or through a link. */
function safeName(raw: string, links: ReadonlySet<string>): string {
  // PostgreSQL writes ./pg_wal and ./pg_wal/archive_status so (basebackup.c), the rest without ./.
  const name = raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const parts = name.split('/');
  if (name === '' || raw.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new LifeboatError(`the base backup's tar holds the name '${raw}', which would land outside the data directory or is not a plain relative name`);
  }
  for (let i = 1; i < parts.length; i++) {
    const above = parts.slice(0, i).join('/');
    if (links.has(above)) throw new LifeboatError(`the base backup's tar puts ${name} under ${above}, a symbolic link: refused, it could point outside the data directory`);
  }
  return name;
}
