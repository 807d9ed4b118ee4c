import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, gunzip, type Gunzip } from 'node:zlib';
import { MEMBER_HEADER_BYTES, memberLength } from './gzip-member.js';

/** A member longer than this (stored or inflated) is not held whole: the rest of the stream is read as one. */
const MEMBER_LIMIT = 64 * 1024 * 1024;

/**
 * gunzip on several cores, for what ParallelGzip writes: each member says its
 * own length in its header (gzip-member.ts), so the stream is cut into members
 * as it arrives, a few are inflated at once on libuv's threadpool (each with
 * its CRC-32 and length checked by zlib, into one buffer of its exact size),
 * and their content is passed on in order. It reads the same content as
 * `createGunzip` from any gzip stream: from the first member without that
 * field (an artifact written before it, or by another tool), or one too big
 * to hold, the rest of the stream goes through one `createGunzip`.
 * A damaged member fails as createGunzip fails (a zlib error, `Z_…` code).
 */
export class ParallelGunzip extends Transform {
  readonly #parallel: number;
  /** Bytes of members not yet complete. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Members being inflated, oldest first. */
  readonly #inflating: Array<Promise<Buffer>> = [];
  /** The plain stream the rest goes through, once a member is not one of ours. */
  #stream: Gunzip | undefined;
  #streamed: Buffer[] = [];
  #streamError: Error | undefined;
  /** The write zlib has not answered yet: answered with zlib's error if it fails instead. */
  #writing: TransformCallback | undefined;
  #sawInput = false;

  constructor(opts: { parallel?: number } = {}) {
    super({ readableHighWaterMark: 1024 * 1024 });
    this.#parallel = opts.parallel ?? Math.min(4, Math.max(2, availableParallelism()));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#sawInput = true;
    if (this.#stream) return this.#toStream(chunk, callback);
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    for (;;) {
      if (this.#pendingBytes < MEMBER_HEADER_BYTES) break;
      const length = memberLength(this.#head(MEMBER_HEADER_BYTES));
      if (length === undefined || length > MEMBER_LIMIT) {
        this.#startStream().then(() => this.#toStream(this.#take(this.#pendingBytes), callback), callback);
        return;
      }
      if (this.#pendingBytes < length) break;
      this.#inflate(this.#take(length));
    }
    // Back-pressure: take no more input while every slot is busy.
    this.#emitUntil(this.#parallel).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    const rest = this.#pendingBytes > 0 ? this.#take(this.#pendingBytes) : undefined;
    const finish = async () => {
      // A cut-short member (or bytes no member header explains, or none at all) fails as createGunzip fails on them.
      if ((rest || !this.#sawInput) && !this.#stream) {
        await this.#startStream();
        if (rest) await new Promise<void>((resolve, reject) => this.#toStream(rest, (err) => (err ? reject(err) : resolve())));
      }
      await this.#emitUntil(0);
      if (this.#stream) await this.#endStream();
    };
    finish().then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#stream?.destroy();
    callback(err);
  }

  /** The first `bytes` pending bytes, without taking them. */
  #head(bytes: number): Buffer {
    if (this.#pending[0]!.length >= bytes) return this.#pending[0]!;
    this.#pending = [Buffer.concat(this.#pending)];
    return this.#pending[0]!;
  }

  #take(bytes: number): Buffer {
    const all = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    const taken = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    return taken;
  }

  #inflate(member: Buffer): void {
    // ISIZE, the member's last 4 bytes: one output buffer of that size (a lying one only costs a second buffer, zlib checks it).
    const size = member.readUInt32LE(member.length - 4);
    const chunkSize = Math.max(64, Math.min(size, MEMBER_LIMIT) + 64);
    const inflated = new Promise<Buffer>((resolve, reject) => gunzip(member, { chunkSize }, (err, out) => (err ? reject(err) : resolve(out))));
    inflated.catch(() => {}); // awaited in order by #emitUntil; an early failure must not go unhandled meanwhile
    this.#inflating.push(inflated);
  }

  async #emitUntil(left: number): Promise<void> {
    while (this.#inflating.length > left) {
      const out = await this.#inflating.shift()!;
      if (!this.destroyed && out.length > 0) this.push(out);
    }
  }

  /** From here on, one createGunzip: after every member before it has been passed on. */
  async #startStream(): Promise<void> {
    await this.#emitUntil(0);
    const stream = createGunzip({ chunkSize: 256 * 1024 });
    stream.on('data', (part: Buffer) => this.#streamed.push(part));
    stream.on('error', (err) => {
      this.#streamError ??= err;
      this.#answerWrite();
    });
    this.#stream = stream;
  }

  #toStream(chunk: Buffer, callback: TransformCallback): void {
    if (this.#streamError) return callback(this.#streamError);
    this.#writing = callback;
    // zlib has taken the chunk: what it made of it is passed on before the next one is given.
    this.#stream!.write(chunk, () => this.#answerWrite());
  }

  /** Once per write: when zlib took the chunk, or failed. */
  #answerWrite(): void {
    const callback = this.#writing;
    this.#writing = undefined;
    if (!callback) return;
    this.#passStreamed();
    callback(this.#streamError);
  }

  async #endStream(): Promise<void> {
    const stream = this.#stream!;
    await new Promise<void>((resolve, reject) => {
      if (this.#streamError) return reject(this.#streamError);
      stream.once('end', resolve);
      stream.once('error', reject);
      stream.end();
      stream.resume();
    });
    this.#passStreamed();
  }

  #passStreamed(): void {
    for (const part of this.#streamed.splice(0)) if (!this.destroyed) this.push(part);
  }
}
