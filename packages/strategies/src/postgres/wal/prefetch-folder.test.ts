import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ABSENT_FRESH_SECONDS, BOOT_MARKER, absentName, claimForThisBoot, currentBootId, dropPassed, nextSegments, prefetchFolderFor, prefetcherEnv, prefetcherThreads, prefetchRestoreCommand, prefetchedName, previousSegment, rereadName, readPosition, recordPosition, takePrefetched, windowToFetch, type PrefetchFolder } from './prefetch-folder.js';
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

describe("the prefetcher's thread pool: one core left to the replaying startup process", () => {
  test("one fewer than the cores, at least 1, at most libuv's default 4", () => {
    expect([1, 2, 3, 4, 5, 8, 64].map((cores) => prefetcherThreads(cores))).toEqual([1, 1, 2, 3, 4, 4, 4]);
  });

  test("its environment is the caller's with UV_THREADPOOL_SIZE set (over one inherited) and glibc's allocator tuned, unset entries dropped", () => {
    const malloc = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456';
    expect(prefetcherEnv({ PATH: '/usr/bin', UV_THREADPOOL_SIZE: '16', HOME: undefined }, 2)).toEqual({ PATH: '/usr/bin', UV_THREADPOOL_SIZE: '1', GLIBC_TUNABLES: malloc });
    expect(prefetcherEnv({ PATH: '/usr/bin' }, 8)).toEqual({ PATH: '/usr/bin', UV_THREADPOOL_SIZE: '4', GLIBC_TUNABLES: malloc });
    // An operator's own tunables are kept, ours after them.
    expect(prefetcherEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 2).GLIBC_TUNABLES).toBe(`glibc.malloc.arena_max=2:${malloc}`);
  });
});

describe('previousSegment', () => {
  test('counts down within a log file and back over a log boundary; nothing before the first segment or for a name it cannot count', () => {
    expect(previousSegment('00000001000000000000000A', 16 * MiB)).toBe('000000010000000000000009');
    expect(previousSegment('000000010000000100000000', 16 * MiB)).toBe('0000000100000000000000FF');
    expect(previousSegment('000000020000000B00000000', 1024 * MiB)).toBe('000000020000000A00000003');
    expect(previousSegment('000000010000000000000000', 16 * MiB)).toBeUndefined();
    expect(previousSegment('00000002.history', 16 * MiB)).toBeUndefined();
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

describe('prefetchRestoreCommand: the shell path hands a prefetched segment over without node', () => {
  const SYSID = '7400000000000000001';
  const SEGMENT = '000000010000000000000007';
  let dataDir: string;
  let fullCalls: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-shell-get-'));
    await mkdir(join(dataDir, 'pg_wal'), { recursive: true });
    fullCalls = join(dataDir, 'full-calls');
    // Stands for `lifeboat wal get`: records what it was asked and fails, so a test sees whether the shell path fell through.
    await writeFile(join(dataDir, 'full.sh'), `#!/bin/sh\necho "$1 $2" >> ${fullCalls}\nexit 7\n`, { mode: 0o755 });
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  const command = (component = 'database', systemIdentifier = SYSID) => prefetchRestoreCommand({ fullCommand: `${join(dataDir, 'full.sh')} %f %p`, component, systemIdentifier });
  /** What PostgreSQL does with restore_command: %f, %p and %% replaced, run by /bin/sh in the data directory. */
  const restore = (file: string, line = command(), env?: NodeJS.ProcessEnv) => {
    const substituted = line.replace(/%[fp%]/g, (m) => (m === '%f' ? file : m === '%p' ? 'pg_wal/RECOVERYXLOG' : '%'));
    return spawnSync('/bin/sh', ['-c', substituted], { cwd: dataDir, encoding: 'utf8', ...(env ? { env } : {}) });
  };
  const prefetched = async (file: string, body: Buffer, key = `database.${SYSID}.${file.slice(0, 8)}`, named = body) => {
    const dir = join(dataDir, 'pg_wal', '.lifeboat-prefetch', key);
    await mkdir(dir, { recursive: true });
    const path = join(dir, prefetchedName(file, createHash('sha256').update(named).digest('hex')));
    await writeFile(path, body);
    return path;
  };
  const calls = () => readFile(fullCalls, 'utf8').catch(() => '');
  const body = Buffer.from('a WAL segment\n'.repeat(5000));

  test('a verified file in this cluster\'s folder: renamed into %p, exit 0, the line point-restore counts; node never runs', async () => {
    const path = await prefetched(SEGMENT, body);
    const run = restore(SEGMENT);
    expect(run.status).toBe(0);
    expect(await readFile(join(dataDir, 'pg_wal', 'RECOVERYXLOG'))).toEqual(body);
    expect(run.stderr).toBe(`lifeboat: wal get ${SEGMENT}: ${body.length} bytes from the prefetch folder, sha256 checked\n`);
    expect(await calls()).toBe('');
    await expect(stat(path)).rejects.toThrow();
    expect((await readdir(join(dataDir, 'pg_wal'))).sort()).toEqual(['.lifeboat-prefetch', 'RECOVERYXLOG']);
  });

  test('a copy whose bytes are not the sha256 in its name: deleted, never handed over, fetched the full way', async () => {
    const damaged = Buffer.from(body);
    damaged[100] = damaged[100]! ^ 1;
    const path = await prefetched(SEGMENT, damaged, undefined, body);
    const run = restore(SEGMENT);
    expect(run.status).toBe(7);
    expect(run.stderr).toContain(`the prefetched copy of ${SEGMENT} did not match its sha256 and was deleted`);
    expect(await calls()).toBe(`${SEGMENT} pg_wal/RECOVERYXLOG\n`);
    await expect(stat(path)).rejects.toThrow();
    await expect(stat(join(dataDir, 'pg_wal', 'RECOVERYXLOG'))).rejects.toThrow();
    expect(await readdir(join(dataDir, 'pg_wal'))).toEqual(['.lifeboat-prefetch']);
  });

  test('on a host without openssl, sha256sum checks the copy: a good one handed over, a damaged one deleted', async () => {
    // A PATH with the tools the line uses, but no openssl.
    const bin = join(dataDir, 'bin');
    await mkdir(bin);
    for (const tool of ['mv', 'rm', 'stat', 'sha256sum', 'find', 'printf', 'cut']) {
      const found = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found.startsWith('/')) await symlink(found, join(bin, tool));
    }
    const env = { PATH: bin };
    expect(spawnSync('/bin/sh', ['-c', 'command -v openssl'], { env }).status).not.toBe(0);
    await prefetched(SEGMENT, body);
    const good = restore(SEGMENT, command(), env);
    expect(good.stderr).toBe(`lifeboat: wal get ${SEGMENT}: ${body.length} bytes from the prefetch folder, sha256 checked\n`);
    expect(good.status).toBe(0);
    expect(await readFile(join(dataDir, 'pg_wal', 'RECOVERYXLOG'))).toEqual(body);
    await rm(join(dataDir, 'pg_wal', 'RECOVERYXLOG'));
    const damaged = Buffer.from(body);
    damaged[7] = damaged[7]! ^ 1;
    await prefetched(SEGMENT, damaged, undefined, body);
    const bad = restore(SEGMENT, command(), env);
    expect(bad.status).toBe(7);
    expect(bad.stderr).toContain(`the prefetched copy of ${SEGMENT} did not match its sha256 and was deleted`);
    await expect(stat(join(dataDir, 'pg_wal', 'RECOVERYXLOG'))).rejects.toThrow();
  });

  test('not prefetched, another cluster\'s or timeline\'s folder, a history file: the full way, nothing taken', async () => {
    const otherCluster = await prefetched(SEGMENT, body, `database.7400000000000000002.00000001`);
    const otherTimeline = await prefetched('000000020000000000000007', body, `database.${SYSID}.00000001`);
    const otherComponent = await prefetched(SEGMENT, body, `other.${SYSID}.00000001`);
    for (const file of [SEGMENT, '000000020000000000000007', '00000002.history']) expect(restore(file).status).toBe(7);
    expect(await calls()).toBe([SEGMENT, '000000020000000000000007', '00000002.history'].map((f) => `${f} pg_wal/RECOVERYXLOG\n`).join(''));
    for (const path of [otherCluster, otherTimeline, otherComponent]) expect((await stat(path)).isFile()).toBe(true);
  });

  test('"not found" without node for 00000001.history, and for a segment or the next timeline\'s history the prefetcher found in no destination moments ago; an old marker is not trusted', async () => {
    const folder = join(dataDir, 'pg_wal', '.lifeboat-prefetch', `database.${SYSID}.00000001`);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, absentName(SEGMENT)), '');
    const history = restore('00000001.history');
    expect(history.status).toBe(1);
    expect(history.stderr).toContain('not in the archive of database (timeline 1 has no history file)');
    const end = restore(SEGMENT);
    expect(end.status).toBe(1);
    expect(end.stderr).toContain(`wal get ${SEGMENT}: not in the archive of database`);
    expect(await calls()).toBe('');
    // The next timeline's history: its marker is in the folder of the timeline before it.
    await writeFile(join(folder, absentName('00000002.history')), '');
    expect(restore('00000002.history').status).toBe(1);
    expect(await calls()).toBe('');
    const old = new Date(Date.now() - (ABSENT_FRESH_SECONDS + 5) * 1000);
    await utimes(join(folder, absentName(SEGMENT)), old, old);
    await utimes(join(folder, absentName('00000002.history')), old, old);
    expect(restore(SEGMENT).status).toBe(7);
    expect(restore('00000002.history').status).toBe(7);
    expect(await calls()).toBe(`${SEGMENT} pg_wal/RECOVERYXLOG\n00000002.history pg_wal/RECOVERYXLOG\n`);
  });

  test('a second name of a segment (the prefetcher\'s copy for recovery\'s second read of the last one) is handed over the same way', async () => {
    const sha = createHash('sha256').update(body).digest('hex');
    const first = await prefetched(SEGMENT, body);
    await link(first, join(dirname(first), rereadName(SEGMENT, sha)));
    expect(restore(SEGMENT).status).toBe(0);
    await rm(join(dataDir, 'pg_wal', 'RECOVERYXLOG'));
    expect(restore(SEGMENT).status).toBe(0);
    expect(await readFile(join(dataDir, 'pg_wal', 'RECOVERYXLOG'))).toEqual(body);
    expect(await calls()).toBe('');
    expect(restore(SEGMENT).status).toBe(7);
  });

  test('dropPassed deletes ready files up to the position and second names before it (the position\'s stays for the second read)', async () => {
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const files = ['000000010000000000000006', SEGMENT, '000000010000000000000008'];
    for (const f of files) {
      const path = await prefetched(f, body);
      await link(path, join(dirname(path), rereadName(f, sha(body))));
    }
    const dir = join(dataDir, 'pg_wal', '.lifeboat-prefetch', `database.${SYSID}.00000001`);
    await dropPassed({ component: 'database', dataDir, root: dirname(dir), dir, systemIdentifier: SYSID, timelineHex: '00000001' }, SEGMENT);
    expect((await readdir(dir)).sort()).toEqual([prefetchedName(files[2]!, sha(body)), rereadName(SEGMENT, sha(body)), rereadName(files[2]!, sha(body))].sort());
  });

  describe('a folder whose files were written in this boot (claimForThisBoot)', () => {
    const dirOf = () => join(dataDir, 'pg_wal', '.lifeboat-prefetch', `database.${SYSID}.00000001`);
    const folderOf = (): PrefetchFolder => ({ component: 'database', dataDir, root: dirname(dirOf()), dir: dirOf(), systemIdentifier: SYSID, timelineHex: '00000001' });
    /** A PATH with only what the line needs besides hashing: no openssl, no sha256sum, no stat. */
    const withoutHashing = async () => {
      const bin = join(dataDir, 'bin-nohash');
      await mkdir(bin);
      for (const tool of ['mv', 'rm', 'find', 'printf', 'cut']) {
        const found = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
        if (found.startsWith('/')) await symlink(found, join(bin, tool));
      }
      return { PATH: bin };
    };

    test('this boot\'s marker: the shell hands the file over by one rename, without hashing it again (no hashing tool on PATH), and says so', async () => {
      const boot = await currentBootId();
      expect(boot).toMatch(/^[0-9a-f-]{36}$/);
      await mkdir(dirOf(), { recursive: true });
      await claimForThisBoot(folderOf());
      expect((await readFile(join(dirOf(), BOOT_MARKER), 'utf8')).trim()).toBe(boot);
      // Written by the prefetcher after its claim.
      await prefetched(SEGMENT, body);
      const run = restore(SEGMENT, command(), await withoutHashing());
      expect(run.stderr).toBe(`lifeboat: wal get ${SEGMENT}: from the prefetch folder, sha256 checked as it was fetched in this boot\n`);
      expect(run.status).toBe(0);
      expect(await readFile(join(dataDir, 'pg_wal', 'RECOVERYXLOG'))).toEqual(body);
      expect(await calls()).toBe('');
      // The line point-restore counts prefetched segments by.
      expect(/lifeboat: wal get [0-9A-F]{24}: (?:\d+ bytes )?from (.+?), sha256 checked/.exec(run.stderr)?.[1]).toBe('the prefetch folder');
    });

    test('another boot\'s marker: every file is hashed again, a damaged one deleted and fetched the full way', async () => {
      const damaged = Buffer.from(body);
      damaged[100] = damaged[100]! ^ 1;
      await prefetched(SEGMENT, damaged, undefined, body);
      await writeFile(join(dirOf(), BOOT_MARKER), '00000000-0000-4000-8000-000000000000\n');
      const run = restore(SEGMENT);
      expect(run.status).toBe(7);
      expect(run.stderr).toContain(`the prefetched copy of ${SEGMENT} did not match its sha256 and was deleted`);
      await expect(stat(join(dataDir, 'pg_wal', 'RECOVERYXLOG'))).rejects.toThrow();
      expect(await calls()).toBe(`${SEGMENT} pg_wal/RECOVERYXLOG\n`);
    });

    test('the prefetcher\'s claim: ready files of another boot or of no known boot are deleted before the marker says this boot; position and absent markers stay; this boot\'s stay', async () => {
      const sha = createHash('sha256').update(body).digest('hex');
      const fill = async () => {
        const path = await prefetched(SEGMENT, body);
        await link(path, join(dirOf(), rereadName(SEGMENT, sha)));
        await writeFile(join(dirOf(), absentName('000000010000000000000009')), '');
      };
      const ready = async () => (await readdir(dirOf())).filter((n) => n.startsWith(SEGMENT)).sort();
      const bootFile = join(dataDir, 'boot_id');
      await writeFile(bootFile, '11111111-1111-4111-8111-111111111111\n');
      // No marker: written before any boot was recorded, so not trusted.
      await fill();
      await recordPosition(folderOf(), { file: '000000010000000000000006', segmentBytes: 16 * MiB });
      await claimForThisBoot(folderOf(), bootFile);
      expect(await ready()).toEqual([]);
      expect((await readdir(dirOf())).sort()).toEqual([BOOT_MARKER, absentName('000000010000000000000009'), 'position.json'].sort());
      expect((await readFile(join(dirOf(), BOOT_MARKER), 'utf8')).trim()).toBe('11111111-1111-4111-8111-111111111111');
      // The same boot: kept.
      await fill();
      await claimForThisBoot(folderOf(), bootFile);
      expect(await ready()).toEqual([prefetchedName(SEGMENT, sha), rereadName(SEGMENT, sha)].sort());
      // A reboot: deleted, the marker moves on.
      await writeFile(bootFile, '22222222-2222-4222-8222-222222222222\n');
      await claimForThisBoot(folderOf(), bootFile);
      expect(await ready()).toEqual([]);
      expect((await readFile(join(dirOf(), BOOT_MARKER), 'utf8')).trim()).toBe('22222222-2222-4222-8222-222222222222');
      // No boot id to read: no marker at all (the shell then hashes every file), and nothing unverifiable kept.
      await fill();
      await claimForThisBoot(folderOf(), join(dataDir, 'no-such-boot-id'));
      expect(await ready()).toEqual([]);
      await expect(stat(join(dirOf(), BOOT_MARKER))).rejects.toThrow();
    });
  });

  test('a component or system identifier that cannot be a folder name: just the full command', () => {
    expect(command('Bad Name')).toBe(`${join(dataDir, 'full.sh')} %f %p`);
    expect(command('database', '12; rm -rf /')).toBe(`${join(dataDir, 'full.sh')} %f %p`);
  });
});
