import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Digest } from './digest.js';

/**
 * Bodies for the contract's puts. Each pushes a chunk only when asked, so the
 * adapter's pace decides how much is in memory, exactly like a real source.
 */

const MiB = 1024 * 1024;
const ZEROS = Buffer.alloc(MiB);

/** Chunk sizes vary, with some small odd ones, so adapters see unaligned boundaries. */
function chunkSize(index: number): number {
  return index % 7 === 3 ? 1 + ((index * 7919) % 4093) : MiB - (index % 1021);
}

/**
 * `totalBytes` of deterministic pseudo-random data (an AES-CTR keystream keyed
 * by `seed`: incompressible and fast). `generated` resolves with the digest of
 * everything pushed, computed on the way out, so nothing is ever buffered whole.
 */
export function generatedBody(totalBytes: number, seed: string): { body: Readable; generated: Promise<Digest> } {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const keystream = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const hash = createHash('sha256');
  let sent = 0;
  let index = 0;
  let finish: (digest: Digest) => void = () => undefined;
  const generated = new Promise<Digest>((resolve) => (finish = resolve));
  const body = new Readable({
    read() {
      if (sent >= totalBytes) {
        finish({ sha256: hash.digest('hex'), bytes: sent });
        this.push(null);
        return;
      }
      const chunk = keystream.update(ZEROS.subarray(0, Math.min(chunkSize(index++), totalBytes - sent)));
      hash.update(chunk);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  return { body, generated };
}

/** Pushes `bytesBeforeError` bytes, then fails with `error`, as a crashing source would. */
export function failingBody(bytesBeforeError: number, error: Error): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytesBeforeError) {
        this.destroy(error);
        return;
      }
      sent += 64 * 1024;
      this.push(Buffer.alloc(64 * 1024, sent % 251));
    },
  });
}

/**
 * Pushes `bytesBeforeStall` bytes and then nothing, like a source that hangs.
 * `stalled` resolves once the adapter has taken all of it and asks for more.
 */
export function stallingBody(bytesBeforeStall: number): { body: Readable; stalled: Promise<void> } {
  let sent = 0;
  let stall: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => (stall = resolve));
  const body = new Readable({
    read() {
      if (sent >= bytesBeforeStall) {
        stall();
        return;
      }
      sent += 64 * 1024;
      this.push(Buffer.alloc(64 * 1024, sent % 251));
    },
  });
  return { body, stalled };
}
