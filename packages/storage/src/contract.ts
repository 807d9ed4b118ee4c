import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { NotFoundError, type StorageAdapter } from '@lifeboat/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failingBody, generatedBody, stallingBody } from './contract/bodies.js';
import { digestOf } from './contract/digest.js';
import { watchRss } from './contract/peak-rss.js';

/**
 * The behaviour every `StorageAdapter` promises, as one vitest suite. An
 * adapter proves itself by calling `storageContract` from its own test file.
 * Every test works under its own key prefix and removes what it wrote, so
 * suites may share one bucket.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface ContractAdapter {
  adapter: StorageAdapter;
  cleanup?: () => Promise<void>;
}

export interface ContractOptions {
  /** Size of the large streamed round trip; 2 GiB by default. */
  largeBytes?: number;
  /**
   * false for a store known to ignore write conditions (s3rver): only the
   * writes whose condition holds are checked there; the repository lock
   * detects such a store at run time and warns.
   */
  conditionalWrites?: boolean;
  /**
   * The most resident memory may grow while the large round trip runs; 200 MiB
   * by default. It is there to catch a transfer that holds its data (the whole
   * object), so it stays well below `largeBytes`.
   */
  rssGrowthLimit?: number;
}

/** Memory a streaming transfer may add, whatever its size. */
const RSS_GROWTH_LIMIT = 200 * MiB;

export function storageContract(
  name: string,
  makeAdapter: () => Promise<ContractAdapter>,
  options: ContractOptions = {},
): void {
  const largeBytes = options.largeBytes ?? 2 * GiB;
  // Generous: at least 8 MiB/s; a slower adapter is broken, not merely slow.
  const largeTimeout = Math.max(120_000, (largeBytes / (8 * MiB)) * 1000);
  const run = randomUUID().slice(0, 8);
  let tests = 0;

  describe(`storage contract: ${name}`, () => {
    let current: ContractAdapter | undefined;
    let adapter: StorageAdapter;
    let prefix: string;

    beforeEach(async (context) => {
      current = await makeAdapter();
      adapter = current.adapter;
      tests += 1;
      prefix = `contract-${run}/${tests}-${slug(context.task.name)}/`;
    });

    afterEach(async () => {
      const done = current;
      current = undefined;
      if (done === undefined) return;
      try {
        await done.adapter.delete(await keysUnder(done.adapter, prefix));
      } finally {
        await done.cleanup?.();
      }
    });

    const put = (key: string, ...chunks: Buffer[]) => adapter.put(key, Readable.from(chunks));
    const read = async (key: string, range?: { start: number; end?: number }) => {
      const chunks: Buffer[] = [];
      for await (const chunk of (await adapter.get(key, range)) as AsyncIterable<Buffer>) chunks.push(chunk);
      return Buffer.concat(chunks);
    };
    const list = (listPrefix: string) => keysUnder(adapter, listPrefix);

    describe('round trips', () => {
      it('stores and returns an empty object', async () => {
        const key = `${prefix}empty`;
        expect(await adapter.put(key, Readable.from([]))).toMatchObject({ key, bytes: 0 });
        expect(await read(key)).toEqual(Buffer.alloc(0));
        expect(await adapter.head(key)).toMatchObject({ key, bytes: 0 });
      });

      it('stores and returns a few bytes of text', async () => {
        const key = `${prefix}hello.txt`;
        const stored = await put(key, Buffer.from('hello, '), Buffer.from('lifeboat\n'));
        expect(stored).toMatchObject({ key, bytes: 16 });
        expect((await read(key)).toString()).toBe('hello, lifeboat\n');
      });

      it('stores and returns every byte value unchanged', async () => {
        const key = `${prefix}all-bytes.bin`;
        const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await put(key, data.subarray(0, 100), data.subarray(100, 101), data.subarray(101));
        expect(await read(key)).toEqual(data);
      });

      it(
        `streams ${formatBytes(largeBytes)} of generated data both ways in bounded memory`,
        async () => {
          const key = `${prefix}large.bin`;
          const rss = watchRss();
          let growth: number;
          try {
            const { body, generated } = generatedBody(largeBytes, key);
            const stored = await adapter.put(key, body, { expectedBytes: largeBytes });
            const written = await generated;
            expect(written.bytes).toBe(largeBytes);
            expect(stored).toMatchObject({ key, bytes: largeBytes });
            expect(await digestOf(await adapter.get(key))).toEqual(written);
          } finally {
            growth = rss.stop();
          }
          expect(growth, `resident memory grew by ${formatBytes(growth)}`).toBeLessThan(options.rssGrowthLimit ?? RSS_GROWTH_LIMIT);
        },
        largeTimeout,
      );

      it('stores different keys written at the same time', async () => {
        const keys = Array.from({ length: 8 }, (_, i) => `${prefix}parallel/${i}.bin`);
        const written = await Promise.all(
          keys.map(async (key, i) => {
            const { body, generated } = generatedBody(3 * MiB + i * 1001, key);
            await adapter.put(key, body);
            return generated;
          }),
        );
        const readBack = await Promise.all(keys.map(async (key) => digestOf(await adapter.get(key))));
        expect(readBack).toEqual(written);
      }, 60_000);

      it('replaces an object on overwrite', async () => {
        const key = `${prefix}config.json`;
        await put(key, Buffer.from('first version, the longer one'));
        expect(await put(key, Buffer.from('second'))).toMatchObject({ key, bytes: 6 });
        expect((await read(key)).toString()).toBe('second');
        expect(await adapter.head(key)).toMatchObject({ key, bytes: 6 });
        expect(await list(prefix)).toEqual([key]);
      });
    });

    describe('conditional writes (the repository lock)', () => {
      const text = (s: string) => Buffer.from(s);

      it('creates an object if absent and reads it back with its version', async () => {
        const key = `${prefix}locks/a.json`;
        expect(await adapter.getVersioned(key)).toBeUndefined();
        const version = await adapter.putIf(key, text('{"n":1}'), { ifAbsent: true });
        expect(version).toEqual(expect.any(String));
        const read = await adapter.getVersioned(key);
        expect(read?.bytes.toString()).toBe('{"n":1}');
        expect(read?.version).toBe(version);
        expect(await list(`${prefix}locks/`)).toEqual([key]);
      });

      it('replaces the version it read, and the new content has a new version', async () => {
        const key = `${prefix}locks/b.json`;
        const first = (await adapter.putIf(key, text('{"n":1}'), { ifAbsent: true }))!;
        const second = await adapter.putIf(key, text('{"n":2}'), { ifVersion: first });
        expect(second).toEqual(expect.any(String));
        expect(second).not.toBe(first);
        expect((await adapter.getVersioned(key))).toEqual({ bytes: text('{"n":2}'), version: second });
      });

      if (options.conditionalWrites !== false) {
        it('refuses to create an object that exists, and leaves it as it was', async () => {
          const key = `${prefix}locks/c.json`;
          const first = await adapter.putIf(key, text('{"owner":"first"}'), { ifAbsent: true });
          expect(await adapter.putIf(key, text('{"owner":"second"}'), { ifAbsent: true })).toBeUndefined();
          expect(await adapter.getVersioned(key)).toEqual({ bytes: text('{"owner":"first"}'), version: first });
        });

        it('refuses to replace a version that is no longer there', async () => {
          const key = `${prefix}locks/d.json`;
          const first = (await adapter.putIf(key, text('{"n":1}'), { ifAbsent: true }))!;
          const second = (await adapter.putIf(key, text('{"n":2}'), { ifVersion: first }))!;
          expect(await adapter.putIf(key, text('{"n":3}'), { ifVersion: first })).toBeUndefined();
          expect(await adapter.getVersioned(key)).toEqual({ bytes: text('{"n":2}'), version: second });
          await adapter.delete([key]);
          expect(await adapter.putIf(key, text('{"n":4}'), { ifVersion: second })).toBeUndefined();
          expect(await adapter.getVersioned(key)).toBeUndefined();
        });

        it('lets exactly one of many simultaneous creators win', async () => {
          const key = `${prefix}locks/race.json`;
          const results = await Promise.all(Array.from({ length: 8 }, (_, i) => adapter.putIf(key, text(`{"writer":${i}}`), { ifAbsent: true })));
          const winners = results.flatMap((version, i) => (version === undefined ? [] : [i]));
          expect(winners).toHaveLength(1);
          expect((await adapter.getVersioned(key))?.bytes.toString()).toBe(`{"writer":${winners[0]}}`);
        });

        it('never lets a create win while the object exists, even racing replacements of it', async () => {
          const key = `${prefix}locks/mixed.json`;
          for (let round = 0; round < 20; round++) {
            const held = (await adapter.putIf(key, text(`{"round":${round},"holder":true}`), round === 0 ? { ifAbsent: true } : { ifVersion: (await adapter.getVersioned(key))!.version }))!;
            const attempts = await Promise.all([
              adapter.putIf(key, text(`{"round":${round},"refresh":true}`), { ifVersion: held }),
              ...Array.from({ length: 4 }, (_, i) => adapter.putIf(key, text(`{"round":${round},"creator":${i}}`), { ifAbsent: true })),
            ]);
            expect(attempts.slice(1)).toEqual([undefined, undefined, undefined, undefined]);
            expect(attempts[0]).toEqual(expect.any(String));
            expect((await adapter.getVersioned(key))?.bytes.toString()).toBe(`{"round":${round},"refresh":true}`);
          }
        });

        it('lets exactly one of many simultaneous replacers of the same version win', async () => {
          const key = `${prefix}locks/takeover.json`;
          const stale = (await adapter.putIf(key, text('{"writer":"stale"}'), { ifAbsent: true }))!;
          const results = await Promise.all(Array.from({ length: 8 }, (_, i) => adapter.putIf(key, text(`{"writer":${i}}`), { ifVersion: stale })));
          const winners = results.flatMap((version, i) => (version === undefined ? [] : [i]));
          expect(winners).toHaveLength(1);
          expect((await adapter.getVersioned(key))?.bytes.toString()).toBe(`{"writer":${winners[0]}}`);
        });
      }
    });

    describe('ranges', () => {
      const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) % 256));

      it('reads from a start byte to the end', async () => {
        const key = `${prefix}ranged.bin`;
        await put(key, data.subarray(0, 333), data.subarray(333));
        expect(await read(key, { start: 0 })).toEqual(data);
        expect(await read(key, { start: 990 })).toEqual(data.subarray(990));
      });

      it('reads from a start byte to an end byte, both inclusive', async () => {
        const key = `${prefix}ranged.bin`;
        await put(key, data);
        expect(await read(key, { start: 100, end: 199 })).toEqual(data.subarray(100, 200));
        expect(await read(key, { start: 0, end: 999 })).toEqual(data);
      });

      it('reads a single byte', async () => {
        const key = `${prefix}ranged.bin`;
        await put(key, data);
        expect(await read(key, { start: 5, end: 5 })).toEqual(data.subarray(5, 6));
      });

      it('reads the last byte', async () => {
        const key = `${prefix}ranged.bin`;
        await put(key, data);
        expect(await read(key, { start: 999 })).toEqual(data.subarray(999));
        expect(await read(key, { start: 999, end: 999 })).toEqual(data.subarray(999));
      });
    });

    describe('missing keys', () => {
      it('head of a missing key is undefined', async () => {
        expect(await adapter.head(`${prefix}missing`)).toBeUndefined();
      });

      it('get of a missing key rejects with NotFoundError', async () => {
        await expect(adapter.get(`${prefix}missing`)).rejects.toBeInstanceOf(NotFoundError);
        await expect(adapter.get(`${prefix}missing`, { start: 1 })).rejects.toBeInstanceOf(NotFoundError);
      });

      it('a key that is only the start of other keys is not an object', async () => {
        await put(`${prefix}folder/file`, Buffer.from('x'));
        expect(await adapter.head(`${prefix}folder`)).toBeUndefined();
        await expect(adapter.get(`${prefix}folder`)).rejects.toBeInstanceOf(NotFoundError);
      });

      it('head describes a stored object', async () => {
        const key = `${prefix}described`;
        await put(key, Buffer.from('12345'));
        const head = await adapter.head(key);
        expect(head).toMatchObject({ key, bytes: 5, modifiedAt: expect.any(Date) });
        // Retention reasons about these times; a wildly wrong clock would be a bug.
        expect(Math.abs(head!.modifiedAt.getTime() - Date.now())).toBeLessThan(10 * 60_000);
      });
    });

    describe('listing', () => {
      const names = ['data/a/1', 'data/ab/c', 'data/b/2', 'data.txt', 'other/x'];
      const putAll = () => Promise.all(names.map((name) => put(`${prefix}${name}`, Buffer.from(name))));
      const under = (...chosen: string[]) => chosen.map((name) => `${prefix}${name}`).sort();

      it('lists a folder-like prefix', async () => {
        await putAll();
        expect(await list(`${prefix}data/a/`)).toEqual(under('data/a/1'));
        expect(await list(`${prefix}`)).toEqual(under(...names));
      });

      it('treats the prefix as a plain string, not a folder', async () => {
        await putAll();
        expect(await list(`${prefix}data/a`)).toEqual(under('data/a/1', 'data/ab/c'));
        expect(await list(`${prefix}data`)).toEqual(under('data/a/1', 'data/ab/c', 'data/b/2', 'data.txt'));
        expect(await list(`${prefix}data/ab/c`)).toEqual(under('data/ab/c'));
      });

      it('lists every object for the empty prefix', async () => {
        await putAll();
        const everything = await list('');
        for (const key of under(...names)) expect(everything.filter((listed) => listed === key)).toEqual([key]);
      });

      it('lists nothing for a prefix that matches nothing', async () => {
        await putAll();
        expect(await list(`${prefix}zzz`)).toEqual([]);
        expect(await list(`${prefix}data/zz/`)).toEqual([]);
        expect(await list(`${prefix}data.txt/`)).toEqual([]);
      });

      it('gives the size of each listed object', async () => {
        await putAll();
        for await (const object of adapter.list(prefix)) {
          expect(object.bytes).toBe(object.key.slice(prefix.length).length);
          expect(object.modifiedAt).toBeInstanceOf(Date);
        }
      });

      it('lists 1,500 keys in nested folders, each exactly once', async () => {
        const keys = Array.from({ length: 1500 }, (_, i) => `${prefix}many/${i % 7}/${i % 11}/${i}`);
        await inBatches(keys, 16, (key) => put(key, Buffer.from(key)));
        expect(await list(`${prefix}many/`)).toEqual([...keys].sort());
        expect(await list(`${prefix}many/3/`)).toEqual(keys.filter((_, i) => i % 7 === 3).sort());
      }, 120_000);
    });

    describe('deleting', () => {
      it('deletes several keys and ignores missing ones', async () => {
        const [a, b, c] = [`${prefix}a`, `${prefix}sub/b`, `${prefix}sub/c`];
        await Promise.all([a, b, c].map((key) => put(key, Buffer.from(key))));
        await adapter.delete([a, b, `${prefix}missing`, `${prefix}sub/missing/deeper`]);
        expect(await list(prefix)).toEqual([c]);
        await adapter.delete([]);
        await adapter.delete([a]);
        expect(await list(prefix)).toEqual([c]);
      });

      it('a deleted key is gone for head and get', async () => {
        const key = `${prefix}deep/er/gone`;
        await put(key, Buffer.from('soon gone'));
        await adapter.delete([key]);
        expect(await adapter.head(key)).toBeUndefined();
        await expect(adapter.get(key)).rejects.toBeInstanceOf(NotFoundError);
        expect(await list(prefix)).toEqual([]);
      });
    });

    describe('failed puts leave nothing visible', () => {
      it('a body that fails midway makes put reject', async () => {
        const key = `${prefix}broken.bin`;
        await expect(adapter.put(key, failingBody(3 * MiB, new Error('source crashed')))).rejects.toThrow();
        expect(await adapter.head(key)).toBeUndefined();
        expect(await list(prefix)).toEqual([]);
      });

      it('a failed overwrite keeps the old object', async () => {
        const key = `${prefix}kept.txt`;
        await put(key, Buffer.from('old and good'));
        await expect(adapter.put(key, failingBody(1 * MiB, new Error('source crashed')))).rejects.toThrow();
        expect((await read(key)).toString()).toBe('old and good');
        expect(await list(prefix)).toEqual([key]);
      });

      it('aborting midway makes put reject', async () => {
        const key = `${prefix}aborted.bin`;
        const controller = new AbortController();
        const { body, stalled } = stallingBody(2 * MiB);
        const outcome = adapter.put(key, body, { signal: controller.signal }).then(
          () => 'resolved',
          (err: unknown) => err,
        );
        await Promise.race([stalled, outcome]);
        controller.abort();
        expect(await outcome).toBeInstanceOf(Error);
        expect(await adapter.head(key)).toBeUndefined();
        expect(await list(prefix)).toEqual([]);
      });

      it('an already aborted signal makes put reject', async () => {
        const key = `${prefix}aborted.txt`;
        const putting = adapter.put(key, Readable.from([Buffer.from('never')]), { signal: AbortSignal.abort() });
        await expect(putting).rejects.toThrow();
        expect(await adapter.head(key)).toBeUndefined();
        expect(await list(prefix)).toEqual([]);
      });
    });
  });
}

/** Sorted keys of everything under `prefix`. */
async function keysUnder(adapter: StorageAdapter, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of adapter.list(prefix)) keys.push(object.key);
  return keys.sort();
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
}

function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${+(bytes / GiB).toFixed(2)} GiB`;
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}
