import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { LifeboatError } from '@lifeboat/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storageContract } from '@lifeboat/storage/contract';
import { failingBody, stallingBody } from '../contract/bodies.js';
import { FsStorage, writeBatched } from './fs-adapter.js';
import { fsStorageType } from './fs-type.js';

const tempDir = () => mkdtemp(path.join(os.tmpdir(), 'lifeboat-fs-'));

storageContract(
  'fs',
  async () => {
    const dir = await tempDir();
    // The root does not exist yet: the adapter creates it on the first put.
    return { adapter: new FsStorage(path.join(dir, 'backups')), cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
  { largeBytes: 2 * 1024 ** 3 },
);

describe('FsStorage', () => {
  let dir: string;
  let root: string;
  let storage: FsStorage;
  const body = (text: string) => Readable.from([Buffer.from(text)]);
  /** Every file and folder under the root, relative, sorted. */
  const onDisk = async () => ((await readdir(root, { recursive: true })) as string[]).sort();

  beforeEach(async () => {
    dir = await tempDir();
    root = path.join(dir, 'backups');
    storage = new FsStorage(root);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('health: a missing root is reported (not created); an existing one reports the free space statfs gives', async () => {
    expect(await storage.health()).toEqual({ exists: false });
    expect(await readdir(dir)).toEqual([]);
    await mkdir(root);
    const health = await storage.health();
    expect(health.exists).toBe(true);
    expect(health.freeBytes).toBeGreaterThan(0);
    await writeFile(path.join(dir, 'file'), 'x');
    expect(await new FsStorage(path.join(dir, 'file', 'below')).health()).toEqual({ exists: false });
  });

  it('describes itself as fs:<root>', () => {
    expect(storage.description).toBe(`fs:${root}`);
  });

  it('refuses a relative root', () => {
    expect(() => new FsStorage('backups')).toThrow('The fs destination path "backups" must be absolute.');
  });

  it('writes files 0600 and the folders it creates 0700, whatever the umask', async () => {
    const previous = process.umask(0o277);
    try {
      await storage.put('db/2026/02/backup.dump', body('dump'));
    } finally {
      process.umask(previous);
    }
    const mode = async (relative: string) => (await stat(path.join(root, relative))).mode & 0o777;
    expect(await mode('db/2026/02/backup.dump')).toBe(0o600);
    for (const folder of ['.', 'db', 'db/2026', 'db/2026/02']) expect(await mode(folder)).toBe(0o700);
  });

  it('leaves no temporary file or new folder after a failed or aborted put', async () => {
    await storage.put('db/keep', body('kept'));
    await expect(storage.put('db/broken', failingBody(1024 * 1024, new Error('source crashed')))).rejects.toThrow(
      'source crashed',
    );
    await expect(storage.put('new/folder/broken', failingBody(0, new Error('source crashed')))).rejects.toThrow();
    const controller = new AbortController();
    const { body: hanging, stalled } = stallingBody(1024 * 1024);
    const aborted = storage.put('db/aborted', hanging, { signal: controller.signal });
    await stalled;
    controller.abort();
    await expect(aborted).rejects.toThrow();
    expect(await onDisk()).toEqual(['db', 'db/keep']);
  });

  it('does not list files of puts in flight', async () => {
    await storage.put('db/done', body('done'));
    await writeFile(path.join(root, 'db', '.lifeboat-tmp-0123abcd'), 'half written');
    const keys: string[] = [];
    for await (const object of storage.list('')) keys.push(object.key);
    expect(keys).toEqual(['db/done']);
  });

  it('removes folders left empty by delete, but never the root', async () => {
    await storage.put('a/b/c/one', body('1'));
    await storage.put('a/two', body('2'));
    await storage.delete(['a/b/c/one']);
    expect(await onDisk()).toEqual(['a', 'a/two']);
    await storage.delete(['a/two']);
    expect(await onDisk()).toEqual([]);
  });

  it('lists nothing when the root does not exist yet', async () => {
    const keys: string[] = [];
    for await (const object of storage.list('')) keys.push(object.key);
    expect(keys).toEqual([]);
    expect(await storage.head('anything')).toBeUndefined();
  });

  describe('rejects keys that are not plain relative paths', () => {
    const invalid = ['', '/etc/passwd', '../escape', 'a/../../escape', 'a/./b', 'a//b', 'a/', 'a\\b', '.lifeboat-tmp-x'];

    it.each(invalid)('%j', async (key) => {
      const expected = `${JSON.stringify(key)} is not a valid key for fs:${root}: keys are relative paths of names separated by "/", without empty, "." or ".." parts, backslashes or names starting with ".lifeboat-tmp-".`;
      for (const attempt of [
        storage.put(key, body('x')),
        storage.get(key),
        storage.head(key),
        storage.delete(['fine', key]),
      ]) {
        const err: unknown = await attempt.then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(LifeboatError);
        expect((err as Error).message).toBe(expected);
      }
      await expect(stat(path.join(dir, 'escape'))).rejects.toThrow('ENOENT');
    });

    it('and list prefixes that climb out of the root', async () => {
      for (const prefix of ['../', '/etc', 'a/../', 'a\\b']) {
        const listing = storage.list(prefix)[Symbol.asyncIterator]().next();
        await expect(listing).rejects.toThrow(`${JSON.stringify(prefix)} is not a valid list prefix for fs:${root}`);
      }
    });
  });

  describe('a root below a regular file (ENOTDIR)', () => {
    let broken: FsStorage;
    let brokenRoot: string;

    beforeEach(async () => {
      await writeFile(path.join(dir, 'plain-file'), 'not a folder');
      brokenRoot = path.join(dir, 'plain-file', 'backups');
      broken = new FsStorage(brokenRoot);
    });

    it('fails put with one sentence naming the destination and the key', async () => {
      await expect(broken.put('db/x.dump', body('x'))).rejects.toThrow(
        new LifeboatError(`cannot write fs:${brokenRoot}/db/x.dump: not a directory (ENOTDIR)`),
      );
    });

    it('fails head, get and list instead of reporting missing objects', async () => {
      const sentence = (action: string, target: string) => `cannot ${action} fs:${target}: not a directory (ENOTDIR)`;
      await expect(broken.head('db/x.dump')).rejects.toThrow(sentence('read', `${brokenRoot}/db/x.dump`));
      await expect(broken.get('db/x.dump')).rejects.toThrow(sentence('read', `${brokenRoot}/db/x.dump`));
      await expect(broken.list('db/')[Symbol.asyncIterator]().next()).rejects.toThrow(
        sentence('list', `${brokenRoot}/db`),
      );
    });
  });

  describe('fsStorageType', () => {
    it('resolves a relative path against the plan folder', () => {
      const config = fsStorageType.config.parse({ path: 'backups' }) as { path: string };
      const adapter = fsStorageType.create({ ...config, type: 'fs', medium: 'disk', offsite: false }, { planDir: dir });
      expect(adapter.description).toBe(`fs:${root}`);
      expect(fsStorageType).toMatchObject({ type: 'fs', defaultMedium: 'disk' });
    });

    it('requires a path', () => {
      expect(fsStorageType.config.safeParse({ path: '' }).success).toBe(false);
      expect(fsStorageType.config.safeParse({}).success).toBe(false);
    });
  });

  it('a put survives a delete emptying the same folder at the same moment', async () => {
    // delete prunes the folder it empties; a put into that folder must still land.
    for (let round = 0; round < 300; round++) {
      await storage.put('shared/old', body('old'));
      await Promise.all([storage.delete(['shared/old']), storage.put('shared/new', body('new'))]);
      expect(await storage.head('shared/new')).toMatchObject({ bytes: 3 });
      await storage.delete(['shared/new']);
    }
  }, 60_000);
});

describe('writeBatched: a body in small pieces becomes few writes, in order, one in flight', () => {
  async function* pieces(sizes: number[]) {
    let n = 0;
    for (const size of sizes) yield Buffer.alloc(size, n++ % 251);
  }
  const sizes = Array.from({ length: 3000 }, (_, i) => [2, 40, 16384, 65536, 7][i % 5]!);
  const expected = Buffer.concat(sizes.map((size, n) => Buffer.alloc(size, n % 251)));

  it('gathers pieces into batches of at least the batch size (the last may be smaller), in order, with every byte', async () => {
    const writes: Buffer[] = [];
    await writeBatched(pieces(sizes), async (batch) => {
      writes.push(Buffer.concat(batch));
    }, 1024 * 1024);
    expect(Buffer.concat(writes).equals(expected)).toBe(true);
    expect(writes.length).toBeLessThanOrEqual(Math.floor(expected.length / (1024 * 1024)) + 1);
    for (const w of writes.slice(0, -1)) expect(w.length).toBeGreaterThanOrEqual(1024 * 1024);
    expect(writes.length).toBeLessThan(sizes.length / 50);
  });

  it('never has two writes in flight, and the next batch is gathered while one is', async () => {
    let inFlight = 0;
    let most = 0;
    let gatheredDuringWrite = false;
    let pulled = 0;
    async function* counted() {
      for await (const piece of pieces(sizes)) {
        pulled++;
        if (inFlight > 0) gatheredDuringWrite = true;
        yield piece;
      }
    }
    await writeBatched(counted(), async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
    }, 256 * 1024);
    expect(pulled).toBe(sizes.length);
    expect(most).toBe(1);
    expect(gatheredDuringWrite).toBe(true);
  });

  it('a failed write fails the whole once the source is left, without an unhandled rejection, and waits for the write in flight', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let calls = 0;
      let settled = 0;
      // A slow source: the failed write settles while the next batch is being gathered.
      async function* slow() {
        for await (const piece of pieces(sizes)) {
          await new Promise((r) => setTimeout(r, 1));
          yield piece;
        }
      }
      const run = writeBatched(slow(), async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        settled++;
        if (calls === 2) throw new Error('ENOSPC: no space left on device, write');
      }, 256 * 1024);
      await expect(run).rejects.toThrow('ENOSPC');
      // No write is left running after the rejection (the caller then closes the file).
      expect(settled).toBe(calls);
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a source that fails after a write started rejects with the source\'s error once that write has finished', async () => {
    let settled = false;
    async function* failing() {
      yield Buffer.alloc(300 * 1024);
      yield Buffer.alloc(10);
      throw new Error('pg_dump exited with status 1');
    }
    await expect(
      writeBatched(failing(), async () => {
        await new Promise((r) => setTimeout(r, 10));
        settled = true;
      }, 256 * 1024),
    ).rejects.toThrow('pg_dump exited with status 1');
    expect(settled).toBe(true);
  });
});
