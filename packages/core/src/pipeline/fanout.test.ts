import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MemoryStorage, generated } from '../test/memory-storage.js';
import { fanout } from './fanout.js';
import { verifiedContent } from './verified-read.js';
import { CopyUnusableError } from '../errors.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('fanout', () => {
  it('writes identical bytes to every destination and hashes what it stored', async () => {
    const a = new MemoryStorage('a');
    const b = new MemoryStorage('b');
    const input = await collect(generated(3_000_000));
    const result = await fanout(Readable.from([input]), [
      { name: 'a', adapter: a, key: 'k' },
      { name: 'b', adapter: b, key: 'k' },
    ], { compress: false });
    expect(result.bytes).toBe(3_000_000);
    expect(result.sha256).toBe(createHash('sha256').update(input).digest('hex'));
    // Buffer.equals: vitest's deep equality walks megabytes byte by byte.
    expect(a.objects.get('k')!.equals(input)).toBe(true);
    expect(b.objects.get('k')!.equals(input)).toBe(true);
  });

  it('reports progress per destination; a destination that drops out stops counting', async () => {
    const good = new MemoryStorage('good');
    const full = new MemoryStorage('full', { failAfter: 500_000 });
    const seen: Array<Record<string, number>> = [];
    const result = await fanout(generated(5_000_000), [
      { name: 'good', adapter: good, key: 'k' },
      { name: 'full', adapter: full, key: 'k' },
    ], { compress: false, tolerateFailures: true, progressEveryMs: 0, onProgress: (_bytes, destinations) => seen.push(destinations) });
    const last = seen.at(-1)!;
    expect(last.good).toBe(5_000_000);
    expect(last.full).toBeGreaterThan(0);
    expect(last.full).toBeLessThan(5_000_000);
    expect(result.failed.map((f) => f.name)).toEqual(['full']);
  });

  it('gzips when asked; the hash is of the stored (compressed) bytes', async () => {
    const a = new MemoryStorage('a');
    const input = Buffer.from('SELECT 1;\n'.repeat(10_000));
    const result = await fanout(Readable.from([input]), [{ name: 'a', adapter: a, key: 'k.gz' }], { compress: true });
    const stored = a.objects.get('k.gz')!;
    expect(result.bytes).toBe(stored.length);
    expect(stored.length).toBeLessThan(input.length / 10);
    expect(result.sha256).toBe(createHash('sha256').update(stored).digest('hex'));
    expect(gunzipSync(stored).equals(input)).toBe(true);
  });

  it('gzips at the level asked for (default 6)', async () => {
    // Text whose size differs between levels: short repeats that level 1's matcher finds less of.
    const input = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `row ${i} ${(i * 7919) % 1000} ${i % 13}\n`).join(''));
    const stored = async (compressLevel?: number) => {
      const a = new MemoryStorage('a');
      await fanout(Readable.from([input]), [{ name: 'a', adapter: a, key: 'k.gz' }], { compress: true, ...(compressLevel ? { compressLevel } : {}) });
      const bytes = a.objects.get('k.gz')!;
      expect(gunzipSync(bytes).equals(input)).toBe(true);
      return bytes.length;
    };
    const [fast, standard] = [await stored(1), await stored()];
    expect(standard).toBe(await stored(6));
    expect(fast).toBeGreaterThan(standard);
  });

  it('a source that dies midway fails with its own error and leaves nothing anywhere', async () => {
    const a = new MemoryStorage('a');
    const b = new MemoryStorage('b');
    await expect(
      fanout(generated(10_000_000, 1_000_000), [
        { name: 'a', adapter: a, key: 'k' },
        { name: 'b', adapter: b, key: 'k' },
      ], { compress: false }),
    ).rejects.toThrow('pg_dump was killed by SIGKILL');
    expect(a.sizes.size + b.sizes.size).toBe(0);
  });

  it('one destination failing aborts the others and names the destination', async () => {
    const good = new MemoryStorage('good');
    const full = new MemoryStorage('full', { failAfter: 500_000 });
    await expect(
      fanout(generated(5_000_000), [
        { name: 'good', adapter: good, key: 'k' },
        { name: 'full', adapter: full, key: 'k' },
      ], { compress: false }),
    ).rejects.toThrow("writing to destination 'full' failed: no space left on device (ENOSPC)");
    expect(good.sizes.size).toBe(0);
  });

  it('with tolerateFailures, the others finish and the failure is reported, not thrown', async () => {
    const good = new MemoryStorage('good');
    const full = new MemoryStorage('full', { failAfter: 500_000 });
    const input = await collect(generated(5_000_000));
    const result = await fanout(Readable.from([input]), [
      { name: 'good', adapter: good, key: 'k' },
      { name: 'full', adapter: full, key: 'k' },
    ], { compress: false, tolerateFailures: true });
    expect(result.failed).toEqual([{ name: 'full', error: "writing to destination 'full' failed: no space left on device (ENOSPC)" }]);
    expect(good.objects.get('k')!.equals(input)).toBe(true);
    expect(full.sizes.size).toBe(0);
  });

  it('with tolerateFailures, fails when every destination has failed', async () => {
    await expect(
      fanout(generated(5_000_000), [
        { name: 'x', adapter: new MemoryStorage('x', { failAfter: 100_000 }), key: 'k' },
        { name: 'y', adapter: new MemoryStorage('y', { failAfter: 200_000 }), key: 'k' },
      ], { compress: false, tolerateFailures: true }),
    ).rejects.toThrow("writing to destination 'y' failed: no space left on device (ENOSPC)");
  });

  it('a cancelled run aborts every destination', async () => {
    const a = new MemoryStorage('a');
    const controller = new AbortController();
    const run = fanout(generated(50_000_000), [{ name: 'a', adapter: a, key: 'k' }], {
      compress: false,
      signal: controller.signal,
      progressEveryMs: 0,
      onProgress: (bytes) => {
        if (bytes > 1_000_000) controller.abort(new Error('cancelled by SIGINT'));
      },
    });
    await expect(run).rejects.toThrow('cancelled by SIGINT');
    expect(a.sizes.size).toBe(0);
  });

  it('keeps memory flat: 1 GiB through two destinations grows RSS by far less than the stream', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const result = await fanout(generated(1024 ** 3), [
        { name: 'a', adapter: new MemoryStorage('a', { discard: true }), key: 'k' },
        { name: 'b', adapter: new MemoryStorage('b', { discard: true }), key: 'k' },
      ], { compress: false });
      expect(result.bytes).toBe(1024 ** 3);
    } finally {
      clearInterval(timer);
    }
    expect(peak - before).toBeLessThan(150 * 1024 * 1024);
  });
});

describe('verifiedContent', () => {
  const artifact = (data: Buffer, compression: 'gzip' | 'none') => ({
    name: 'x',
    bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    compression,
    format: 'test',
  });

  it('passes intact content through, decompressing gzip', async () => {
    const stored = Buffer.from((await import('node:zlib')).gzipSync('hello world'));
    expect((await collect(await verifiedContent(Readable.from([stored]), artifact(stored, 'gzip'), 'memory'))).toString()).toBe('hello world');
  });

  it('errors instead of ending when the stored bytes do not match the manifest', async () => {
    const good = Buffer.from('the real dump');
    const bad = Buffer.from('the real dumq');
    await expect(collect(await verifiedContent(Readable.from([bad]), artifact(good, 'none'), "destination 'a'"))).rejects.toThrow(
      /x in destination 'a' is damaged: read 13 bytes with sha256 .*, the manifest says 13 bytes/,
    );
  });

  it('a gzip stream broken by damage is a damaged copy (CopyUnusableError), not a zlib error', async () => {
    const { gzipSync } = await import('node:zlib');
    const rows = Array.from({ length: 300_000 }, (_, i) => `${i}\t${(i * 7919) % 100_003}\tuser-${i % 977}\n`).join('');
    const good = gzipSync(Buffer.from(rows)); // Huffman-coded blocks: a flipped bit derails decoding at once
    const bad = Buffer.from(good);
    bad[10] = (bad[10]! & ~0x07) | 0x06; // the first deflate block's type becomes 11 (reserved): gunzip fails at once, long before the sha256 is known
    const chunks = Array.from({ length: Math.ceil(bad.length / 16384) }, (_, i) => bad.subarray(i * 16384, (i + 1) * 16384));
    const err = await collect(await verifiedContent(Readable.from(chunks), artifact(good, 'gzip'), "destination 'a'")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CopyUnusableError);
    expect((err as Error).message).toMatch(/^x in destination 'a' is damaged: it does not decompress \(.+\)$/);
  });
});
