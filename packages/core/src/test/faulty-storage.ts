import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PutOptions, StoredObject } from '../storage.js';
import { MemoryStorage } from './memory-storage.js';

/*
 * Destinations that fail or hang mid-write the way the real adapters do: the
 * fs adapter's own pipeline destroys the body at ENOSPC and rejects only after
 * cleaning up; a hung S3 socket takes no data, or never answers.
 */

/** A disk with `room` bytes free: like FsStorage, it destroys the body when a write fails, then cleans up before rejecting. */
export class FillingDisk extends MemoryStorage {
  constructor(
    name: string,
    private readonly room: number,
    /** Its cleanup never finishes (an abort of a multipart upload on a hung socket). */
    private readonly cleanupHangs = false,
  ) {
    super(name);
  }

  override async put(key: string, body: Readable, opts: PutOptions = {}): Promise<StoredObject> {
    if (opts.kind !== 'artifact') return super.put(key, body, opts); // the marker, locks, manifests, the journal
    let bytes = 0;
    const chunks: Buffer[] = [];
    try {
      await pipeline(
        body,
        async (source: AsyncIterable<Buffer>) => {
          for await (const chunk of source) {
            bytes += chunk.length;
            if (bytes > this.room) throw new Error('no space left on device (ENOSPC)');
            chunks.push(chunk);
          }
        },
        { signal: opts.signal },
      );
    } catch (err) {
      // Closing the file, unlinking the temp file, pruning empty folders: each takes a turn of the event loop.
      for (let i = 0; i < 3; i++) await nextTurn();
      if (this.cleanupHangs) await new Promise(() => undefined);
      throw err;
    }
    return super.put(key, Readable.from(chunks), opts);
  }
}

/**
 * A destination whose connection hangs: it takes no data at all (`taking`), or
 * takes every byte and never answers (`finishing`) — for artifacts; small
 * objects (the marker, locks, manifests) it stores. It stops when aborted, as
 * the contract says — unless `deaf`, like a call stuck below the abort's reach.
 */
export class HangingStore extends MemoryStorage {
  constructor(
    name: string,
    private readonly hangs: { when: 'taking' | 'finishing'; deaf?: boolean },
  ) {
    super(name);
  }

  override put(key: string, body: Readable, opts: PutOptions = {}): Promise<StoredObject> {
    if (opts.kind !== 'artifact') return super.put(key, body, opts);
    if (this.hangs.when === 'finishing') body.resume();
    return new Promise((_resolve, reject) => {
      if (!this.hangs.deaf) opts.signal?.addEventListener('abort', () => reject(opts.signal!.reason), { once: true });
    });
  }
}

/** A destination that answers nothing at all (a hung mount, a black-holed endpoint): every call waits forever. */
export class SilentStore extends MemoryStorage {
  override put(): Promise<never> {
    return new Promise(() => undefined);
  }
  override get(): Promise<never> {
    return new Promise(() => undefined);
  }
  override head(): Promise<never> {
    return new Promise(() => undefined);
  }
  override getVersioned(): Promise<never> {
    return new Promise(() => undefined);
  }
  override putIf(): Promise<never> {
    return new Promise(() => undefined);
  }
}
