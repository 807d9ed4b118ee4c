import { Transform, type TransformCallback } from 'node:stream';
import { createInflate, type Inflate } from 'node:zlib';
import { garbageEvery } from '@lifeboat/core';

/**
 * Row counts read from pg_dump's custom-format stream as it passes to storage,
 * instead of a count(*) on the server beside pg_dump.
 *
 * The archive opens with its table of contents (a TABLE DATA entry carries the
 * table's oid), then one data block per table: the table's COPY text, deflated
 * in length-prefixed chunks. COPY text ends every row with one newline (a
 * newline inside a value is written as `\n`), so the rows of a table are the
 * newlines of its inflated block. Inflating runs on libuv's zlib threads.
 *
 * Anything this reader does not know for certain (another archive version, a
 * compression other than zlib, a block that does not inflate to whole lines, a
 * table whose block never came) leaves that table uncounted: the caller then
 * counts it on the server in the same snapshot. A reader that cannot count
 * never fails the backup, and never guesses.
 */
export class DumpRowCounter {
  /** Rows per wanted oid, set when the table's block ended cleanly. */
  private readonly counted = new Map<string, number>();
  /** Why the stream could not be read, when it could not. */
  private gaveUp: string | undefined;
  private head: Buffer[] = [];
  private headBytes = 0;
  private parsed: Parsed | undefined;
  /** Bytes of the stream after the table of contents not yet parsed. */
  private rest: Buffer = Buffer.alloc(0);
  private block: Block | undefined;
  private readonly pending = new Set<Promise<void>>();
  /** The inflated text is ~40× the dump: dead output buffers are collected as they pass, so memory stays flat. */
  private readonly collect = garbageEvery(16 * 1024 * 1024);

  /** `wanted`: table oids (as text) whose rows are counted. */
  constructor(private readonly wanted: ReadonlySet<string>) {}

  /** A pass-through that counts what flows through it; it waits for the inflater when that falls behind. */
  observe(): Transform {
    return new Transform({
      highWaterMark: 1024 * 1024,
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        this.feed(chunk).then(
          () => done(null, chunk),
          () => done(null, chunk),
        );
      },
    });
  }

  /** Rows per wanted oid that were counted; the caller counts the others on the server. */
  async result(): Promise<{ counts: Map<string, number>; reason?: string }> {
    if (!this.gaveUp && this.block) this.stop('the stream ended inside a data block');
    if (!this.gaveUp && !this.parsed) this.stop('the stream ended before its table of contents');
    await Promise.allSettled([...this.pending]);
    return { counts: this.gaveUp ? new Map() : this.counted, ...(this.gaveUp ? { reason: this.gaveUp } : {}) };
  }

  /** Stops reading (e.g. the dump failed): inflaters are closed and nothing is counted. */
  abandon(reason: string): void {
    this.stop(reason);
  }

  private stop(reason: string): void {
    if (this.gaveUp) return;
    this.gaveUp = reason;
    this.block?.inflate?.destroy();
    this.block = undefined;
    this.rest = Buffer.alloc(0);
    this.head = [];
  }

  /** Parses what it can of `chunk`; resolves once the inflater has room again. */
  async feed(chunk: Buffer): Promise<void> {
    if (this.gaveUp) return;
    try {
      if (!this.parsed) {
        this.head.push(chunk);
        this.headBytes += chunk.length;
        const all = Buffer.concat(this.head);
        this.head = [all];
        let parsed: Parsed | undefined;
        try {
          parsed = parseHead(all);
        } catch (err) {
          if (!(err instanceof NeedMore)) throw err;
          if (this.headBytes > MAX_HEAD) this.stop('its table of contents is larger than 256 MiB');
          return;
        }
        this.parsed = parsed;
        this.head = [];
        chunk = all.subarray(parsed.end);
      }
      await this.blocks(chunk);
    } catch (err) {
      this.stop(err instanceof Error ? err.message : String(err));
    }
  }

  private async blocks(chunk: Buffer): Promise<void> {
    const p = this.parsed!;
    let buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    let full: Inflate | undefined;
    for (;;) {
      if (!this.block) {
        // A block: its type byte and dump id.
        if (buf.length - at < 1 + 1 + p.intSize) break;
        const type = buf[at]!;
        const r = new Reader(buf, at + 1, p.intSize);
        const dumpId = r.int();
        if (type === BLK_DATA) {
          const oid = p.dataOids.get(dumpId);
          const counting = oid !== undefined && this.wanted.has(oid) && !this.counted.has(oid);
          this.block = { oid, blobs: false, needOid: false, inflate: counting ? this.inflater(oid!) : undefined };
        } else if (type === BLK_BLOBS) {
          this.block = { oid: undefined, blobs: true, needOid: true, inflate: undefined };
        } else {
          throw new Error(`block type ${type} is not one this reader knows`);
        }
        at = r.at;
        continue;
      }
      const block = this.block;
      if (block.needOid) {
        // Large objects: each is an oid, then chunks; an oid of 0 ends the block.
        if (buf.length - at < 1 + p.intSize) break;
        const r = new Reader(buf, at, p.intSize);
        const oid = r.int();
        at = r.at;
        if (oid === 0) this.block = undefined;
        else block.needOid = false;
        continue;
      }
      if (block.chunkLeft === undefined) {
        if (buf.length - at < 1 + p.intSize) break;
        const r = new Reader(buf, at, p.intSize);
        const len = r.int();
        at = r.at;
        if (len < 0) throw new Error(`a data chunk of length ${len}`);
        if (len === 0) {
          if (block.blobs) block.needOid = true;
          else {
            block.inflate?.end();
            this.block = undefined;
          }
          continue;
        }
        block.chunkLeft = len;
        continue;
      }
      const take = Math.min(block.chunkLeft, buf.length - at);
      if (take === 0) break;
      if (block.inflate) {
        const piece = buf.subarray(at, at + take);
        if (!block.inflate.write(piece)) full = block.inflate;
      }
      at += take;
      block.chunkLeft -= take;
      if (block.chunkLeft === 0) block.chunkLeft = undefined;
    }
    this.rest = Buffer.from(buf.subarray(at));
    // Back-pressure: the next chunk waits until the inflater has room (or has stopped).
    if (full && !full.destroyed) await new Promise<void>((resolve) => {
      const go = () => {
        full!.off('drain', go).off('close', go);
        resolve();
      };
      full!.once('drain', go).once('close', go);
    });
  }

  /** Inflates one table's block and counts its lines; the count is kept only if the block inflates whole and ends on a newline. */
  private inflater(oid: string): Inflate | undefined {
    const p = this.parsed!;
    // An uncompressed archive (pg_dump -Z0) is not read here: its tables are counted on the server.
    if (!p.compressed) return undefined;
    const inflate = createInflate({ chunkSize: 256 * 1024 });
    let lines = 0;
    // The last bytes seen: pg_dump ends a table's COPY text with `\.` and three newlines, after a whole row.
    let tail = Buffer.alloc(0);
    inflate.on('data', (out: Buffer) => {
      this.collect(out.length);
      for (let i = out.indexOf(10); i !== -1; i = out.indexOf(10, i + 1)) lines++;
      tail = Buffer.concat([tail, out.subarray(-TRAILER.length - 1)]).subarray(-TRAILER.length - 1);
    });
    const done = new Promise<void>((resolve) => {
      inflate.once('end', () => {
        const whole = tail.subarray(-TRAILER.length).equals(TRAILER) && (tail.length === TRAILER.length || tail[0] === 10);
        if (whole) this.counted.set(oid, lines - 3);
        else this.stop(`the data of table oid ${oid} does not end with pg_dump's end-of-data line`);
        resolve();
      });
      inflate.once('error', (err) => {
        this.stop(`the data of table oid ${oid} does not inflate: ${err.message}`);
        resolve();
      });
      inflate.once('close', () => resolve());
    });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
    return inflate;
  }
}

const BLK_DATA = 1;
const TRAILER = Buffer.from('\\.\n\n\n', 'latin1');
const BLK_BLOBS = 3;
const MAX_HEAD = 256 * 1024 * 1024;

interface Block {
  oid: string | undefined;
  blobs: boolean;
  needOid: boolean;
  inflate: Inflate | undefined;
  chunkLeft?: number;
}

interface Parsed {
  intSize: number;
  /** False when the archive is not compressed (only zlib and none are read). */
  compressed: boolean;
  /** dump id → table oid, for TABLE DATA entries. */
  dataOids: Map<number, string>;
  /** Offset of the first data block. */
  end: number;
}

class NeedMore extends Error {}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public at: number,
    private readonly intSize: number,
  ) {}
  byte(): number {
    if (this.at >= this.buf.length) throw new NeedMore();
    return this.buf[this.at++]!;
  }
  /** pg_dump's ReadInt: a sign byte, then intSize bytes, least significant first. */
  int(): number {
    if (this.at + 1 + this.intSize > this.buf.length) throw new NeedMore();
    const sign = this.buf[this.at++]!;
    let value = 0;
    for (let i = 0; i < this.intSize; i++) value += this.buf[this.at++]! * 2 ** (8 * i);
    return sign ? -value : value;
  }
  str(): string | undefined {
    const len = this.int();
    if (len < 0) return undefined;
    if (this.at + len > this.buf.length) throw new NeedMore();
    const s = this.buf.toString('utf8', this.at, this.at + len);
    this.at += len;
    return s;
  }
  skip(n: number): void {
    if (this.at + n > this.buf.length) throw new NeedMore();
    this.at += n;
  }
}

/** The header and table of contents of archive version 1.14 (pg_dump 12–15); throws NeedMore until all of it is there. */
export function parseHead(buf: Buffer): Parsed {
  if (buf.length < 11) throw new NeedMore();
  if (buf.toString('latin1', 0, 5) !== 'PGDMP') throw new Error('the stream is not a pg_dump custom archive');
  const [major, minor] = [buf[5]!, buf[6]!];
  const intSize = buf[8]!;
  const offSize = buf[9]!;
  const format = buf[10]!;
  if (major !== 1 || minor !== 14) throw new Error(`archive version ${major}.${minor} is not one this reader knows (1.14)`);
  if (format !== 1) throw new Error(`archive format ${format} is not custom (1)`);
  if (intSize < 1 || intSize > 6 || offSize < 1 || offSize > 16) throw new Error(`integer sizes ${intSize}/${offSize} are not plausible`);
  const r = new Reader(buf, 11, intSize);
  const compression = r.int();
  // -1 is zlib's default level, 1–9 a level, 0 none.
  if (compression < -1 || compression > 9) throw new Error(`compression ${compression} is not zlib`);
  for (let i = 0; i < 7; i++) r.int(); // creation time
  r.str(); // database
  r.str(); // server version
  r.str(); // pg_dump version
  const count = r.int();
  if (count < 0) throw new Error(`a table of contents of ${count} entries`);
  const dataOids = new Map<number, string>();
  for (let i = 0; i < count; i++) {
    const dumpId = r.int();
    r.int(); // has a data dumper
    r.str(); // catalog table oid
    const oid = r.str();
    r.str(); // tag
    const desc = r.str();
    r.int(); // section
    r.str(); // definition
    r.str(); // drop statement
    r.str(); // copy statement
    r.str(); // namespace
    r.str(); // tablespace
    r.str(); // table access method
    r.str(); // owner
    r.str(); // "false" (with oids)
    while (r.str() !== undefined); // dependencies
    r.byte(); // data state
    r.skip(offSize); // data offset
    if (desc === 'TABLE DATA' && oid !== undefined) dataOids.set(dumpId, oid);
  }
  return { intSize, compressed: compression !== 0, dataOids, end: r.at };
}
