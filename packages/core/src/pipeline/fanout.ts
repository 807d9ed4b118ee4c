import { createHash } from 'node:crypto';
import { PassThrough, Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LifeboatError, describeError } from '../errors.js';
import type { StorageAdapter } from '../storage.js';
import { encryptStream } from './age.js';
import { ParallelGzip } from './parallel-gzip.js';

export interface FanoutTarget {
  /** Destination name in the plan, for messages and progress. */
  name: string;
  adapter: StorageAdapter;
  key: string;
}

export interface FanoutOptions {
  compress: boolean;
  /** age recipients: encrypt (after compressing) so only holders of an identity can read it. */
  encryptTo?: string[];
  signal?: AbortSignal;
  /** Called with stored bytes so far, at most every `progressEveryMs`. */
  onProgress?: (storedBytes: number) => void;
  progressEveryMs?: number;
  /**
   * Keep writing to the other destinations when one fails (the plan's
   * `require: any`); the artifact fails only when every destination has.
   */
  tolerateFailures?: boolean;
}

export interface FanoutResult {
  /** Bytes stored in each destination. */
  bytes: number;
  sha256: string;
  /** With `tolerateFailures`: destinations that failed, and why. */
  failed: Array<{ name: string; error: string }>;
}

/** Each branch buffers at most this much before the slowest destination sets the pace. */
const BRANCH_BUFFER = 1024 * 1024;

/**
 * Reads `body` once, optionally gzips it, hashes the stored bytes and writes
 * them to every target concurrently. Memory stays constant: a branch that is
 * full holds back the source until it drains. If the source, the compressor or
 * any destination fails, every `put` is aborted (so nothing is visible) and the
 * first failure — the cause, not the aborts it triggered — is thrown.
 */
export async function fanout(body: Readable, targets: FanoutTarget[], opts: FanoutOptions): Promise<FanoutResult> {
  if (targets.length === 0) throw new LifeboatError('an artifact needs at least one destination');
  const abort = new AbortController();
  let cause: unknown;
  const fail = (err: unknown) => {
    cause ??= err;
    abort.abort(err);
  };
  const onOuterAbort = () => fail(opts.signal?.reason ?? new LifeboatError('the backup was cancelled'));
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const failed: FanoutResult['failed'] = [];
  const branches = targets.map((target) => {
    const stream = new PassThrough({ highWaterMark: BRANCH_BUFFER });
    const own = new AbortController();
    const onAbort = () => own.abort(abort.signal.reason);
    abort.signal.addEventListener('abort', onAbort, { once: true });
    const branch = { target, stream, dead: false, stored: undefined as unknown as Promise<{ bytes: number } | undefined> };
    branch.stored = target.adapter
      .put(target.key, stream, { signal: own.signal, kind: 'artifact' })
      .catch((err: unknown) => {
        const wrapped = new LifeboatError(`writing to destination '${target.name}' failed: ${describeError(err)}`, undefined, { cause: err });
        branch.dead = true;
        stream.destroy();
        const survivors = branches.filter((b) => !b.dead);
        if (opts.tolerateFailures && !abort.signal.aborted && survivors.length > 0) {
          failed.push({ name: target.name, error: wrapped.message });
          return undefined;
        }
        fail(wrapped);
        throw wrapped;
      })
      .finally(() => abort.signal.removeEventListener('abort', onAbort));
    return branch;
  });

  const hash = createHash('sha256');
  let bytes = 0;
  let lastProgress = 0;
  const every = opts.progressEveryMs ?? 500;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      const now = Date.now();
      if (opts.onProgress && now - lastProgress >= every) {
        lastProgress = now;
        opts.onProgress(bytes);
      }
      cb(null, chunk);
    },
  });

  const sink = new Writable({
    highWaterMark: BRANCH_BUFFER,
    write(chunk: Buffer, _enc, cb) {
      const waits: Promise<void>[] = [];
      for (const { stream, dead } of branches) {
        if (!dead && !stream.write(chunk)) waits.push(drained(stream, abort.signal));
      }
      if (waits.length === 0) return cb();
      Promise.all(waits).then(() => cb(), cb);
    },
    final(cb) {
      for (const { stream, dead } of branches) if (!dead) stream.end();
      cb();
    },
  });

  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream> = [body];
  if (opts.compress) stages.push(new ParallelGzip({ level: 6 }));
  if (opts.encryptTo && opts.encryptTo.length > 0) stages.push(await encryptStream(opts.encryptTo));
  stages.push(hasher, sink);

  const flowing = (pipeline as (...s: unknown[]) => Promise<void>)(...stages, { signal: abort.signal }).catch((err: unknown) => {
    fail(err);
    for (const { stream } of branches) stream.destroy();
    throw err;
  });

  const settled = await Promise.allSettled([flowing, ...branches.map((b) => b.stored)]);
  opts.signal?.removeEventListener('abort', onOuterAbort);
  if (cause !== undefined || settled.some((s) => s.status === 'rejected')) {
    throw cause ?? (settled.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
  }
  opts.onProgress?.(bytes);

  const sha256 = hash.digest('hex');
  for (let i = 0; i < branches.length; i++) {
    const result = settled[i + 1] as PromiseFulfilledResult<{ bytes: number } | undefined>;
    if (result.value && result.value.bytes !== bytes) {
      throw new LifeboatError(
        `destination '${targets[i]!.name}' stored ${result.value.bytes} bytes of ${targets[i]!.key}, but ${bytes} were sent`,
      );
    }
  }
  return { bytes, sha256, failed };
}

function drained(stream: PassThrough, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      stream.off('drain', done);
      stream.off('close', done);
      reject(signal.reason);
    };
    stream.on('drain', done);
    stream.on('close', done);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
