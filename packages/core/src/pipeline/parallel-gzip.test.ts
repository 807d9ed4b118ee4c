import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generated } from '../test/memory-storage.js';
import { ParallelGzip } from './parallel-gzip.js';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function gzipped(input: Buffer[], opts: { blockBytes?: number; parallel?: number } = {}): Promise<Buffer> {
  const gzip = new ParallelGzip({ level: 6, ...opts });
  const out = collect(gzip);
  await pipeline(Readable.from(input), gzip);
  return out;
}

describe('ParallelGzip', () => {
  it('makes one gzip file of many members, in input order, that gunzip, zcat and createGunzip read whole', async () => {
    const input = await collect(generated(300_000));
    // Uneven chunks across small blocks: members end mid-chunk and several are in flight.
    const chunks: Buffer[] = [];
    for (let at = 0, size = 1; at < input.length; at += size, size = (size * 7) % 20_011) chunks.push(input.subarray(at, at + size));
    const stored = await gzipped(chunks, { blockBytes: 16_384, parallel: 3 });

    expect(gunzipSync(stored).equals(input)).toBe(true);
    expect((await collect(Readable.from([stored]).pipe(createGunzip()))).equals(input)).toBe(true);
    expect(execFileSync('gzip', ['-dc'], { input: stored, maxBuffer: 1 << 24 }).equals(input)).toBe(true);
  });

  it('turns an empty input into a valid, empty gzip file', async () => {
    expect(gunzipSync(await gzipped([])).length).toBe(0);
  });

  it('is within 1 % of one gzip stream in size with the default blocks', async () => {
    const input = Buffer.from(Array.from({ length: 120_000 }, (_, i) => `INSERT INTO questions VALUES (${i}, 'why ${(i * 7919) % 1000}');\n`).join(''));
    const stored = await gzipped([input]);
    expect(gunzipSync(stored).equals(input)).toBe(true);
    expect(stored.length).toBeLessThan(gzipSync(input, { level: 6 }).length * 1.01);
  });
});
