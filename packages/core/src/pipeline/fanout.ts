import { createHash } from 'node:crypto';
import { PassThrough, Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatDuration } from '../duration.js';
import { LifeboatError, describeError } from '../errors.js';
import { DEFAULT_STALL_TIMEOUT_MS, type StorageAdapter } from '../storage.js';
import { encryptStream } from './age.js';
import { garbageEvery } from './garbage.js';
import { ParallelGzip } from './parallel-gzip.js';

export interface FanoutTarget {
  /** Destination name in the plan, for messages and progress. */
  name: string;
  adapter: StorageAdapter;
  key: string;
  /** The destination's `stallTimeout`; default DEFAULT_STALL_TIMEOUT_MS. */
  stallTimeoutMs?: number;
}

export interface FanoutOptions {
  compress: boolean;
  /** gzip level, 1–9 (default 6). */
  compressLevel?: number;
  /** age recipients: encrypt (after compressing) so only holders of an identity can read it. */
  encryptTo?: string[];
  signal?: AbortSignal;
  /** Called with stored bytes so far, at most every `progressEveryMs`. */
  onProgress?: (storedBytes: number, destinations: Record<string, number>) => void;
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

/** A branch's buffer that says when its destination takes data from it. */
class BranchStream extends PassThrough {
  constructor(private readonly onTaken: () => void) {
    super({ highWaterMark: BRANCH_BUFFER });
  }

  override _read(size: number): void {
    this.onTaken();
    super._read(size);
  }
}

interface Branch {
  target: FanoutTarget;
  stream: BranchStream;
  /** Dropped or failed: it is sent nothing more and waited for no longer. */
  dead: boolean;
  /** Why the fan-out gave up on it: it stalled. */
  stalled?: LifeboatError;
  stored: Promise<{ bytes: number } | undefined>;
  /** Restarts the stall deadline while one runs. */
  touch(): void;
  /** Starts the stall deadline: data waits for this destination, or (`ended`) it has every byte. */
  watch(ended: boolean): void;
  unwatch(): void;
}

/**
 * Reads `body` once, optionally gzips it, hashes the stored bytes and writes
 * them to every target concurrently. Memory stays constant: a branch that is
 * full holds back the source until it drains. If the source, the compressor or
 * any destination fails, every `put` is aborted (so nothing is visible) and the
 * first failure — the cause, not the aborts it triggered — is thrown.
 *
 * Nothing waits forever: a destination that takes no data for its stall
 * timeout while data waits for it, or does not finish within it once it has
 * every byte, fails like one that errors; a `put` told to stop (aborted) that
 * does not settle within it is given up on.
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
  const branches: Branch[] = targets.map((target) => {
    const stallMs = target.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const own = new AbortController();
    let watchdog: NodeJS.Timeout | undefined;
    let finishing = false;
    // A put told to stop (aborted), or that stopped reading its body, gets one more stall timeout to settle.
    let giveUpTimer: NodeJS.Timeout | undefined;
    let giveUp: (err: Error) => void = () => undefined;
    const givenUp = new Promise<never>((_, reject) => (giveUp = reject));
    const settleWithin = (message: string) => {
      giveUpTimer ??= setTimeout(() => giveUp(new LifeboatError(message)), stallMs);
    };

    const branch: Branch = {
      target,
      stream: new BranchStream(() => branch.touch()),
      dead: false,
      stored: givenUp,
      touch: () => {
        if (watchdog !== undefined) branch.watch(finishing);
      },
      watch: (ended) => {
        finishing = ended;
        clearTimeout(watchdog);
        if (!branch.dead) watchdog = setTimeout(stall, stallMs);
      },
      unwatch: () => {
        clearTimeout(watchdog);
        watchdog = undefined;
      },
    };
    const drop = (reason: unknown) => {
      branch.dead = true;
      branch.unwatch();
      branch.stream.destroy();
      if (!own.signal.aborted) own.abort(reason);
      settleWithin(`it did not stop within ${formatDuration(stallMs)} of being told to, so what it wrote may remain`);
    };
    const stall = () => {
      branch.stalled = new LifeboatError(
        finishing
          ? `it did not finish within ${formatDuration(stallMs)} (its stallTimeout) of taking the last data`
          : `it took no data for ${formatDuration(stallMs)} (its stallTimeout)`,
      );
      drop(branch.stalled);
    };
    const onAbort = () => drop(abort.signal.reason);
    abort.signal.addEventListener('abort', onAbort, { once: true });
    // A branch's errors are its put's to report; the fan-out only stops writing to it.
    branch.stream.on('error', () => undefined);
    branch.stream.on('close', () => {
      // The destination gave up its body midway (a failed write, cleanup under way): its put must say why, in time.
      if (!branch.stream.readableEnded) settleWithin(`it stopped taking data and gave no reason within ${formatDuration(stallMs)} (its stallTimeout)`);
    });

    const putting = target.adapter.put(target.key, branch.stream, { signal: own.signal, kind: 'artifact' });
    branch.stored = Promise.race([putting, givenUp])
      .then((stored) => {
        // A put that finished after it was given up on still belongs to a dropped destination.
        if (branch.stalled) throw branch.stalled;
        return stored;
      })
      .catch((err: unknown) => {
        const reason = branch.stalled ?? err;
        const wrapped = new LifeboatError(`writing to destination '${target.name}' failed: ${describeError(reason)}`, undefined, { cause: reason });
        if (!branch.dead) drop(wrapped);
        const survivors = branches.filter((b) => !b.dead);
        if (opts.tolerateFailures && !abort.signal.aborted && survivors.length > 0) {
          failed.push({ name: target.name, error: wrapped.message });
          return undefined;
        }
        fail(wrapped);
        throw wrapped;
      })
      .finally(() => {
        branch.unwatch();
        clearTimeout(giveUpTimer);
        abort.signal.removeEventListener('abort', onAbort);
      });
    if (abort.signal.aborted) onAbort();
    return branch;
  });

  const hash = createHash('sha256');
  const collect = garbageEvery();
  let bytes = 0;
  let lastProgress = 0;
  const every = opts.progressEveryMs ?? 500;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      collect(chunk.length);
      const now = Date.now();
      if (opts.onProgress && now - lastProgress >= every) {
        lastProgress = now;
        opts.onProgress(bytes, perDestination());
      }
      cb(null, chunk);
    },
  });

  // A branch whose stream is gone (its destination failed and destroyed it, even
  // before its put has settled) is not written to or waited for: no drain would come.
  const writable = (b: Branch) => !b.dead && !b.stream.destroyed;
  // Bytes handed to each destination so far: a destination that dropped out stops counting.
  const handed = targets.map(() => 0);
  const perDestination = () => Object.fromEntries(targets.map((t, i) => [t.name, handed[i]!]));
  const sink = new Writable({
    highWaterMark: BRANCH_BUFFER,
    write(chunk: Buffer, _enc, cb) {
      const waits: Promise<void>[] = [];
      for (const [i, branch] of branches.entries()) {
        if (!writable(branch)) continue;
        handed[i]! += chunk.length;
        if (branch.stream.write(chunk)) continue;
        branch.watch(false);
        waits.push(
          drained(branch.stream, abort.signal).finally(() => {
            if (!branch.stream.writableEnded) branch.unwatch();
          }),
        );
      }
      if (waits.length === 0) return cb();
      Promise.all(waits).then(() => cb(), cb);
    },
    final(cb) {
      for (const branch of branches) {
        if (!writable(branch)) continue;
        branch.stream.end();
        branch.watch(true); // until its put settles
      }
      cb();
    },
  });

  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream> = [body];
  if (opts.compress) stages.push(new ParallelGzip({ level: opts.compressLevel ?? 6 }));
  if (opts.encryptTo && opts.encryptTo.length > 0) stages.push(await encryptStream(opts.encryptTo));
  stages.push(hasher, sink);

  const flowing = (pipeline as (...s: unknown[]) => Promise<void>)(...stages, { signal: abort.signal }).catch((err: unknown) => {
    fail(err);
    throw err;
  });

  const settled = await Promise.allSettled([flowing, ...branches.map((b) => b.stored)]);
  opts.signal?.removeEventListener('abort', onOuterAbort);
  if (cause !== undefined || settled.some((s) => s.status === 'rejected')) {
    throw cause ?? (settled.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
  }
  opts.onProgress?.(bytes, perDestination());

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
    if (stream.destroyed) return resolve();
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
