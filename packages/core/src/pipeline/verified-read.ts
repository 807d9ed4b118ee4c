import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CopyUnusableError, LifeboatError } from '../errors.js';
import type { StoredArtifact } from '../events.js';
import { decryptStream } from './age.js';

export interface ContentOptions {
  /** age identities, resolved only when an artifact is encrypted. */
  identities?: () => Promise<string[]>;
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
  let bytes = 0;
  const checker = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
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
    if (!opts.identities) throw new LifeboatError(`${artifact.name} is encrypted with age; set encryption.identity in the plan to read it`);
    stages.push(decryptStream(await opts.identities(), `${artifact.name} in ${where}`));
  }
  if (artifact.compression === 'gzip') stages.push(createGunzip());
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
    out.destroy(
      isZlibError(err) ? new CopyUnusableError(`${artifact.name} in ${where} is damaged: it does not decompress (${(err as Error).message})`, undefined, { cause: err }) : (err as Error),
    );
  });
  return out;
}

function isZlibError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).code!.startsWith('Z_');
}
