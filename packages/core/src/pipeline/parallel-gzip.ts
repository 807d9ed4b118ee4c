import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';

/** Input bytes per gzip member: large enough that restarting the dictionary costs next to nothing. */
export const GZIP_BLOCK_BYTES = 1024 * 1024;
/** zlib's output buffer: a few per member rather than dozens of the default 16 KiB. */
const OUTPUT_CHUNK = 256 * 1024;

interface Member {
  gzip: Gzip;
  bytesIn: number;
  /** The compressed member, in pieces; rejects if zlib fails. */
  done: Promise<Buffer[]>;
}

/**
 * gzip on several cores: the input is cut into blocks of about
 * GZIP_BLOCK_BYTES, each compressed on libuv's threadpool as a complete gzip
 * member, a few at once, and the members are written in input order.
 * Concatenated members are one valid gzip file (RFC 1952 §2.2) that `gunzip`,
 * `zcat`, `pigz -d` and node's `createGunzip` read as a single stream. A single
 * `createGzip` compresses one chunk at a time and waits for the rest of the
 * pipeline between chunks, which made it the slowest stage of a Redis backup
 * (docs/benchmarks-redis.md).
 *
 * Chunks go to a member's zlib stream as they come (no copy into a block);
 * a member ends at the first chunk boundary past GZIP_BLOCK_BYTES. Memory: at
 * most `parallel` finished members waiting, plus the one being filled; by
 * default one per core, at most libuv's four threads (more would only queue).
 */
export class ParallelGzip extends Transform {
  readonly #level: number;
  readonly #blockBytes: number;
  readonly #parallel: number;
  /** Oldest first; the last one may still be taking input. */
  readonly #members: Member[] = [];
  #filling?: Member;
  #sawInput = false;

  constructor(opts: { level: number; blockBytes?: number; parallel?: number }) {
    super();
    this.#level = opts.level;
    this.#blockBytes = opts.blockBytes ?? GZIP_BLOCK_BYTES;
    this.#parallel = opts.parallel ?? Math.min(4, Math.max(2, availableParallelism()));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#sawInput = true;
    const member = (this.#filling ??= this.#open());
    member.gzip.write(chunk);
    member.bytesIn += chunk.length;
    if (member.bytesIn < this.#blockBytes) return callback();
    member.gzip.end();
    this.#filling = undefined;
    // Back-pressure: take no more input while every slot is busy.
    if (this.#members.length < this.#parallel) return callback();
    this.#emitOldest().then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    // An empty input still becomes a gzip file (one empty member), as createGzip makes.
    if (!this.#sawInput) this.#filling = this.#open();
    this.#filling?.gzip.end();
    this.#filling = undefined;
    const emitAll = async () => {
      while (this.#members.length > 0) await this.#emitOldest();
    };
    emitAll().then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    for (const { gzip } of this.#members) gzip.destroy();
    callback(err);
  }

  #open(): Member {
    const gzip = createGzip({ level: this.#level, chunkSize: OUTPUT_CHUNK });
    const parts: Buffer[] = [];
    gzip.on('data', (part: Buffer) => parts.push(part));
    const done = finished(gzip).then(() => parts);
    done.catch(() => {}); // awaited in order by #emitOldest; an early failure must not go unhandled meanwhile
    const member = { gzip, bytesIn: 0, done };
    this.#members.push(member);
    return member;
  }

  async #emitOldest(): Promise<void> {
    const parts = await this.#members.shift()!.done;
    if (!this.destroyed) for (const part of parts) this.push(part);
  }
}
