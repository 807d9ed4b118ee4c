import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../test/memory-storage.js';
import { fanout } from './fanout.js';
import { COLLECT_EVERY_BYTES, garbageEvery, setCollector } from './garbage.js';
import { verifiedContent } from './verified-read.js';

/** `n` chunks of 64 KiB, as a pipe delivers them. */
const chunks = (n: number) => Readable.from(Array.from({ length: n }, () => Buffer.alloc(64 * 1024, 7)));

describe('memory stays flat: a minor collection every few MiB of streamed bytes', () => {
  const calls: string[] = [];
  afterEach(() => setCollector(undefined));

  it('garbageEvery asks for a minor collection once per COLLECT_EVERY_BYTES, not per chunk', () => {
    setCollector((o) => calls.push(o.type));
    calls.length = 0;
    const collect = garbageEvery(1000);
    for (let i = 0; i < 25; i++) collect(100);
    expect(calls).toEqual(['minor', 'minor']);
  });

  it('a backup through the fan-out and a read back through verifiedContent both collect as the bytes pass', async () => {
    const seen: number[] = [];
    setCollector(() => seen.push(1));
    const n = (3 * COLLECT_EVERY_BYTES) / (64 * 1024);
    const store = new MemoryStorage('a');
    const result = await fanout(chunks(n), [{ name: 'a', adapter: store, key: 'k' }], { compress: false });
    expect(seen.length).toBe(3);
    const content = await verifiedContent(chunks(n), { name: 'k', format: 'bytes', bytes: result.bytes, sha256: result.sha256, compression: 'none' }, 'a');
    for await (const _ of content);
    expect(seen.length).toBe(6);
  });
});
