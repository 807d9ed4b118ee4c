/**
 * Issue 11, fault 2: a destination that fails or hangs mid-write must never
 * hold the fan-out (and so the source, its snapshot and the locks) forever.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FillingDisk, HangingStore } from '../test/faulty-storage.js';
import { MemoryStorage, generated } from '../test/memory-storage.js';
import { fanout } from './fanout.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Tiny, so the tests need no waiting; only the hanging destination gets it, never the good one. */
const STALL_MS = 50;

describe('fan-out under a destination that fails or hangs mid-write', () => {
  it('fault 11.2: require: any — a destination that fails mid-write (its stream destroyed before its put settles) is dropped; the other gets every byte', async () => {
    const good = new MemoryStorage('good');
    const full = new FillingDisk('full', 300_000);
    const input = await collect(generated(8_000_000));
    // In the source's own 64 KiB chunks: the fan-out writes to the failed branch again before its put settles.
    const result = await fanout(generated(8_000_000), [
      { name: 'good', adapter: good, key: 'k' },
      { name: 'full', adapter: full, key: 'k' },
    ], { compress: false, tolerateFailures: true });
    expect(result.failed).toEqual([{ name: 'full', error: "writing to destination 'full' failed: no space left on device (ENOSPC)" }]);
    expect(result.bytes).toBe(input.length);
    expect(good.objects.get('k')!.equals(input)).toBe(true);
    expect(full.sizes.size).toBe(0);
  });

  it('fault 11.2: require: any — a destination that fails mid-write and then never settles (its cleanup hangs) is given up on', async () => {
    const good = new MemoryStorage('good');
    const result = await fanout(generated(3_000_000), [
      { name: 'good', adapter: good, key: 'k' },
      { name: 'full', adapter: new FillingDisk('full', 300_000, true), key: 'k', stallTimeoutMs: STALL_MS },
    ], { compress: false, tolerateFailures: true });
    expect(result.failed).toEqual([
      { name: 'full', error: "writing to destination 'full' failed: it stopped taking data and gave no reason within 50ms (its stallTimeout)" },
    ]);
    expect(good.sizes.get('k')).toBe(3_000_000);
  });

  it('fault 11.2: require: any — a destination that takes no data for its stall timeout is dropped, naming the timeout', async () => {
    const good = new MemoryStorage('good');
    const input = await collect(generated(5_000_000));
    const result = await fanout(Readable.from([input]), [
      { name: 'good', adapter: good, key: 'k' },
      { name: 'stuck', adapter: new HangingStore('stuck', { when: 'taking' }), key: 'k', stallTimeoutMs: STALL_MS },
    ], { compress: false, tolerateFailures: true });
    expect(result.failed).toEqual([{ name: 'stuck', error: "writing to destination 'stuck' failed: it took no data for 50ms (its stallTimeout)" }]);
    expect(good.objects.get('k')!.equals(input)).toBe(true);
  });

  it('fault 11.2: require: any — a destination that takes every byte and then never answers is dropped', async () => {
    const good = new MemoryStorage('good');
    const result = await fanout(generated(3_000_000), [
      { name: 'good', adapter: good, key: 'k' },
      { name: 'stuck', adapter: new HangingStore('stuck', { when: 'finishing' }), key: 'k', stallTimeoutMs: STALL_MS },
    ], { compress: false, tolerateFailures: true });
    expect(result.failed).toEqual([
      { name: 'stuck', error: "writing to destination 'stuck' failed: it did not finish within 50ms (its stallTimeout) of taking the last data" },
    ]);
    expect(good.sizes.get('k')).toBe(3_000_000);
  });

  it('fault 11.2: a hung destination that ignores being told to stop is given up on one stall timeout later', async () => {
    const good = new MemoryStorage('good');
    const result = await fanout(generated(3_000_000), [
      { name: 'good', adapter: good, key: 'k' },
      { name: 'deaf', adapter: new HangingStore('deaf', { when: 'taking', deaf: true }), key: 'k', stallTimeoutMs: STALL_MS },
    ], { compress: false, tolerateFailures: true });
    expect(result.failed).toEqual([{ name: 'deaf', error: "writing to destination 'deaf' failed: it took no data for 50ms (its stallTimeout)" }]);
    expect(good.sizes.get('k')).toBe(3_000_000);
  });

  it('fault 11.2: require: all — a hung destination fails the fan-out and aborts the others, leaving nothing', async () => {
    const good = new MemoryStorage('good');
    await expect(
      fanout(generated(5_000_000), [
        { name: 'good', adapter: good, key: 'k' },
        { name: 'stuck', adapter: new HangingStore('stuck', { when: 'taking' }), key: 'k', stallTimeoutMs: STALL_MS },
      ], { compress: false }),
    ).rejects.toThrow("writing to destination 'stuck' failed: it took no data for 50ms (its stallTimeout)");
    expect(good.sizes.size).toBe(0);
  });
});
