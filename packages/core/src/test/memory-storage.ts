import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { NotFoundError } from '../errors.js';
import type { ByteRange, PutOptions, StorageAdapter, StoredObject, VersionedObject, WriteCondition } from '../storage.js';

/**
 * An in-memory StorageAdapter for core's own unit tests (core may not import
 * @lifeboat/storage). `failAfter` makes puts fail once that many bytes arrived,
 * like a disk filling up; `discard` keeps only sizes, for large streams.
 */
export class MemoryStorage implements StorageAdapter {
  readonly description: string;
  readonly objects = new Map<string, Buffer>();
  readonly sizes = new Map<string, number>();
  readonly versions = new Map<string, string>();
  #writes = 0;
  /** Like s3rver: conditional writes just write. */
  ignoresConditions = false;
  constructor(
    name = 'memory',
    private readonly opts: { failAfter?: number; discard?: boolean } = {},
  ) {
    this.description = `memory:${name}`;
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<StoredObject> {
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of body) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      bytes += (chunk as Buffer).length;
      if (this.opts.failAfter !== undefined && bytes > this.opts.failAfter) throw new Error('no space left on device (ENOSPC)');
      if (!this.opts.discard) chunks.push(chunk as Buffer);
    }
    if (opts.signal?.aborted) throw opts.signal.reason;
    this.#store(key, Buffer.concat(chunks), bytes);
    return { key, bytes, modifiedAt: new Date() };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const data = this.objects.get(key);
    if (!data) throw new NotFoundError(key, this.description);
    return ReadableStream.from([range ? data.subarray(range.start, range.end === undefined ? undefined : range.end + 1) : data]);
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const bytes = this.sizes.get(key);
    return bytes === undefined ? undefined : { key, bytes, modifiedAt: new Date() };
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    for (const [key, bytes] of this.sizes) if (key.startsWith(prefix)) yield { key, bytes, modifiedAt: new Date() };
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      this.objects.delete(key);
      this.sizes.delete(key);
      this.versions.delete(key);
    }
  }

  async putIf(key: string, bytes: Uint8Array, condition: WriteCondition): Promise<string | undefined> {
    const current = this.versions.get(key);
    const holds = 'ifAbsent' in condition ? current === undefined : current === condition.ifVersion;
    if (!holds && !this.ignoresConditions) return undefined;
    return this.#store(key, Buffer.from(bytes), bytes.byteLength);
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const bytes = this.objects.get(key);
    const version = this.versions.get(key);
    return bytes && version !== undefined ? { bytes, version } : undefined;
  }

  #store(key: string, data: Buffer, bytes: number): string {
    const version = `v${++this.#writes}`;
    this.objects.set(key, data);
    this.sizes.set(key, bytes);
    this.versions.set(key, version);
    return version;
  }
}

/** A deterministic generated stream of `total` bytes, in 64 KiB chunks. */
export function generated(total: number, failAt?: number): Readable {
  let sent = 0;
  let seed = 12345;
  return new ReadableStream({
    read() {
      if (failAt !== undefined && sent >= failAt) return this.destroy(new Error('pg_dump was killed by SIGKILL'));
      if (sent >= total) return this.push(null);
      const size = Math.min(65536, total - sent);
      const chunk = Buffer.allocUnsafe(size);
      for (let i = 0; i + 4 <= size; i += 4) {
        seed = (Math.imul(seed, 1103515245) + 12345) | 0;
        chunk.writeInt32LE(seed, i);
      }
      chunk.fill(7, size - (size % 4));
      sent += size;
      this.push(chunk);
    },
  });
}
