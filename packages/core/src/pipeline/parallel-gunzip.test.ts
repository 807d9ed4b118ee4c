import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generated } from '../test/memory-storage.js';
import { MEMBER_HEADER_BYTES, memberLength } from './gzip-member.js';
import { ParallelGunzip } from './parallel-gunzip.js';
import { ParallelGzip } from './parallel-gzip.js';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** ParallelGzip of `input`, given to it in pieces of 8 KiB (a member ends at the first piece past its block). */
async function gzipped(input: Buffer[], opts: { blockBytes?: number; parallel?: number; level?: number } = {}): Promise<Buffer> {
  const gzip = new ParallelGzip({ level: 6, ...opts });
  const out = collect(gzip);
  const pieces = input.flatMap((buffer) => Array.from({ length: Math.ceil(buffer.length / 8192) }, (_, i) => buffer.subarray(i * 8192, (i + 1) * 8192)));
  await pipeline(Readable.from(pieces), gzip);
  return out;
}

/** `stored` fed in pieces of `size` bytes (0: whole) through a ParallelGunzip. */
async function gunzipped(stored: Buffer, size = 0, parallel?: number): Promise<{ content: Buffer; chunks: number }> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < stored.length; at += size || stored.length) pieces.push(stored.subarray(at, at + (size || stored.length)));
  const reader = new ParallelGunzip(parallel === undefined ? {} : { parallel });
  const out: Buffer[] = [];
  reader.on('data', (c: Buffer) => out.push(c));
  await pipeline(Readable.from(pieces), reader);
  return { content: Buffer.concat(out), chunks: out.length };
}

/** The lengths of the members, walking the headers. */
function members(stored: Buffer): number[] {
  const lengths: number[] = [];
  for (let at = 0; at < stored.length; ) {
    const length = memberLength(stored.subarray(at, at + MEMBER_HEADER_BYTES));
    if (length === undefined) throw new Error(`no member header at ${at}`);
    lengths.push(length);
    at += length;
  }
  return lengths;
}

describe('gzip members that say their length (ParallelGzip → ParallelGunzip)', () => {
  const text = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `row ${i} ${(i * 7919) % 1000}\n`).join(''));

  it('each member header holds its whole length; stock gzip tests and reads the file', async () => {
    const input = text(60_000);
    const stored = await gzipped([input], { blockBytes: 64 * 1024 });
    const lengths = members(stored);
    expect(lengths.length).toBeGreaterThan(5);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(stored.length);
    execFileSync('gzip', ['-t'], { input: stored });
    expect(execFileSync('gzip', ['-dc'], { input: stored, maxBuffer: 1 << 26 }).equals(input)).toBe(true);
  });

  it('reads back exactly the input, in order, whatever pieces the stored bytes arrive in, one member per output buffer', async () => {
    const input = Buffer.concat([text(40_000), await collect(generated(200_000))]);
    const stored = await gzipped([input], { blockBytes: 16 * 1024, parallel: 3 });
    const count = members(stored).length;
    for (const size of [0, 1, 19, 20, 21, 4099, 65_536]) {
      const { content, chunks } = await gunzipped(stored, size, 3);
      expect(content.equals(input), `pieces of ${size}`).toBe(true);
      expect(chunks, `pieces of ${size}`).toBe(count);
    }
  });

  it('reads any other gzip as one stream: a single createGzip member, and members without the length after some with it', async () => {
    const input = text(30_000);
    const plain = gzipSync(input);
    expect(memberLength(plain.subarray(0, MEMBER_HEADER_BYTES))).toBeUndefined();
    expect((await gunzipped(plain, 1000)).content.equals(input)).toBe(true);
    const ours = await gzipped([input], { blockBytes: 16 * 1024 });
    const mixed = Buffer.concat([ours, plain, ours]);
    const { content } = await gunzipped(mixed, 4096);
    expect(content.equals(Buffer.concat([input, input, input]))).toBe(true);
    expect(execFileSync('gzip', ['-dc'], { input: mixed, maxBuffer: 1 << 26 }).equals(content)).toBe(true);
  });

  it('an empty file: the one empty member reads as nothing; no bytes at all fail as gunzip fails', async () => {
    expect((await gunzipped(await gzipped([]))).content.length).toBe(0);
    await expect(gunzipped(Buffer.alloc(0))).rejects.toMatchObject({ code: 'Z_BUF_ERROR' });
  });

  it('fails, with zlib’s code, on a damaged member, a cut-short file, a lying length and trailing bytes — never hangs', async () => {
    const input = text(50_000);
    const stored = await gzipped([input], { blockBytes: 32 * 1024 });
    const [first, second] = members(stored);

    const damaged = Buffer.from(stored);
    damaged[first! + 200] = damaged[first! + 200]! ^ 0xff; // inside the second member's deflate data
    await expect(gunzipped(damaged, 5000)).rejects.toMatchObject({ code: expect.stringMatching(/^Z_/) });

    const crc = Buffer.from(stored);
    crc[first! - 8] = crc[first! - 8]! ^ 0x01; // the first member's CRC-32
    await expect(gunzipped(crc, 5000)).rejects.toMatchObject({ code: expect.stringMatching(/^Z_/) });

    for (const cut of [10, MEMBER_HEADER_BYTES + 3, first! - 1, first! + second! - 4, stored.length - 1]) {
      await expect(gunzipped(stored.subarray(0, cut), 777), `cut at ${cut}`).rejects.toMatchObject({ code: expect.stringMatching(/^Z_/) });
    }

    // A length that says less or more than the member holds.
    for (const delta of [-9, 9]) {
      const lying = Buffer.from(stored);
      lying.writeUInt32LE(first! + delta, 16);
      await expect(gunzipped(lying, 3000), `length ${delta}`).rejects.toMatchObject({ code: expect.stringMatching(/^Z_/) });
    }
    // A length beyond what a member may be is not held whole: the rest is read as a stream, where the extra field is
    // only skipped (the content is still checked by zlib, and the stored sha256 by the caller).
    const huge = Buffer.from(stored);
    huge.writeUInt32LE(0xffff_fff0, 16);
    expect((await gunzipped(huge, 3000)).content.equals(input)).toBe(true);

    await expect(gunzipped(Buffer.concat([stored, Buffer.from('trailing')]), 4096)).rejects.toMatchObject({ code: expect.stringMatching(/^Z_/) });
  });
});
