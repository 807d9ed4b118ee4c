import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { LifeboatError } from '../errors.js';
import type { StoredArtifact } from '../events.js';

/**
 * Turns the stored bytes of an artifact into its content, checking size and
 * sha256 on the way. A mismatch is only known at the end, so the returned
 * stream errors instead of ending: a consumer that waits for 'end' before
 * committing anything (psql --single-transaction, a rename) never commits
 * damaged data.
 */
export function verifiedContent(stored: Readable, artifact: StoredArtifact, where: string): Readable {
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
          new LifeboatError(
            `${artifact.name} in ${where} is damaged: read ${bytes} bytes with sha256 ${sha256.slice(0, 12)}…, the manifest says ${artifact.bytes} bytes with sha256 ${artifact.sha256.slice(0, 12)}…`,
          ),
        );
      } else cb();
    },
  });
  const out = artifact.compression === 'gzip' ? createGunzip() : new Transform({ transform: (c, _e, cb) => cb(null, c) });
  pipeline(stored, checker, out).catch(() => {
    // pipeline has already destroyed `out` with the error; the consumer sees it there.
  });
  return out;
}
