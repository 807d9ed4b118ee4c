import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEphemeralPostgres, type EphemeralPostgres } from '@lifeboat/ephemeral';
import { lifeboat, postgresPlan } from './test/harness.js';
import { BUILT_CLI, PITR, archivedEntry, archiverDone, closeSegment, exists, query, serverOwner, sharedDir, startArchivingPostgres, until, firstArchived } from './test/wal-server.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

describe('WAL archive: lifeboat wal push / get / verify against a real PostgreSQL 15', () => {
  let dir: string;
  let lockDir: string;
  let keyFile: string;
  let recipient: string;
  let archivePlan: string;
  let server: EphemeralPostgres;
  const archive = () => join(dir, 'archive');

  const encryption = (identity: boolean) => `encryption:\n  recipients: [${recipient}]\n${identity ? `  identity: file:${keyFile}\n` : ''}`;
  const planWith = (destinations: Record<string, string>, identity = true) =>
    postgresPlan({ destinations, extra: PITR }).replace('name: test\n', `name: test\n${encryption(identity)}`);
  const run = (args: string[], cwd?: string) => lifeboat(args, { lockDir, ...(cwd ? { cwd } : {}) });

  /** A fake data directory holding one WAL file, as archive_command sees it (cwd = data dir, %p = pg_wal/<name>). */
  const fakeDataDir = async (name: string, bytes: Buffer) => {
    const data = join(dir, `data-${randomBytes(4).toString('hex')}`);
    await mkdir(join(data, 'pg_wal'), { recursive: true });
    await mkdir(join(data, 'global'), { recursive: true });
    await copyFile(join(server.dataDir, 'global', 'pg_control'), join(data, 'global', 'pg_control'));
    await writeFile(join(data, 'pg_wal', name), bytes);
    return data;
  };

  beforeAll(async () => {
    dir = await sharedDir();
    lockDir = join(dir, 'locks');
    keyFile = join(dir, 'age.key');
    const keys = await lifeboat(['keys', 'generate', '--out', keyFile], { lockDir });
    recipient = keys.stdout.trim();
    archivePlan = join(dir, 'archive.yaml');
    // The server's OS user reads this plan; it names only the recipient.
    await writeFile(archivePlan, planWith({ archive: archive() }, false), { mode: 0o644 });
    server = await startArchivingPostgres(archivePlan);
    // The archive's folders are created by the server's OS user, as on a real host where archive_command writes first.
    await firstArchived(server, archive());
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('pg_switch_wal() makes the segment arrive, encrypted; stock age -d and gunzip give back the very bytes PostgreSQL wrote', async () => {
    const segment = await closeSegment(server);
    const { path, entry } = await until(`${segment} archived`, () => archivedEntry(archive(), 'database', segment));
    const original = await readFile(join(server.dataDir, 'pg_wal', segment));
    const stored = join(path, '..', String((entry.stored as { name: string }).name));
    expect(stored.endsWith(`${segment}.gz.age`)).toBe(true);
    expect((await readFile(stored)).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    const plain = execFileSync('sh', ['-c', `age -d -i ${keyFile} ${stored} | gunzip`], { maxBuffer: 64 * 1024 * 1024 });
    expect(plain.equals(original)).toBe(true);
    expect(entry).toMatchObject({ file: segment, kind: 'segment', timeline: 1, bytes: original.length });
    const sysid = (await readFile(join(server.dataDir, 'global', 'pg_control'))).readBigUInt64LE(0).toString();
    expect(path).toContain(join('wal', 'database', sysid, '00000001'));

    // The same segment pushed again (PostgreSQL retries after a crash) is success, and nothing is rewritten.
    const before = await stat(stored);
    const again = await lifeboat(['--plan', archivePlan, 'wal', 'push', 'database', `pg_wal/${segment}`], { lockDir, cwd: server.dataDir });
    expect(again.stderr).toContain('already archived with the same content');
    expect(again.exitCode).toBe(0);
    expect((await stat(stored)).mtimeMs).toBe(before.mtimeMs);

    // Different content under the same name: refused with a sentence, nothing overwritten.
    const forged = Buffer.from(original);
    forged[forged.length - 100]! ^= 0xff;
    const fake = await fakeDataDir(segment, forged);
    const clash = await lifeboat(['--plan', archivePlan, 'wal', 'push', 'database', `pg_wal/${segment}`], { lockDir, cwd: fake });
    expect(clash.exitCode).toBe(1);
    expect(clash.stderr).toMatch(new RegExp(`${segment} is already archived in destination 'archive' .* with different content .*nothing was overwritten`));
    expect((await stat(stored)).mtimeMs).toBe(before.mtimeMs);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(entry);
  });

  test('a .history file is stored once and never overwritten', async () => {
    const scratch = join(dir, 'history-plan.yaml');
    await writeFile(scratch, planWith({ a: join(dir, 'history-a') }));
    const history = Buffer.from('1\t0/3000000\tno recovery target specified\n');
    const data = await fakeDataDir('00000002.history', history);
    const push = (cwd: string) => run(['--plan', scratch, 'wal', 'push', 'database', 'pg_wal/00000002.history'], cwd);
    expect((await push(data)).exitCode).toBe(0);
    expect((await push(data)).exitCode).toBe(0);
    const other = await fakeDataDir('00000002.history', Buffer.from('1\t0/4000000\tno recovery target specified\n'));
    const refused = await push(other);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('00000002.history is already archived');
    const report = await run(['--plan', scratch, 'wal', 'verify', 'database']);
    expect(report.stdout).toContain('timeline 2: 0 segment(s), no segments; history archived (timeline 1 until 0/3000000)');
    const out = join(dir, 'fetched.history');
    expect((await run(['--plan', scratch, 'wal', 'get', 'database', '00000002.history', out])).exitCode).toBe(0);
    expect((await readFile(out)).equals(history)).toBe(true);
  });

  test('a second cluster (another initdb) pointed at the same archive is refused with a sentence', async () => {
    const other = await startEphemeralPostgres({ path: process.env.PATH });
    try {
      const first = (await readdir(join(other.dataDir, 'pg_wal'))).find((n) => /^[0-9A-F]{24}$/.test(n))!;
      const result = await lifeboat(['--plan', archivePlan, 'wal', 'push', 'database', `pg_wal/${first}`], { lockDir, cwd: other.dataDir });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/comes from the PostgreSQL cluster with system identifier \d+, but the WAL archive of database in destination 'archive' .* belongs to cluster \d+/);
    } finally {
      await other.stop();
    }
  }, 120_000);

  test('wal get: a missing segment exits 1; a damaged copy hands over to the next destination; every copy damaged exits 126', async () => {
    const scratch = join(dir, 'get-plan.yaml');
    await writeFile(scratch, planWith({ a: join(dir, 'get-a'), b: join(dir, 'get-b') }));
    const segment = await closeSegment(server);
    await until(`${segment} archived`, () => archivedEntry(archive(), 'database', segment));
    const original = await readFile(join(server.dataDir, 'pg_wal', segment));
    const data = await fakeDataDir(segment, original);
    expect((await run(['--plan', scratch, 'wal', 'push', 'database', `pg_wal/${segment}`], data)).exitCode).toBe(0);

    const out = join(dir, 'RECOVERYXLOG');
    const missing = await run(['--plan', scratch, 'wal', 'get', 'database', '0000000100000000000000FE', out]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('not in the archive of database');
    expect(await exists(out)).toBe(false);

    const { path, entry } = (await archivedEntry(join(dir, 'get-a'), 'database', segment))!;
    const storedA = join(path, '..', (entry.stored as { name: string }).name);
    const bytes = await readFile(storedA);
    bytes[bytes.length - 10]! ^= 0xff;
    await writeFile(storedA, bytes);
    const fallback = await run(['--plan', scratch, 'wal', 'get', 'database', segment, out]);
    expect(fallback.stderr).toMatch(/destination 'a' .*damaged.*trying the next destination/);
    expect(fallback.exitCode).toBe(0);
    expect((await readFile(out)).equals(original)).toBe(true);
    await rm(out);

    const storedB = join((await archivedEntry(join(dir, 'get-b'), 'database', segment))!.path, '..', (entry.stored as { name: string }).name);
    await writeFile(storedB, bytes);
    const broken = await run(['--plan', scratch, 'wal', 'get', 'database', segment, out]);
    expect(broken.exitCode).toBe(126);
    expect(broken.stderr).toContain(`no intact copy of ${segment} could be read`);
    expect(await exists(out)).toBe(false);
    expect(await exists(`${out}.tmp`)).toBe(false);
  });

  test('SIGKILL during a push leaves no visible partial segment; the retry stores it', async () => {
    const scratch = join(dir, 'kill-plan.yaml');
    const dest = join(dir, 'kill-a');
    await writeFile(scratch, planWith({ a: dest }));
    // A segment-named file with a real header and 96 MiB of incompressible bytes: a push long enough to be killed midway.
    const header = (await readFile(join(server.dataDir, 'pg_wal', (await readdir(join(server.dataDir, 'pg_wal'))).find((n) => /^[0-9A-F]{24}$/.test(n))!))).subarray(0, 8192);
    const name = '0000000100000000000000F0';
    const big = Buffer.concat([header, randomBytes(96 * 1024 * 1024)]);
    const data = await fakeDataDir(name, big);
    const child = spawn(process.execPath, [BUILT_CLI, '--plan', scratch, 'wal', 'push', 'database', `pg_wal/${name}`], { cwd: data, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const timelineDir = await until('the push writing its temp file', async () => {
      const base = join(dest, 'wal', 'database');
      for (const cluster of await readdir(base).catch(() => [] as string[])) {
        const tl = join(base, cluster, '00000001');
        const names = await readdir(tl).catch(() => [] as string[]);
        if (names.some((n) => n.startsWith('.lifeboat-tmp-') && !n.includes('guard'))) return tl;
      }
      return undefined;
    });
    child.kill('SIGKILL');
    expect(await exited).toBe(null);
    const left = await readdir(timelineDir);
    expect(left.filter((n) => !n.startsWith('.lifeboat-tmp-'))).toEqual([]);
    const verify = await run(['--plan', scratch, 'wal', 'verify', 'database', '--json']);
    expect(JSON.parse(verify.stdout).destinations[0].timelines).toEqual([]);

    const retry = await run(['--plan', scratch, 'wal', 'push', 'database', `pg_wal/${name}`], data);
    expect(retry.exitCode).toBe(0);
    const out = join(dir, 'after-kill');
    expect((await run(['--plan', scratch, 'wal', 'get', 'database', name, out])).exitCode).toBe(0);
    expect((await readFile(out)).equals(big)).toBe(true);
  }, 120_000);

  test('wal verify names a deleted middle segment and exits 3', async () => {
    const names: string[] = [];
    for (let i = 0; i < 3; i++) names.push(await closeSegment(server));
    for (const name of names) await until(`${name} archived`, () => archivedEntry(archive(), 'database', name));
    await archiverDone(server, names[2]!);
    const clean = await run(['--plan', archivePlan, 'wal', 'verify', 'database']);
    expect(clean.stdout).toMatch(/database in archive \(cluster \d+\): complete/);
    expect(clean.exitCode).toBe(0);

    const { path, entry } = (await archivedEntry(archive(), 'database', names[1]!))!;
    await rm(join(path, '..', (entry.stored as { name: string }).name));
    await rm(path);
    const gap = await run(['--plan', archivePlan, 'wal', 'verify', 'database']);
    expect(gap.stdout).toContain(`1 segment(s) missing between`);
    expect(gap.stdout).toContain(names[1]!);
    expect(gap.exitCode).toBe(3);
    const json = JSON.parse((await run(['--plan', archivePlan, 'wal', 'verify', 'database', '--json'])).stdout);
    expect(json.destinations[0].timelines[0].missing).toEqual([names[1]]);
  });

  test('backup of a pitr component: a base backup (pg_basebackup tar, stock age -d and tar read it, backup_label inside) plus the dump, with the facts a restore to a point needs', async () => {
    const plan = join(dir, 'base.yaml');
    await writeFile(plan, planWith({ archive: archive() }));
    const env = { TEST_DATABASE_URL: `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/postgres` };
    const backup = await lifeboat(['--plan', plan, '--log-format', 'human', 'backup', 'database'], { lockDir, env });
    expect(backup.stdout).toContain('backup_label and backup_manifest present, sha256 re-read ok');
    expect(backup.exitCode).toBe(0);
    const list = JSON.parse((await lifeboat(['--plan', plan, 'list', 'database', '--json'], { lockDir, env })).stdout) as Array<{ id: string }>;
    const id = list.at(-1)!.id;
    const manifestPath = execFileSync('sh', ['-c', `ls ${archive()}/database/*/*/${id}/manifest.json`]).toString().trim();
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    expect(manifest.artifacts.map((a: { name: string }) => a.name)).toEqual(['base.tar.gz.age', 'backup_manifest.age', 'database.dump.age']);
    const sysid = (await readFile(join(server.dataDir, 'global', 'pg_control'))).readBigUInt64LE(0).toString();
    const facts = manifest.facts.baseBackup;
    expect(facts).toMatchObject({ systemIdentifier: sysid, timeline: 1, serverVersion: expect.stringMatching(/^15\./), walArchive: `wal/database/${sysid}/` });
    expect(facts.startLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(facts.stopLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(Date.parse(facts.startTime)).toBeLessThanOrEqual(Date.parse(facts.stopTime));
    // -X none: the server reported the backup done only once its WAL was archived.
    expect(await archivedEntry(archive(), 'database', facts.stopWalFile)).toBeDefined();

    const folder = join(manifestPath, '..');
    const listing = execFileSync('sh', ['-c', `age -d -i ${keyFile} ${folder}/base.tar.gz.age | tar -tzf -`], { maxBuffer: 64 * 1024 * 1024 }).toString().split('\n');
    expect(listing).toEqual(expect.arrayContaining(['backup_label', 'backup_manifest', 'global/pg_control', 'PG_VERSION']));
    const label = execFileSync('sh', ['-c', `age -d -i ${keyFile} ${folder}/base.tar.gz.age | tar -xzOf - backup_label`]).toString();
    expect(label).toContain(`START WAL LOCATION: ${facts.startLsn} (file ${facts.startWalFile})`);
    const stockManifest = execFileSync('sh', ['-c', `age -d -i ${keyFile} ${folder}/backup_manifest.age`]).toString();
    expect(JSON.parse(stockManifest)['WAL-Ranges'][0]['End-LSN']).toBe(facts.stopLsn);

    const deep = await lifeboat(['--plan', plan, 'verify', 'database', '--deep', '--json'], { lockDir, env });
    expect(deep.exitCode).toBe(0);
    // The backup history file the server writes at the end of a base backup is archived too (its cluster read from pg_control).
    const startSegment = facts.startWalFile as string;
    await until('the .backup file archived', async () => {
      const report = JSON.parse((await lifeboat(['--plan', plan, 'wal', 'verify', 'database', '--json'], { lockDir, env })).stdout);
      const files = report.destinations[0].timelines[0].backupFiles as string[];
      return files.some((f) => f.startsWith(startSegment) && f.endsWith('.backup')) ? true : undefined;
    });
  }, 120_000);

  for (const how of ['lifeboat wal get', 'stock tools (docs/pitr.md)'] as const) {
    test(`a base backup restored by hand replays the archived WAL to its end, fetched with ${how}`, async () => {
      const owner = serverOwner();
      const plan = join(dir, `restore-${how.length}.yaml`);
      const pgKey = join(dir, `pg-${how.length}.key`);
      await copyFile(keyFile, pgKey);
      if (owner) await chown(pgKey, owner.uid, owner.gid);
      await writeFile(plan, planWith({ archive: archive() }).replace(`identity: file:${keyFile}`, `identity: file:${pgKey}`), { mode: 0o644 });
      const table = `probe_${how.length}`;
      await query(server, `CREATE TABLE ${table} AS SELECT g AS id FROM generate_series(1, 1000) g`);
      const env = { TEST_DATABASE_URL: `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/postgres` };
      expect((await lifeboat(['--plan', plan, 'backup', 'database'], { lockDir, env })).exitCode).toBe(0);
      // Written after the base backup: only the archived WAL brings these back.
      await query(server, `INSERT INTO ${table} SELECT g FROM generate_series(1001, 1500) g`);
      const last = await closeSegment(server);
      await until(`${last} archived`, () => archivedEntry(archive(), 'database', last));

      const id = (JSON.parse((await lifeboat(['--plan', plan, 'list', 'database', '--json'], { lockDir, env })).stdout) as Array<{ id: string }>).at(-1)!.id;
      const folder = join(execFileSync('sh', ['-c', `ls ${archive()}/database/*/*/${id}/manifest.json`]).toString().trim(), '..');
      const restored = join(dir, `restored-${how.length}`);
      await mkdir(restored, { mode: 0o700 });
      execFileSync('sh', ['-c', `age -d -i ${keyFile} ${folder}/base.tar.gz.age | tar -xzf - -C ${restored}`]);
      execFileSync('sh', ['-c', `age -d -i ${keyFile} ${folder}/backup_manifest.age > ${dir}/backup_manifest-${how.length}`]);
      execFileSync(join(server.binDir, 'pg_verifybackup'), ['-n', '-m', `${dir}/backup_manifest-${how.length}`, restored]);
      const sysid = (await readFile(join(server.dataDir, 'global', 'pg_control'))).readBigUInt64LE(0).toString();
      const restoreCommand =
        how === 'lifeboat wal get'
          ? `${process.execPath} ${BUILT_CLI} --plan ${plan} wal get database %f %p`
          : `f=${archive()}/wal/database/${sysid}/$(echo %f | cut -c1-8)/%f.gz.age; test -f "$f" || exit 1; age -d -i ${pgKey} "$f" | gunzip > %p`;
      await writeFile(join(restored, 'postgresql.auto.conf'), `restore_command = '${restoreCommand.replace(/'/g, "''")}'\n`, { flag: 'a' });
      await writeFile(join(restored, 'recovery.signal'), '');
      if (owner) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, restored]);
      const port = await freePort();
      const pgCtl = (args: string) =>
        execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `${join(server.binDir, 'pg_ctl')} -D ${restored} ${args}`], { stdio: 'pipe' });
      pgCtl(`-w -t 60 -l ${restored}.log -o "-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c archive_mode=off" start`);
      try {
        const copy = { ...server, port };
        await until('recovery to end', async () => ((await query<{ r: boolean }>(copy, 'SELECT pg_is_in_recovery() AS r'))[0]!.r ? undefined : true));
        expect((await query<{ n: string }>(copy, `SELECT count(*) AS n FROM ${table}`))[0]!.n).toBe('1500');
        const log = await readFile(`${restored}.log`, 'utf8');
        expect(log).toMatch(/archive recovery complete/);
        expect(log).toContain(`restored log file "${last}" from archive`);
      } finally {
        pgCtl('-m fast -w stop');
      }
    }, 120_000);
  }

  test('require: all fails the push when one destination cannot take it (PostgreSQL retries); require: any stores it in the other and says so', async () => {
    const segment = await closeSegment(server);
    await until(`${segment} archived`, () => archivedEntry(archive(), 'database', segment));
    const data = await fakeDataDir(segment, await readFile(join(server.dataDir, 'pg_wal', segment)));
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'a file where a folder should be');
    const plan = join(dir, 'require.yaml');
    await writeFile(plan, planWith({ good: join(dir, 'require-good'), bad: join(blocker, 'bad') }));
    const all = await run(['--plan', plan, 'wal', 'push', 'database', `pg_wal/${segment}`], data);
    expect(all.exitCode).toBe(1);
    expect(all.stderr).toContain(`archiving ${segment} failed: destination 'bad'`);
    expect(await archivedEntry(join(dir, 'require-good'), 'database', segment)).toBeUndefined();

    await writeFile(plan, planWith({ good: join(dir, 'require-good'), bad: join(blocker, 'bad') }).replace('    destinations: [good, bad]\n', '    destinations: [good, bad]\n    require: any\n'));
    const any = await run(['--plan', plan, 'wal', 'push', 'database', `pg_wal/${segment}`], data);
    expect(any.stderr).toMatch(/warning: destination 'bad' .*continuing without it \(require: any\)/);
    expect(any.exitCode).toBe(0);
    expect(await archivedEntry(join(dir, 'require-good'), 'database', segment)).toBeDefined();
  });

  test('a component without pitr: is refused (exit 2), naming the field', async () => {
    const plain = join(dir, 'plain.yaml');
    await writeFile(plain, postgresPlan({ destinations: { a: join(dir, 'plain-a') } }));
    const result = await run(['--plan', plain, 'wal', 'push', 'database', 'pg_wal/000000010000000000000001'], server.dataDir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('components.database has no pitr:');
  });
});
