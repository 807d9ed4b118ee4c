import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EphemeralPostgres } from '@lifeboat/ephemeral';
import { absentName, prefetchRestoreCommand, prefetcherEnv } from '@lifeboat/strategies/wal-spool';
import { lifeboat, postgresPlan, serverReadableKey } from './test/harness.js';
import { BUILT_CLI, archivedEntry, archiverDone, closeSegment, exists, query, sharedDir, startArchivingPostgres, until, firstArchived } from './test/wal-server.js';

/**
 * `wal get` (restore_command) with prefetch, through the built CLI as
 * PostgreSQL runs it: its lean path hands prefetched segments over, the
 * prefetcher it starts fills pg_wal/.lifeboat-prefetch/ with verified files.
 */
describe('wal get prefetch: the next segments fetched ahead, verified, handed over from pg_wal/.lifeboat-prefetch', () => {
  let dir: string;
  let lockDir: string;
  let keyFile: string;
  let plan: string;
  let server: EphemeralPostgres;
  let env: Record<string, string>;
  const segments: string[] = [];
  const archive = () => join(dir, 'archive');

  const planText = (pitr: string) =>
    postgresPlan({ destinations: { archive: archive() }, tables: ['items'], extra: pitr }).replace(
      'name: test\n',
      `name: test\nencryption:\n  recipients: [${recipient}]\n  identity: file:${keyFile}\n`,
    );
  let recipient: string;

  /** The built CLI, as PostgreSQL runs restore_command: in the data directory, %p = pg_wal/RECOVERYXLOG. */
  const walGet = (planFile: string, file: string, cwd: string) =>
    new Promise<{ exitCode: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BUILT_CLI, '--plan', planFile, 'wal', 'get', 'database', file, 'pg_wal/RECOVERYXLOG'],
        { cwd, env: { PATH: process.env.PATH, LIFEBOAT_LOCK_DIR: lockDir } },
        (err, _stdout, stderr) => resolve({ exitCode: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });

  const entrySha = async (file: string) => String((await archivedEntry(archive(), 'database', file))!.entry.sha256);
  const shaOf = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

  /** A data directory as recovery has it: pg_control of the archived cluster, pg_wal, and a postmaster.pid naming a live process (this one). */
  const dataDir = async (name: string) => {
    const data = join(dir, name);
    await mkdir(join(data, 'pg_wal'), { recursive: true });
    await mkdir(join(data, 'global'), { recursive: true });
    await copyFile(join(server.dataDir, 'global', 'pg_control'), join(data, 'global', 'pg_control'));
    await writeFile(join(data, 'postmaster.pid'), `${process.pid}\n${data}\n`);
    return data;
  };
  const prefetchRoot = (data: string) => join(data, 'pg_wal', '.lifeboat-prefetch');
  const prefetched = async (data: string) => {
    const names: string[] = [];
    for (const key of await readdir(prefetchRoot(data)).catch(() => [] as string[])) {
      for (const n of await readdir(join(prefetchRoot(data), key)).catch(() => [] as string[])) if (/^[0-9A-F]{24}\.[0-9a-f]{64}$/.test(n)) names.push(join(key, n));
    }
    return names.sort();
  };

  beforeAll(async () => {
    dir = await sharedDir();
    lockDir = join(dir, 'locks');
    ({ keyFile, recipient } = await serverReadableKey(dir, lockDir));
    plan = join(dir, 'lifeboat.yaml');
    await writeFile(plan, planText('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m, prefetch: 4 }\n'), { mode: 0o644 });
    server = await startArchivingPostgres(plan);
    await firstArchived(server, archive());
    env = { TEST_DATABASE_URL: `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/postgres` };
    await query(server, 'CREATE TABLE items (id serial PRIMARY KEY, v text NOT NULL)');
    const backup = await lifeboat(['--plan', plan, 'backup', 'database'], { lockDir, env });
    expect(backup.exitCode, backup.stdout + backup.stderr).toBe(0);
    // Enough segments that the few a restore fetches itself while its prefetcher starts are the minority.
    for (let i = 0; i < 10; i++) {
      await query(server, `INSERT INTO items (v) SELECT md5(g::text) FROM generate_series(1, 2000) g`);
      segments.push(await closeSegment(server));
    }
    await archiverDone(server, segments.at(-1)!);
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the first get fetches and starts the prefetcher; the next ones come from the folder (a damaged one is fetched again); the folder goes when the server does', async () => {
    const data = await dataDir('data-window');
    const [s1, s2, s3, s4, s5, s6] = segments as [string, string, string, string, string, string];
    const recovered = join(data, 'pg_wal', 'RECOVERYXLOG');

    const first = await walGet(plan, s1, data);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain(`wal get ${s1}: 16777216 bytes from archive, sha256 checked`);
    expect(await shaOf(recovered)).toBe(await entrySha(s1));

    // The window after s1 is 4 segments: s2..s5, each verified before it appears under its sha256.
    const window = await until('s2..s5 prefetched', async () => ((await prefetched(data)).length === 4 ? prefetched(data) : undefined), 60_000);
    expect(window.map((n) => n.split('/')[1]!.slice(0, 24))).toEqual([s2, s3, s4, s5]);
    for (const n of window) expect(n.split('/')[1]!.slice(25)).toBe(await entrySha(n.split('/')[1]!.slice(0, 24)));
    expect((await stat(prefetchRoot(data))).mode & 0o777).toBe(0o700);
    // The prefetcher wal get started runs with its thread pool sized to leave a core to recovery.
    const key = (await readdir(prefetchRoot(data)))[0]!;
    const pid = (JSON.parse(await readFile(join(prefetchRoot(data), key, 'prefetcher.lock'), 'utf8')) as { pid: number }).pid;
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    expect(environ).toContain(`UV_THREADPOOL_SIZE=${prefetcherEnv({}).UV_THREADPOOL_SIZE}`);
    // glibc cuts its tunables in place once read, so the process's own copy shows the first of them only.
    expect(environ.find((e) => e.startsWith('GLIBC_TUNABLES='))).toBe(`GLIBC_TUNABLES=${prefetcherEnv({}).GLIBC_TUNABLES!.split(':')[0]}`);

    // One flipped byte in s4's prefetched copy.
    const damaged = join(prefetchRoot(data), window[2]!);
    const bytes = await readFile(damaged);
    bytes[5000]! ^= 0x01;
    await writeFile(damaged, bytes);

    for (const file of [s2, s3]) {
      const got = await walGet(plan, file, data);
      expect(got.exitCode, got.stderr).toBe(0);
      expect(got.stderr).toContain(`wal get ${file}: 16777216 bytes from the prefetch folder, sha256 checked`);
      expect(await shaOf(recovered)).toBe(await entrySha(file));
    }
    const again = await walGet(plan, s4, data);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`warning: the prefetched copy of ${s4} .* has sha256 .*; it was deleted; fetching it from the destinations`));
    expect(again.stderr).toContain(`wal get ${s4}: 16777216 bytes from archive, sha256 checked`);
    expect(await shaOf(recovered)).toBe(await entrySha(s4));

    // The window moved on to s6; past the archive's end nothing is invented: a get after the last segment says "not found".
    await until('s6 prefetched', async () => ((await prefetched(data)).some((n) => n.includes(`/${s6}.`)) ? true : undefined), 60_000);
    for (const file of [s5, s6]) expect((await walGet(plan, file, data)).stderr).toContain('from the prefetch folder');
    const last = segments.at(-1)!;
    const beyond = await walGet(plan, `${last.slice(0, 16)}${(parseInt(last.slice(16), 16) + 1).toString(16).toUpperCase().padStart(8, '0')}`, data);
    expect(beyond.exitCode).toBe(1);
    expect(beyond.stderr).toContain('not in the archive of database');

    // The server stops (postmaster.pid gone): the prefetcher stops too, and deletes its folder.
    await rm(join(data, 'postmaster.pid'));
    await until('the prefetch folder is deleted', async () => ((await readdir(prefetchRoot(data)).catch(() => [])).length === 0 ? true : undefined), 30_000);
  }, 180_000);

  test('the restore\'s shell restore_command: prefetched segments and their second name without node; "not found" from the prefetcher\'s fresh markers at the archive\'s end and for the next timeline\'s history — never for a segment the host\'s WAL spool holds', async () => {
    const [beforeLast, last] = segments.slice(-2) as [string, string];
    const beyond = `${last.slice(0, 16)}${(parseInt(last.slice(16), 16) + 1).toString(16).toUpperCase().padStart(8, '0')}`;
    const shell = async (planFile: string, data: string, file: string) => {
      const key = (await readdir(prefetchRoot(data)))[0]!;
      const line = prefetchRestoreCommand({ fullCommand: `${process.execPath} ${BUILT_CLI} --plan ${planFile} wal get database %f %p`, component: 'database', systemIdentifier: key.split('.')[1]! });
      // As PostgreSQL runs it: %f, %p and %% replaced, /bin/sh in the data directory.
      const command = line.replace(/%[fp%]/g, (m) => (m === '%f' ? file : m === '%p' ? 'pg_wal/RECOVERYXLOG' : '%'));
      return new Promise<{ exitCode: number; stderr: string }>((resolve) => {
        execFile('/bin/sh', ['-c', command], { cwd: data, env: { PATH: process.env.PATH, LIFEBOAT_LOCK_DIR: lockDir } }, (err, _o, stderr) =>
          resolve({ exitCode: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
    };
    const folderHas = async (data: string, name: string) => {
      for (const key of await readdir(prefetchRoot(data)).catch(() => [] as string[])) if (await exists(join(prefetchRoot(data), key, name))) return true;
      return false;
    };

    const data = await dataDir('data-end');
    expect((await walGet(plan, beforeLast, data)).exitCode).toBe(0);
    await until('the end of the archive and the next history marked absent', async () => ((await folderHas(data, absentName(beyond))) && (await folderHas(data, absentName('00000002.history'))) && (await prefetched(data)).length === 1 ? true : undefined), 60_000);
    const recovered = join(data, 'pg_wal', 'RECOVERYXLOG');
    for (let read = 0; read < 2; read++) {
      const got = await shell(plan, data, last);
      expect(got.exitCode, got.stderr).toBe(0);
      // Written and checked by the prefetcher in this boot: handed over by a rename (prefetch-folder.ts, claimForThisBoot).
      expect(got.stderr).toBe(`lifeboat: wal get ${last}: from the prefetch folder, sha256 checked as it was fetched in this boot\n`);
      expect(await shaOf(recovered)).toBe(await entrySha(last));
      await rm(recovered);
    }
    for (const [file, why] of [[beyond, 'no destination had it'], ['00000002.history', 'no destination had it'], ['00000001.history', 'timeline 1 has no history file']] as const) {
      const got = await shell(plan, data, file);
      expect(got.exitCode, got.stderr).toBe(1);
      expect(got.stderr).toContain(`wal get ${file}: not in the archive of database (${why}`);
    }
    const sysid = (await readdir(prefetchRoot(data)))[0]!.split('.')[1]!;
    await rm(join(data, 'postmaster.pid'));

    // pitr.async: the segment after the archive's end is still in this host's spool — not "not found": wal get hands it over from there.
    const spool = join(dir, 'end-spool');
    const spooledPlan = join(dir, 'spooled.yaml');
    await writeFile(spooledPlan, planText(`    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m, prefetch: 4, async: { spool: ${spool} } }\n`), { mode: 0o644 });
    const spooledData = await dataDir('data-spooled');
    // Only its name matters to the prefetcher (listSpooled); wal get would check it against its recorded sha256.
    await mkdir(join(spool, 'database', sysid), { recursive: true });
    await writeFile(join(spool, 'database', sysid, beyond), 'spooled, not yet delivered');
    expect((await walGet(spooledPlan, beforeLast, spooledData)).exitCode).toBe(0);
    const log = async () => {
      for (const key of await readdir(prefetchRoot(spooledData)).catch(() => [] as string[])) {
        const text = await readFile(join(prefetchRoot(spooledData), key, 'prefetcher.log'), 'utf8').catch(() => '');
        if (text.includes(`${beyond}: in no destination, and in this host's WAL spool: no absent marker`)) return true;
      }
      return undefined;
    };
    await until('the prefetcher saw the spooled segment', log, 60_000);
    expect(await folderHas(spooledData, absentName(beyond))).toBe(false);
    await rm(join(spooledData, 'postmaster.pid'));
  }, 180_000);

  test('pitr.prefetch: 0 fetches one file per call and makes no prefetch folder', async () => {
    const off = join(dir, 'off.yaml');
    await writeFile(off, planText('    pitr: { baseBackups: "0 2 * * 0", walRpo: 5m, prefetch: 0 }\n'), { mode: 0o644 });
    const data = await dataDir('data-off');
    const got = await walGet(off, segments[0]!, data);
    expect(got.exitCode, got.stderr).toBe(0);
    expect(got.stderr).toContain('bytes from archive');
    expect(await exists(prefetchRoot(data))).toBe(false);
  });

  test('a restore --to-latest replays the segments, most of them from the prefetch folder, and leaves no prefetch folder behind', async () => {
    const target = join(dir, 'restored');
    const result = await lifeboat(['--plan', plan, '--log-format', 'human', 'restore', 'database', '--to-latest', '--to-dir', target], { lockDir, env });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const counted = /(\d+) WAL segment\(s\) fetched, (\d+) of them prefetched/.exec(result.stdout);
    expect(counted, result.stdout).not.toBeNull();
    const [fetched, fromFolder] = [Number(counted![1]), Number(counted![2])];
    expect(fetched).toBeGreaterThanOrEqual(segments.length);
    expect(fromFolder).toBeGreaterThan(fetched / 2);
    expect(await exists(prefetchRoot(target))).toBe(false);
    expect(result.stdout).toMatch(/rows in items \(at the point; not compared\): 20000/);
  }, 240_000);
});
