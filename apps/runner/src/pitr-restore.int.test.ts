import { execFileSync } from 'node:child_process';
import { chown, cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPostgresOnDataDir, type EphemeralPostgres, type PostgresOnDataDir } from '@lifeboat/ephemeral';
import pg from 'pg';
import { lifeboat, postgresPlan, serverReadableKey } from './test/harness.js';
import { BUILT_CLI, PITR, archivedEntry, archiverDone, closeSegment, exists, query, serverOwner, sharedDir, startArchivingPostgres, until, firstArchived } from './test/wal-server.js';

/**
 * Restore to a point in time against a real PostgreSQL 15 archiving with the
 * built CLI: rows A, time T1, rows B, time T2, DROP TABLE, rows C. One
 * archiving server and one archive are shared by the file's tests, which run
 * in order (the timeline-2 test, near the end, continues the data directory of the first).
 */
describe('restore to a point in time (PITR) with a real PostgreSQL 15', () => {
  let dir: string;
  let lockDir: string;
  let plan: string;
  let server: EphemeralPostgres;
  let env: Record<string, string>;
  let t2: string;
  let t1: string;
  const archive = () => join(dir, 'archive');
  const marker = (name: string) => join(dir, `hook-${name}`);
  const run = (args: string[], planFile = plan) => lifeboat(['--plan', planFile, '--log-format', 'human', ...args], { lockDir, env });

  const planText = (destination: string, opts: { pitr?: boolean } = {}) =>
    postgresPlan({
      destinations: { archive: destination },
      tables: ['items', 'dropme'],
      extra: `${opts.pitr === false ? '' : PITR}    drill: { target: ephemeral }\n    hooks:\n      beforeRestore: ["touch ${marker('before')}"]\n      afterRestore: ["touch ${marker('after')}"]\n`,
    }).replace('name: test\n', `name: test\nencryption:\n  recipients: [${recipient}]\n  identity: file:${keyFile}\n`);
  let recipient: string;
  let keyFile: string;

  const serverTime = async () =>
    (await query<{ t: string }>(server, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t"))[0]!.t;
  const clearHooks = async () => {
    await rm(marker('before'), { force: true });
    await rm(marker('after'), { force: true });
  };

  beforeAll(async () => {
    dir = await sharedDir();
    lockDir = join(dir, 'locks');
    ({ keyFile, recipient } = await serverReadableKey(dir, lockDir));
    plan = join(dir, 'lifeboat.yaml');
    await writeFile(plan, planText(archive()), { mode: 0o644 });
    server = await startArchivingPostgres(plan);
    // The archive's folders are made by the server's OS user, as on a host where archive_command writes first.
    await firstArchived(server, archive());
    env = { TEST_DATABASE_URL: `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/postgres` };
    await query(server, 'CREATE TABLE items (id serial PRIMARY KEY, batch text NOT NULL); CREATE TABLE dropme AS SELECT g AS id FROM generate_series(1, 7) g');
    const backup = await run(['backup', 'database']);
    expect(backup.exitCode, backup.stdout + backup.stderr).toBe(0);

    await query(server, "INSERT INTO items (batch) SELECT 'A' FROM generate_series(1, 100)");
    t1 = await serverTime();
    await query(server, "INSERT INTO items (batch) SELECT 'B' FROM generate_series(1, 100)");
    t2 = await serverTime();
    await query(server, 'DROP TABLE dropme');
    await query(server, "INSERT INTO items (batch) SELECT 'C' FROM generate_series(1, 100)");
    // Segments after the one holding the writes: a gap can then lie in the middle of the archive.
    await closeSegment(server);
    await closeSegment(server);
    const last = await closeSegment(server);
    await until(`${last} archived`, () => archivedEntry(archive(), 'database', last));
    await archiverDone(server, last);
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const connectTo = async (s: PostgresOnDataDir) => {
    const client = new pg.Client({ host: s.socketDir, port: s.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    return client;
  };

  const restoredDir = () => join(dir, 'restored');

  test('--to-time T2 --to-dir: rows A and B and the dropped table are back, later writes are not; the folder is ready for the server (hooks ran)', async () => {
    await clearHooks();
    // `sync` on PATH records how it was called: the folder's file system is synced while pg_verifybackup reads it.
    const fakeBin = join(dir, 'fake-sync-bin');
    await mkdir(fakeBin, { recursive: true });
    const syncLog = join(dir, 'sync-calls');
    await writeFile(join(fakeBin, 'sync'), `#!/bin/sh\necho "$*" >> ${syncLog}\nexec ${execFileSync('sh', ['-c', 'command -v sync']).toString().trim()} "$@"\n`, { mode: 0o755 });
    const result = await lifeboat(['--plan', plan, '--log-format', 'human', 'restore', 'database', '--to-time', t2, '--to-dir', restoredDir()], {
      lockDir,
      env: { ...env, PATH: `${fakeBin}:${process.env.PATH}` },
    });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect((await readFile(syncLog, 'utf8')).trim().split('\n')).toEqual([`-f ${restoredDir()}`]);
    expect(result.stdout).toMatch(/restore to time .*: base backup \S+ \(ended .*\), then WAL 0000000100000000000000\w+ … \w+ \(\d+ file\(s\), all in the archive/);
    expect(result.stdout).toContain('pg_verifybackup: every file of the base backup matches its backup_manifest');
    expect(result.stdout).toMatch(/laying out base backup \S+ in \S+ as it is read and verified \(the folder was empty/);
    // This host has far more than 4 × the test server's shared_buffers: the replay runs with more (pitr.recovery.sharedBuffers: auto).
    expect(result.stdout).toMatch(/\(restore_command: lifeboat wal get; shared_buffers [\d.]+ [MG]iB \(pitr\.recovery\.sharedBuffers: auto\)\)/);
    expect(result.stdout).toMatch(/recovery finished: recovery stopping before commit of transaction \d+/);
    expect(result.stdout).toMatch(/rows in items \(at the point; not compared\): 200/);
    expect(result.stdout).toMatch(/rows in dropme \(at the point; not compared\): 7/);
    expect(await exists(marker('before'))).toBe(true);
    expect(await exists(marker('after'))).toBe(true);

    const info = await stat(restoredDir());
    expect(info.mode & 0o777).toBe(0o700);
    const owner = serverOwner();
    if (owner) expect(info.uid).toBe(owner.uid);
    const names = await readdir(restoredDir());
    expect(names).not.toContain('recovery.signal');
    expect(names).not.toContain('postmaster.pid');
    expect(await readFile(join(restoredDir(), 'postgresql.auto.conf'), 'utf8')).not.toContain('recovery_target');
    // The new timeline's history waits for the real server's archiver.
    expect(await exists(join(restoredDir(), 'pg_wal', 'archive_status', '00000002.history.ready'))).toBe(true);
  }, 180_000);

  test('a target the archive never reaches (a future transaction id): recovery ends early, the restore fails and the folder it made is removed', async () => {
    const target = join(dir, 'never');
    const result = await run(['restore', 'database', '--to-xid', '4000000000', '--to-dir', target]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout + result.stderr).toContain('recovery ended before transaction 4000000000 was reached');
    expect(await exists(target)).toBe(false);
  }, 180_000);

  test('a base backup damaged near its end: laid out into the empty folder as it was read, then undone — an absent folder stays absent, an empty one empty, no hook ran', async () => {
    const copy = join(dir, 'archive-damaged');
    await cp(archive(), copy, { recursive: true });
    const damagedPlan = join(dir, 'damaged.yaml');
    await writeFile(damagedPlan, planText(copy));
    const stored = execFileSync('sh', ['-c', `ls ${copy}/database/*/*/*/base.tar.gz.age | head -1`]).toString().trim();
    const bytes = await readFile(stored);
    // In the last age chunk: everything before it is laid out before the damage shows.
    bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 0xff;
    await writeFile(stored, bytes);

    const absent = join(dir, 'damaged-absent');
    const empty = join(dir, 'damaged-empty');
    await mkdir(empty, { mode: 0o700 });
    const owner = serverOwner();
    if (owner) await chown(empty, owner.uid, owner.gid);
    for (const target of [absent, empty]) {
      await clearHooks();
      const result = await run(['restore', 'database', '--to-latest', '--to-dir', target], damagedPlan);
      expect(result.exitCode, result.stdout + result.stderr).toBe(1);
      expect(result.stdout).toContain('as it is read and verified');
      expect(result.stdout + result.stderr).toMatch(/no usable copy of backup \S+ of database: base\.tar\.gz\.age in destination 'archive' .* (is damaged|does not decrypt|cannot be read back)/);
      expect(await exists(marker('before'))).toBe(false);
    }
    expect(await exists(absent)).toBe(false);
    expect(await readdir(empty)).toEqual([]);
  }, 180_000);

  test('a missing segment in the middle of the archive: refused before anything is touched, naming the segment', async () => {
    const copy = join(dir, 'archive-gap');
    await cp(archive(), copy, { recursive: true });
    const gapPlan = join(dir, 'gap.yaml');
    await writeFile(gapPlan, planText(copy));
    const list = JSON.parse((await lifeboat(['--plan', gapPlan, 'wal', 'verify', 'database', '--json'], { lockDir, env })).stdout);
    const tl1 = list.destinations[0].timelines[0];
    // The segment after the first one on timeline 1 lies between the base backup's start and the end.
    const facts = JSON.parse(
      await readFile(execFileSync('sh', ['-c', `ls ${copy}/database/*/*/*/manifest.json | head -1`]).toString().trim(), 'utf8'),
    ).facts.baseBackup as { startWalFile: string };
    const start = parseInt(facts.startWalFile.slice(16), 16);
    const missing = `${facts.startWalFile.slice(0, 16)}${(start + 1).toString(16).toUpperCase().padStart(8, '0')}`;
    expect(tl1.last > missing).toBe(true);
    const { path, entry } = (await archivedEntry(copy, 'database', missing))!;
    await rm(join(path, '..', (entry.stored as { name: string }).name));
    await rm(path);

    await clearHooks();
    const target = join(dir, 'gap-target');
    const result = await run(['restore', 'database', '--to-latest', '--to-dir', target], gapPlan);
    expect(result.exitCode).toBe(1);
    expect(result.stdout + result.stderr).toContain(`WAL segment ${missing} is missing from the archive of database`);
    expect(await exists(target)).toBe(false);
    expect(await exists(marker('before'))).toBe(false);
    // Nothing was read whole either: the refusal came from the listing.
    expect(result.stdout).not.toContain('reading and verifying backup');
  }, 120_000);

  test('targets outside the archive: after its newest segment, before the oldest base backup — each a sentence, exit 2, nothing touched', async () => {
    const target = join(dir, 'outside');
    const late = await run(['restore', 'database', '--to-time', '2099-01-01 00:00:00+00', '--to-dir', target]);
    expect(late.exitCode).toBe(2);
    expect(late.stdout + late.stderr).toMatch(/time 2099-01-01T00:00:00.000Z is after the end of the WAL archive of database: its newest segment is \w{24}, archived at \S+/);
    const early = await run(['restore', 'database', '--to-time', '2001-01-01 00:00:00Z', '--to-dir', target]);
    expect(early.exitCode).toBe(2);
    expect(early.stdout + early.stderr).toMatch(/time 2001-01-01T00:00:00.000Z is before the oldest base backup of database ends \(\S+, at \S+, LSN \S+\)/);
    expect(await exists(target)).toBe(false);
    expect(await exists(marker('before'))).toBe(false);
  }, 60_000);

  test('bad input is refused in one sentence with exit 2, and nothing is touched', async () => {
    await clearHooks();
    const target = join(dir, 'bad-input');
    const cases: Array<[string[], string]> = [
      [['--to-time', '2026-02-14 12:00:00', '--to-dir', target], '--to-time "2026-02-14 12:00:00" is not a time with a zone'],
      [['--to-lsn', '0/XYZ', '--to-dir', target], '--to-lsn "0/XYZ" is not a WAL location'],
      [['--to-xid', 'abc', '--to-dir', target], '--to-xid "abc" is not a transaction id'],
      [['--to-latest', '--to-immediate', '--to-dir', target], '--to-latest and --to-immediate both name the point'],
      [['--to-latest', '--to-dir', target, '--to', 'ephemeral'], 'both --to-dir'],
      [['--to-latest'], 'say where to restore database to the point: --to-dir DATADIR'],
      [['--to-dir', target], '--to-dir belongs to a restore to a point in time'],
    ];
    for (const [args, sentence] of cases) {
      const result = await run(['restore', 'database', ...args]);
      expect(result.stdout + result.stderr, args.join(' ')).toContain(sentence);
      expect(result.exitCode, args.join(' ')).toBe(2);
    }
    // A data directory that holds something needs --clean --yes.
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'mine');
    const full = await run(['restore', 'database', '--to-latest', '--to-dir', target]);
    expect(full.stdout + full.stderr).toContain(`--to-dir ${target} is not empty (1 entries, such as keep.txt); pass --clean --yes`);
    expect(full.exitCode).toBe(2);
    expect(await readdir(target)).toEqual(['keep.txt']);
    // A component without pitr: asked for a point.
    const plain = join(dir, 'plain.yaml');
    await writeFile(plain, planText(archive(), { pitr: false }));
    const nopitr = await run(['restore', 'database', '--to-latest', '--to', 'ephemeral'], plain);
    expect(nopitr.stdout + nopitr.stderr).toContain('components.database has no pitr:');
    expect(nopitr.exitCode).toBe(2);
    expect(await exists(marker('before'))).toBe(false);
    await rm(target, { recursive: true });
    expect(await exists(target)).toBe(false);
  }, 60_000);

  // Mounting a 2 MB tmpfs needs root; CI runs as root.
  test.runIf(process.getuid?.() === 0)('a full disk while the base backup is laid out as it is read: a sentence naming the folder and ENOSPC, the folder it made removed, no hook ran', async () => {
    const disk = join(dir, 'tiny-disk');
    await mkdir(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]);
    try {
      const owner = serverOwner();
      if (owner) await chown(disk, owner.uid, owner.gid);
      const target = join(disk, 'data');
      await clearHooks();
      const result = await run(['restore', 'database', '--to-latest', '--to-dir', target]);
      expect(result.exitCode, result.stdout + result.stderr).toBe(1);
      expect(result.stdout + result.stderr).toMatch(new RegExp(`cannot lay out the base backup in ${target} \\(at [^)]+\\): .*ENOSPC`));
      expect(await readdir(disk)).toEqual([]);
      expect(await exists(marker('before'))).toBe(false);
    } finally {
      execFileSync('umount', [disk]);
    }
  }, 180_000);

  test('--clean --yes into a folder that holds something: the copy is proven into the spool first, only then is the folder emptied and the base backup laid out from the spool', async () => {
    const target = join(dir, 'occupied');
    await mkdir(target, { mode: 0o700 });
    await writeFile(join(target, 'old-file'), 'from before');
    const owner = serverOwner();
    if (owner) await chown(target, owner.uid, owner.gid);
    await clearHooks();
    const result = await run(['restore', 'database', '--to-latest', '--to-dir', target, '--clean', '--yes']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).not.toContain('as it is read and verified');
    const order = ['verified backup', 'beforeRestore', `emptying ${target} (--clean)`, `laying out base backup`, 'pg_verifybackup: every file'].map((text) => result.stdout.indexOf(text));
    expect(order.every((at) => at >= 0), result.stdout).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const names = await readdir(target);
    expect(names).not.toContain('old-file');
    expect(names).toContain('PG_VERSION');
    await rm(target, { recursive: true, force: true });
  }, 180_000);

  test('the restored folder starts as a server on timeline 2; what it writes is archived with its .history, and --to-latest --to ephemeral follows timeline 2', async () => {
    // As the afterRestore hook would: start it, archiving to the same component.
    const restored = await startPostgresOnDataDir({
      binDir: server.binDir,
      dataDir: restoredDir(),
      ...(serverOwner() ? { owner: serverOwner()! } : {}),
      env: { PATH: process.env.PATH ?? '' },
      settings: { archive_mode: 'on', archive_command: `${process.execPath} ${BUILT_CLI} --plan ${plan} wal push database %p` },
    });
    try {
      const client = await until('the restored server accepts connections', () => connectTo(restored).catch(() => undefined));
      try {
        const batches = (await client.query<{ batch: string; n: string }>('SELECT batch, count(*) AS n FROM items GROUP BY batch ORDER BY batch')).rows;
        expect(batches).toEqual([
          { batch: 'A', n: '100' },
          { batch: 'B', n: '100' },
        ]);
        expect((await client.query('SELECT count(*)::int AS n FROM dropme')).rows[0].n).toBe(7);
        expect((await client.query('SELECT timeline_id FROM pg_control_checkpoint()')).rows[0].timeline_id).toBe(2);
        await client.query("INSERT INTO items (batch) SELECT 'D' FROM generate_series(1, 50)");
        const file = (await client.query<{ file: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS file')).rows[0]!.file;
        expect(file.startsWith('00000002')).toBe(true);
        await until(`${file} archived`, () => archivedEntry(archive(), 'database', file)).catch((err) => {
          console.log(restored.process.output().join('\n'));
          throw err;
        });
        await until('00000002.history archived', () => archivedEntry(archive(), 'database', '00000002.history'));
      } finally {
        await client.end();
      }
    } finally {
      expect(await restored.stop()).toBe(true);
    }

    await clearHooks();
    const result = await run(['restore', 'database', '--to-latest', '--to', 'ephemeral']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('timeline 2');
    // A + B from timeline 1 up to the switch, D from timeline 2; C (timeline 1 after the switch) is not on this history.
    expect(result.stdout).toMatch(/rows in items \(at the point; not compared\): 250/);
    expect(result.stdout).toMatch(/rows in dropme \(at the point; not compared\): 7/);
    // A throwaway target: production's hooks are not run.
    expect(await exists(marker('before'))).toBe(false);
    expect(await exists(marker('after'))).toBe(false);
  }, 240_000);

  test('--to-time T1 --to ephemeral: only rows A (and a `sync` that fails costs only its head start: PostgreSQL fsyncs the folder itself)', async () => {
    const fakeBin = join(dir, 'failing-sync-bin');
    await mkdir(fakeBin, { recursive: true });
    const syncLog = join(dir, 'failing-sync-calls');
    await writeFile(join(fakeBin, 'sync'), `#!/bin/sh\necho "$*" >> ${syncLog}\nexit 1\n`, { mode: 0o755 });
    const result = await lifeboat(['--plan', plan, '--log-format', 'human', 'restore', 'database', '--to-time', t1, '--to', 'ephemeral'], {
      lockDir,
      env: { ...env, PATH: `${fakeBin}:${process.env.PATH}` },
    });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(await readFile(syncLog, 'utf8')).toMatch(/^-f \S+\/data\n$/);
    expect(result.stdout).toMatch(/rows in items \(at the point; not compared\): 100/);
    // The throwaway data directory is laid out as the base backup is proven, as an empty --to-dir is.
    expect(result.stdout).toMatch(/laying out base backup \S+ in \S+ as it is read and verified/);
  }, 180_000);

  test('a drill of a pitr component recovers the latest base backup through the whole WAL archive into a throwaway server and records the RTO', async () => {
    await clearHooks();
    const result = await run(['drill', 'database']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('a throwaway PostgreSQL, recovered from the base backup to the end of the WAL archive');
    expect(result.stdout).toMatch(/rows in items \(at the point; not compared\): 250/);
    expect(result.stdout).toMatch(/RTO.*restored in/);
    // The RTO a drill measures is the one-pass restore's.
    expect(result.stdout).toMatch(/laying out base backup \S+ in \S+ as it is read and verified/);
    expect(await exists(marker('before'))).toBe(false);
  }, 180_000);
});
