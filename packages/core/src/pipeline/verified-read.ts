import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyUnusableError, LifeboatError, UsageError } from '../errors.js';
import type { StoredArtifact } from '../events.js';
import { decryptStream } from './age.js';
import { garbageEvery } from './garbage.js';
import { ParallelGunzip } from './parallel-gunzip.js';

export interface ContentOptions {
  /** age identities, resolved only when an artifact is encrypted. */
  identities?: () => Promise<string[]>;
  /** Told the stored bytes read so far, as they stream (progress). */
  onBytes?: (bytes: number) => void;
}

/**
 * Turns the stored bytes of an artifact into its content — checking size and
 * sha256 of the stored bytes, then decrypting (age) and decompressing (gzip)
 * as the manifest says. A mismatch is only known at the end, so the returned
 * stream errors instead of ending: a consumer that waits for 'end' before
 * committing anything (psql --single-transaction, a rename) never commits
 * damaged data.
 */
export async function verifiedContent(stored: Readable, artifact: StoredArtifact, where: string, opts: ContentOptions = {}): Promise<Readable> {
  const hash = createHash('sha256');
  const collect = garbageEvery();
  let bytes = 0;
  const checker = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      collect(chunk.length);
      opts.onBytes?.(bytes);
      cb(null, chunk);
    },
    flush(cb) {
      const sha256 = hash.digest('hex');
      if (bytes !== artifact.bytes || sha256 !== artifact.sha256) {
        cb(
          new CopyUnusableError(
            `${artifact.name} in ${where} is damaged: read ${bytes} bytes with sha256 ${sha256.slice(0, 12)}…, the manifest says ${artifact.bytes} bytes with sha256 ${artifact.sha256.slice(0, 12)}…`,
          ),
        );
      } else cb();
    },
  });
  const stages: Array<Readable | Duplex | Transform> = [stored, checker];
  if (artifact.encryption === 'age') {
    if (!opts.identities) {
      stored.destroy();
      throw new UsageError(`${artifact.name} is encrypted with age; set encryption.identity in the plan to read it`);
    }
    let identities: string[];
    try {
      identities = await opts.identities();
    } catch (err) {
      stored.destroy();
      throw err;
    }
    stages.push(decryptStream(identities, `${artifact.name} in ${where}`));
  }
  // Members ParallelGzip wrote are inflated several at once, each into one buffer; any other gzip as one stream.
  if (artifact.compression === 'gzip') stages.push(new ParallelGunzip());
  // Not part of the pipeline, so that its error is ours to word: damaged bytes
  // often break gunzip before the sha256 is known, and that is a damaged copy
  // too (a restore then tries the next one), not a zlib riddle.
  const out = new PassThrough();
  // As when `out` was the pipeline's own last stream: its error goes to whoever
  // reads it, and is not an uncaught exception when the reader has stopped listening.
  out.on('error', () => {});
  const last = stages.at(-1)!;
  last.pipe(out);
  (pipeline as (...s: unknown[]) => Promise<void>)(...stages).catch((err: unknown) => {
    out.destroy(asCopyError(err, artifact.name, where));
  });
  return out;
}

/**
 * Every way the bytes of one copy fail to become content is a damaged copy
 * (a restore moves on to the next one), worded for a person: never a stream
 * library's internal message on its own.
 */
function asCopyError(err: unknown, name: string, where: string): Error {
  if (err instanceof LifeboatError) return err;
  if (isZlibError(err)) return new CopyUnusableError(`${name} in ${where} is damaged: it does not decompress (${(err as Error).message})`, undefined, { cause: err });
  if (err instanceof Error && err.name === 'AbortError') return err;
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  const detail = code ?? (err instanceof Error && !(err instanceof TypeError) ? err.message : 'the stream broke off');
  return new CopyUnusableError(`${name} in ${where} cannot be read back (${detail})`, undefined, { cause: err });
}

function isZlibError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).code!.startsWith('Z_');
}
