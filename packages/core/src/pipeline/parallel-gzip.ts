import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { crc32, createDeflateRaw, type DeflateRaw } from 'node:zlib';
import { memberHeader, memberTrailer } from './gzip-member.js';

/** Input bytes per gzip member: large enough that restarting the dictionary costs next to nothing. */
export const GZIP_BLOCK_BYTES = 1024 * 1024;
/** zlib's output buffer: a few per member rather than dozens of the default 16 KiB. */
const OUTPUT_CHUNK = 256 * 1024;

interface Member {
  deflate: DeflateRaw;
  bytesIn: number;
  /** CRC-32 of the input so far (the member's trailer). */
  crc: number;
  /** The whole member (header, deflate data, trailer), in pieces; rejects if zlib fails. */
  done: Promise<Buffer[]>;
}

/**
 * gzip on several cores: the input is cut into blocks of about
 * GZIP_BLOCK_BYTES, each compressed on libuv's threadpool as a complete gzip
 * member, a few at once, and the members are written in input order.
 * Concatenated members are one valid gzip file (RFC 1952 §2.2) that `gunzip`,
 * `zcat`, `pigz -d` and node's `createGunzip` read as a single stream. Each
 * member's header carries its own length in an extra field (gzip-member.ts),
 * which those tools skip and `ParallelGunzip` uses to inflate members on
 * several cores too. A single
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
    member.deflate.write(chunk);
    member.crc = crc32(chunk, member.crc);
    member.bytesIn += chunk.length;
    if (member.bytesIn < this.#blockBytes) return callback();
    member.deflate.end();
    this.#filling = undefined;
    // Back-pressure: take no more input while every slot is busy.
    if (this.#members.length < this.#parallel) return callback();
    this.#emitOldest().then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    // An empty input still becomes a gzip file (one empty member), as createGzip makes.
    if (!this.#sawInput) this.#filling = this.#open();
    this.#filling?.deflate.end();
    this.#filling = undefined;
    const emitAll = async () => {
      while (this.#members.length > 0) await this.#emitOldest();
    };
    emitAll().then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    for (const { deflate } of this.#members) deflate.destroy();
    callback(err);
  }

  #open(): Member {
    const deflate = createDeflateRaw({ level: this.#level, chunkSize: OUTPUT_CHUNK });
    const parts: Buffer[] = [];
    let deflated = 0;
    deflate.on('data', (part: Buffer) => {
      parts.push(part);
      deflated += part.length;
    });
    const member: Member = { deflate, bytesIn: 0, crc: 0, done: Promise.resolve([]) };
    member.done = finished(deflate).then(() => [memberHeader(this.#level, deflated), ...parts, memberTrailer(member.crc, member.bytesIn)]);
    member.done.catch(() => {}); // awaited in order by #emitOldest; an early failure must not go unhandled meanwhile
    this.#members.push(member);
    return member;
  }

  async #emitOldest(): Promise<void> {
    const parts = await this.#members.shift()!.done;
    if (!this.destroyed) for (const part of parts) this.push(part);
  }
}
