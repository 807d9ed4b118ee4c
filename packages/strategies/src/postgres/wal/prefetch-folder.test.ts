import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { nextSegments, prefetchFolderFor, prefetchedName, readPosition, recordPosition, takePrefetched, windowToFetch, type PrefetchFolder } from './prefetch-folder.js';
import { parseWalFileName } from './wal-file.js';

const MiB = 1024 * 1024;

describe('nextSegments: the window after a segment, as PostgreSQL names segments', () => {
  test('counts up within a log file', () => {
    expect(nextSegments('000000010000000000000007', 16 * MiB, 3)).toEqual(['000000010000000000000008', '000000010000000000000009', '00000001000000000000000A']);
  });

  test('wraps to the next log file after 0xFF with 16 MiB segments, and after 3 with 1 GiB segments', () => {
    expect(nextSegments('0000000100000000000000FE', 16 * MiB, 3)).toEqual(['0000000100000000000000FF', '000000010000000100000000', '000000010000000100000001']);
    expect(nextSegments('000000020000000A00000003', 1024 * MiB, 2)).toEqual(['000000020000000B00000000', '000000020000000B00000001']);
  });

  test('stays on the timeline it is given; nothing for a name or size it cannot count', () => {
    expect(nextSegments('000000030000000000000001', 16 * MiB, 1)).toEqual(['000000030000000000000002']);
    expect(nextSegments('00000002.history', 16 * MiB, 4)).toEqual([]);
    expect(nextSegments('000000010000000000000001', 3 * MiB, 4)).toEqual([]);
    expect(nextSegments('000000010000000000000001', 16 * MiB, 0)).toEqual([]);
  });
});

describe('windowToFetch', () => {
  const window = nextSegments('000000010000000000000010', 16 * MiB, 6);

  test('what is neither ready nor in flight, in order, up to the free slots', () => {
    const ready = new Set([window[0]!, window[2]!]);
    const inFlight = new Set([window[1]!]);
    expect(windowToFetch(window, ready, inFlight, undefined, 2)).toEqual([window[3], window[4]]);
    expect(windowToFetch(window, ready, inFlight, undefined, 0)).toEqual([]);
  });

  test('nothing at or after the archive end last seen: a file no destination has is never asked for again until recovery moves', () => {
    expect(windowToFetch(window, new Set(), new Set(), window[2], 8)).toEqual([window[0], window[1]]);
  });
});

describe('the prefetch folder', () => {
  let data: string;
  const sysid = 7_300_000_000_000_000_123n;
  const segment = '000000010000000000000005';

  beforeEach(async () => {
    data = await mkdtemp(join(tmpdir(), 'lifeboat-prefetch-'));
    await mkdir(join(data, 'global'));
    await mkdir(join(data, 'pg_wal'));
    const control = Buffer.alloc(64);
    control.writeBigUInt64LE(sysid, 0);
    await writeFile(join(data, 'global', 'pg_control'), control);
  });
  afterEach(async () => {
    await rm(data, { recursive: true, force: true });
  });

  const folderOf = async (file = segment) => (await prefetchFolderFor('database', join(data, 'pg_wal', 'RECOVERYXLOG'), parseWalFileName(file)!))!;
  const segmentBytes = (fill: number) => {
    const bytes = Buffer.alloc(8192, fill);
    bytes.writeUInt32LE(16 * MiB, 32);
    return bytes;
  };
  const place = async (folder: PrefetchFolder, file: string, bytes: Buffer) => {
    await mkdir(folder.dir, { recursive: true });
    await writeFile(join(folder.dir, prefetchedName(file, createHash('sha256').update(bytes).digest('hex'))), bytes);
  };

  test('is keyed by component, system identifier and timeline, in the data directory’s pg_wal; only for segments written into a pg_wal', async () => {
    const folder = await folderOf();
    expect(folder.dir).toBe(join(data, 'pg_wal', '.lifeboat-prefetch', `database.${sysid}.00000001`));
    expect((await folderOf('000000020000000000000005')).dir).toBe(join(data, 'pg_wal', '.lifeboat-prefetch', `database.${sysid}.00000002`));
    expect(await prefetchFolderFor('database', join(data, 'elsewhere', 'RECOVERYXLOG'), parseWalFileName(segment)!)).toBeUndefined();
    expect(await prefetchFolderFor('database', join(data, 'pg_wal', 'RECOVERYHISTORY'), parseWalFileName('00000002.history')!)).toBeUndefined();
    await rm(join(data, 'global', 'pg_control'));
    expect(await folderOf()).toBeUndefined();
  });

  test('a verified file is renamed into the destination; the folder keeps nothing of it', async () => {
    const folder = await folderOf();
    const bytes = segmentBytes(1);
    await place(folder, segment, bytes);
    const destination = join(data, 'pg_wal', 'RECOVERYXLOG');
    expect(await takePrefetched(folder, segment, destination)).toEqual({ outcome: 'taken', bytes: bytes.length, segmentBytes: 16 * MiB });
    expect((await readFile(destination)).equals(bytes)).toBe(true);
    expect(await readdir(folder.dir)).toEqual([]);
    expect(await takePrefetched(folder, segment, destination)).toEqual({ outcome: 'absent' });
  });

  test('a file the running prefetcher is still writing is waited for, not fetched twice; a dead prefetcher’s dot-file is not waited for', async () => {
    const folder = await folderOf();
    const bytes = segmentBytes(4);
    await mkdir(folder.dir, { recursive: true });
    await writeFile(join(folder.dir, `.${segment}.1.tmp`), 'partial');
    const destination = join(data, 'pg_wal', 'RECOVERYXLOG');
    expect(await takePrefetched(folder, segment, destination)).toEqual({ outcome: 'absent' });
    await writeFile(join(folder.dir, 'prefetcher.lock'), JSON.stringify({ pid: process.pid }));
    const taking = takePrefetched(folder, segment, destination);
    await place(folder, segment, bytes);
    expect(await taking).toMatchObject({ outcome: 'taken', bytes: bytes.length });
    expect((await readFile(destination)).equals(bytes)).toBe(true);
  });

  test('a damaged file (one byte flipped) is not handed over: deleted, the destination not written', async () => {
    const folder = await folderOf();
    const bytes = segmentBytes(2);
    await place(folder, segment, bytes);
    const [name] = await readdir(folder.dir);
    const damaged = Buffer.from(bytes);
    damaged[100]! ^= 0x01;
    await writeFile(join(folder.dir, name!), damaged);
    const destination = join(data, 'pg_wal', 'RECOVERYXLOG');
    const taken = await takePrefetched(folder, segment, destination);
    expect(taken.outcome).toBe('damaged');
    expect(taken.outcome === 'damaged' && taken.problem).toContain(`the prefetched copy of ${segment}`);
    await expect(stat(destination)).rejects.toThrow();
    expect(await readdir(folder.dir)).toEqual([]);
    expect(await readdir(join(data, 'pg_wal'))).toEqual(['.lifeboat-prefetch']);
  });

  test('recording the position deletes what recovery has passed, and other keys’ folders without a prefetcher; the folder is 0700', async () => {
    const folder = await folderOf();
    const other = await folderOf('000000020000000000000001');
    await place(other, '000000020000000000000002', segmentBytes(3));
    for (const [i, file] of ['000000010000000000000004', '000000010000000000000005', '000000010000000000000006'].entries()) await place(folder, file, segmentBytes(i));
    await recordPosition(folder, { file: segment, segmentBytes: 16 * MiB });
    expect(await readPosition(folder)).toEqual({ file: segment, segmentBytes: 16 * MiB });
    const left = (await readdir(folder.dir)).filter((n) => /^[0-9A-F]{24}\./.test(n)).map((n) => n.slice(0, 24));
    expect(left).toEqual(['000000010000000000000006']);
    expect(await readdir(folder.root)).toEqual([`database.${sysid}.00000001`]);
    expect((await stat(folder.root)).mode & 0o777).toBe(0o700);
    expect((await stat(folder.dir)).mode & 0o777).toBe(0o700);
  });
});
