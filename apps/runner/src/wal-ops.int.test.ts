import { execFileSync } from 'node:child_process';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EphemeralPostgres } from '@lifeboat/ephemeral';
import { BASE_BACKUP_WATCH } from '@lifeboat/strategies';
import { lifeboat, postgresPlan } from './test/harness.js';
import { PITR, archivedEntry, archiverDone, closeSegment, query, sharedDir, startArchivingPostgres, until } from './test/wal-server.js';

/** The WAL archive's operations against a real PostgreSQL 15: status, prune, verify and wal setup. */
describe('WAL archive operations: status, prune, verify, wal setup', () => {
  let dir: string;
  let lockDir: string;
  let keyFile: string;
  let recipient: string;
  /** What the server's archive_command uses (recipient only, readable by the postgres user). */
  let archivePlan: string;
  /** What the operator runs (with the identity). */
  let plan: string;
  let server: EphemeralPostgres;
  let env: Record<string, string>;
  const archive = () => join(dir, 'archive');

  const planText = (identity: boolean, extra = '') =>
    postgresPlan({ destinations: { archive: archive() }, extra: PITR + extra }).replace(
      'name: test\n',
      `name: test\nencryption:\n  recipients: [${recipient}]\n${identity ? `  identity: file:${keyFile}\n` : ''}`,
    );
  const run = (args: string[], more: Record<string, string> = {}) => lifeboat(['--plan', plan, ...args], { lockDir, env: { ...env, ...more } });
  const status = async (more: Record<string, string> = {}) => {
    const result = await run(['status', '--json'], more);
    const [database] = JSON.parse(result.stdout) as Array<{ health: string; severity?: string; reasons: string[]; archive?: { name: string; lines: string[]; fields: { wal: Wal } } }>;
    return { ...result, database: database!, wal: database!.archive!.fields.wal };
  };
  interface Wal {
    walRpoMs: number;
    lastSegment?: { file: string; archivedAt: string; ageMs: number };
    caughtUp?: boolean;
    missing: string[];
    archiver?: { failedCount: number; failing: boolean; lastFailedWal?: string };
    archiverError?: string;
    window?: { from: string; baseBackup: string; startWalFile: string; to: string; toFile: string };
  }
  const backup = async () => {
    const result = await run(['backup', 'database']);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    const list = JSON.parse((await run(['list', 'database', '--json'])).stdout) as Array<{ id: string }>;
    const id = list.at(-1)!.id;
    const manifest = JSON.parse(await readFile(execFileSync('sh', ['-c', `ls ${archive()}/database/*/*/${id}/manifest.json`]).toString().trim(), 'utf8'));
    return { id, facts: manifest.facts.baseBackup as { startWalFile: string; stopTime: string } };
  };
  /** Segments closed and archived, PostgreSQL's archiver done with them. */
  const archiveSegments = async (n: number) => {
    const names: string[] = [];
    for (let i = 0; i < n; i++) names.push(await closeSegment(server));
    for (const name of names) await until(`${name} archived`, () => archivedEntry(archive(), 'database', name));
    await archiverDone(server, names.at(-1)!);
    return names;
  };
  /** Every file of the archive (entries and stored objects), for "nothing changed". */
  const archiveFiles = async () => {
    const base = join(archive(), 'wal', 'database');
    const out: string[] = [];
    for (const cluster of (await readdir(base)).filter((n) => /^\d+$/.test(n))) {
      for (const tl of await readdir(join(base, cluster))) for (const f of await readdir(join(base, cluster, tl))) out.push(`${tl}/${f}`);
    }
    return out.sort();
  };
  const storedOf = async (file: string) => {
    const { path, entry } = (await archivedEntry(archive(), 'database', file))!;
    return { entryPath: path, objectPath: join(path, '..', (entry.stored as { name: string }).name) };
  };

  beforeAll(async () => {
    dir = await sharedDir();
    lockDir = join(dir, 'locks');
    keyFile = join(dir, 'age.key');
    recipient = (await lifeboat(['keys', 'generate', '--out', keyFile], { lockDir })).stdout.trim();
    archivePlan = join(dir, 'archive.yaml');
    await writeFile(archivePlan, planText(false), { mode: 0o644 });
    plan = join(dir, 'lifeboat.yaml');
    await writeFile(plan, planText(true));
    server = await startArchivingPostgres(archivePlan);
    env = { TEST_DATABASE_URL: `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/postgres` };
    await archiveSegments(1);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('status: the newest archived segment and its age against walRpo, the archiver, the recoverable window; past walRpo the component is critical', async () => {
    const base = await backup();
    const [, last] = await archiveSegments(2);
    // Written after the last switch and not archived yet: there is WAL at risk, so the segment's age counts.
    await query(server, 'INSERT INTO churn (v) VALUES (\'pending\')');

    const fresh = await status();
    expect(fresh.wal.lastSegment?.file).toBe(last);
    expect(fresh.wal.caughtUp).toBe(false);
    expect(fresh.wal.missing).toEqual([]);
    expect(fresh.wal.archiver).toMatchObject({ failing: false, failedCount: 0 });
    expect(fresh.wal.window).toMatchObject({ baseBackup: base.id, startWalFile: base.facts.startWalFile, from: base.facts.stopTime, toFile: last });
    expect(fresh.database.reasons.join('\n')).not.toContain('walRpo');
    expect(fresh.database.health).not.toBe('critical'); // only "never drilled" (a warning)

    const human = await run(['status']);
    expect(human.stdout).toContain(`database (WAL archive):\n  WAL: last ${last} archived`);
    expect(human.stdout).toContain(`recoverable window: ${base.facts.stopTime} (end of base backup ${base.id})`);

    // Six minutes after the segment was archived, with walRpo 5m: past it.
    const later = new Date(Date.parse(fresh.wal.lastSegment!.archivedAt) + 6 * 60_000).toISOString();
    const stale = await status({ LIFEBOAT_NOW: later });
    expect(stale.exitCode).toBe(3);
    expect(stale.database.health).toBe('critical');
    expect(stale.database.severity).toBe('sev2');
    expect(stale.database.reasons).toContain(`the newest archived WAL segment of database (${last}) is 6m old, past its walRpo of 5m`);
    const metrics = join(dir, 'lifeboat.prom');
    await run(['status', '--prometheus', metrics], { LIFEBOAT_NOW: later });
    expect(await readFile(metrics, 'utf8')).toMatch(/lifeboat_wal_last_archived_timestamp_seconds\{plan="test",component="database",kind="postgres"\} \d+/);
  }, 120_000);

  test('status: a segment missing from the archive after the base backup shows as a gap, and the window closes', async () => {
    const names = await archiveSegments(3);
    const gone = await storedOf(names[1]!);
    const aside = join(dir, 'aside');
    await rename(gone.entryPath, `${aside}.json`);
    await rename(gone.objectPath, `${aside}.object`);
    try {
      const gap = await status();
      expect(gap.wal.missing).toEqual([names[1]]);
      expect(gap.database.health).toBe('critical');
      expect(gap.database.reasons).toContain(`the WAL archive of database lacks 1 segment(s) in every destination (${names[1]}): a restore cannot replay past them`);
      expect(gap.wal.window).toBeUndefined();
      expect((await run(['status'])).stdout).toContain('recoverable window: none');
    } finally {
      await rename(`${aside}.json`, gone.entryPath);
      await rename(`${aside}.object`, gone.objectPath);
    }
    expect((await status()).wal.missing).toEqual([]);
  }, 120_000);

  test('verify reads archived segments whole: the newest always, all with --deep; a damaged one fails it (exit 3) naming the file', async () => {
    const names = await archiveSegments(2);
    const clean = await run(['verify', 'database', '--json']);
    expect(clean.exitCode, clean.stdout).toBe(0);
    const wal = (JSON.parse(clean.stdout) as Array<{ archive?: { name: string; files: number; read: number }; ok: boolean }>).find((c) => c.archive);
    expect(wal).toMatchObject({ ok: true, archive: { name: 'WAL archive' } });
    expect(wal!.archive!.read).toBeGreaterThanOrEqual(1);

    // Same size, one byte different: only reading it whole finds it.
    const flip = async (file: string) => {
      const { objectPath } = await storedOf(file);
      const bytes = await readFile(objectPath);
      bytes[bytes.length - 20]! ^= 0xff;
      await writeFile(objectPath, bytes);
    };
    await flip(names[1]!);
    try {
      const sampled = await run(['verify', 'database', '--json']);
      expect(sampled.exitCode).toBe(3);
      expect(sampled.stdout).toContain(`${names[1]} in destination 'archive'`);
    } finally {
      await flip(names[1]!);
    }
    await flip(names[0]!);
    try {
      const deep = await run(['verify', 'database', '--deep', '--json']);
      expect(deep.exitCode).toBe(3);
      const problems = (JSON.parse(deep.stdout) as Array<{ archive?: unknown; problems: string[] }>).filter((c) => c.archive).flatMap((c) => c.problems);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${names[0]} in destination 'archive' `));
    } finally {
      await flip(names[0]!);
    }
  }, 180_000);

  test('wal setup prints the postgresql.conf lines; --check compares the live server and names each wrong setting (exit 3)', async () => {
    const printed = await lifeboat(['--plan', archivePlan, 'wal', 'setup', 'database'], { lockDir, env });
    expect(printed.exitCode).toBe(0);
    expect(printed.stdout).toContain(`archive_command = 'lifeboat --plan ${archivePlan} wal push database %p'`);
    expect(printed.stdout).toMatch(/^archive_timeout = 150 +# seconds: half of walRpo 5m/m);
    expect(printed.stdout).toMatch(/^archive_mode = on /m);
    expect(printed.stdout).toContain(`# restore_command = 'lifeboat --plan ${archivePlan} wal get database %f %p'`);

    const check = (p: string) => lifeboat(['--plan', p, 'wal', 'setup', 'database', '--check'], { lockDir, env });
    const off = await check(archivePlan);
    expect(off.exitCode).toBe(3);
    expect(off.stdout).toContain('  ok     archive_mode = on');
    expect(off.stderr).toContain('archive_timeout is 0 (off)');
    expect(off.stderr).not.toContain('archive_command');

    await query(server, 'ALTER SYSTEM SET archive_timeout = 150');
    await query(server, 'SELECT pg_reload_conf()');
    await until('archive_timeout reloaded', async () => ((await query<{ t: string }>(server, "SELECT current_setting('archive_timeout') AS t"))[0]!.t === '150s' ? true : undefined));
    try {
      const good = await check(archivePlan);
      expect(good.stderr).toBe('');
      expect(good.exitCode).toBe(0);
      // Another plan: the server archives with a different one.
      const other = await check(plan);
      expect(other.exitCode).toBe(3);
      expect(other.stderr).toContain(`archive_command pushes with the plan ${archivePlan}, not ${plan}`);
      const json = JSON.parse((await lifeboat(['--plan', plan, 'wal', 'setup', 'database', '--check', '--json'], { lockDir, env })).stdout);
      expect(json.check.checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name)).toEqual(['archive_command']);

      await query(server, 'ALTER SYSTEM SET archive_timeout = 600');
      await query(server, 'SELECT pg_reload_conf()');
      await until('archive_timeout reloaded', async () => ((await query<{ t: string }>(server, "SELECT current_setting('archive_timeout') AS t"))[0]!.t === '10min' ? true : undefined));
      const large = await check(archivePlan);
      expect(large.exitCode).toBe(3);
      expect(large.stderr).toContain('archive_timeout is 600s, larger than walRpo 5m (expected 150)');
    } finally {
      await query(server, 'ALTER SYSTEM RESET archive_timeout');
      await query(server, 'SELECT pg_reload_conf()');
    }
  });

  test("status shows PostgreSQL's archiver failing (pg_stat_archiver) as critical; an unreachable server is a warning, not a crash", async () => {
    // archive_command fails: the destination of the plan it pushes with is a path under a file.
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'a file where a folder should be');
    const good = await readFile(archivePlan, 'utf8');
    await writeFile(archivePlan, good.replace(`archive: { type: fs, path: ${JSON.stringify(archive())}`, `archive: { type: fs, path: ${JSON.stringify(join(blocker, 'archive'))}`), { mode: 0o644 });
    expect(await readFile(archivePlan, 'utf8')).not.toEqual(good);
    try {
      const stuck = await closeSegment(server);
      await until('the archiver failing', async () => {
        const [row] = await query<{ n: string }>(server, 'SELECT failed_count AS n FROM pg_stat_archiver');
        return Number(row!.n) > 0 ? true : undefined;
      });
      const failing = await status();
      // The segment closed here, or one the server closed after it on its own (a checkpoint, archive_timeout).
      expect(failing.wal.archiver).toMatchObject({ failing: true });
      expect(failing.wal.archiver!.lastFailedWal! >= stuck, `${failing.wal.archiver!.lastFailedWal} is not ${stuck} or later`).toBe(true);
      expect(failing.database.health).toBe('critical');
      expect(failing.database.reasons.find((r) => r.startsWith("PostgreSQL's archiver of database is failing"))).toContain(`the last for ${failing.wal.archiver!.lastFailedWal}`);
      expect((await run(['status'])).stdout).toMatch(/archiver: FAILING: \d+ archived, \d+ failed/);

      // A base backup waits for its last WAL segment to be archived: with the archiver failing it stops with a
      // sentence instead of waiting for ever, and commits nothing.
      const before = (JSON.parse((await run(['list', 'database', '--json'])).stdout) as unknown[]).length;
      const watch = { ...BASE_BACKUP_WATCH };
      BASE_BACKUP_WATCH.askAfterMs = 2_000;
      try {
        const stopped = await run(['backup', 'database']);
        expect(stopped.exitCode).toBe(1);
        expect(stopped.stdout + stopped.stderr).toContain('archive_command is failing (pg_stat_archiver:');
        expect(stopped.stdout + stopped.stderr).toContain('nothing was committed');
      } finally {
        Object.assign(BASE_BACKUP_WATCH, watch);
      }
      expect(JSON.parse((await run(['list', 'database', '--json'])).stdout)).toHaveLength(before);
    } finally {
      await writeFile(archivePlan, good, { mode: 0o644 });
    }
    await archiveSegments(1);

    const unreachable = await status({ TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(unreachable.wal.archiverError).toContain('connection refused');
    expect(unreachable.wal.lastSegment).toBeDefined();
    expect(unreachable.database.reasons.join('\n')).toContain("cannot ask database's server about its archiver");
  }, 180_000);

  test('prune deletes only WAL older than the oldest kept base backup (entries first), keeps the chain from it complete; --dry-run explains and changes nothing', async () => {
    const first = await backup();
    await archiveSegments(2);
    const second = await backup();
    const [, last] = await archiveSegments(2);
    // Verified intact, the newest backup is "known good": retention need not keep an older one for that.
    expect((await run(['verify', 'database'])).exitCode).toBe(0);
    await writeFile(plan, planText(true, '    prune: manual\n    retention: { archive: { keepLast: 1 } }\n'));

    const before = await archiveFiles();
    const dry = await run(['prune', 'database', '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    const planned = (JSON.parse(dry.stdout) as Array<{ destinations: Array<{ archive: { summary: string; remove: { files: number; through: string }; keep: { from: string } } }> }>)[0]!
      .destinations[0]!.archive;
    expect(planned.remove.files).toBeGreaterThan(0);
    expect(planned.keep.from).toBe(second.facts.startWalFile);
    expect(planned.remove.through.slice(8, 24) < second.facts.startWalFile.slice(8)).toBe(true);
    expect(planned.summary).toContain(`would be deleted: base backup ${second.id} is the oldest kept and needs WAL from ${second.facts.startWalFile} on`);
    expect(await archiveFiles()).toEqual(before);
    const human = await run(['prune', 'database', '--dry-run'], {});
    expect(human.stdout).toContain(`up to ${planned.remove.through} would be deleted`);
    // Without --yes nothing goes either, and it says what --yes would delete.
    const unconfirmed = await run(['prune', 'database']);
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stderr).toMatch(/pass --yes to delete the 2 backup folders and \d+ archived WAL files above/);
    expect(await archiveFiles()).toEqual(before);

    const pruned = await run(['prune', 'database', '--yes', '--json']);
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    const after = await archiveFiles();
    const position = (f: string) => f.split('/')[1]!.slice(8, 24);
    const segments = (files: string[]) => files.filter((f) => /\/[0-9A-F]{24}\.json$/.test(f));
    // Every segment from the kept base backup's first WAL file on is still there; none older is.
    expect(segments(after).every((f) => position(f) >= second.facts.startWalFile.slice(8))).toBe(true);
    expect(segments(after)).toEqual(segments(before).filter((f) => position(f) >= second.facts.startWalFile.slice(8)));
    expect(after.some((f) => f.endsWith(`${first.facts.startWalFile}.json`))).toBe(false);
    expect(after.some((f) => f.includes(`${second.facts.startWalFile}.`) && f.endsWith('.backup.json'))).toBe(true);
    // No stored object is left without its entry, or the other way round.
    const stems = (suffix: RegExp) => after.filter((f) => suffix.test(f)).map((f) => f.replace(suffix, '')).sort();
    expect(stems(/\.gz\.age$/)).toEqual(stems(/\.json$/));

    // The chain a restore to latest from the kept base backup reads is complete.
    const verify = await run(['wal', 'verify', 'database', '--json']);
    expect(verify.exitCode, verify.stdout).toBe(0);
    const timeline = JSON.parse(verify.stdout).destinations[0].timelines[0];
    expect(timeline).toMatchObject({ first: second.facts.startWalFile, missing: [] });
    expect(timeline.last >= last!).toBe(true);
    expect((await status()).wal.window).toMatchObject({ baseBackup: second.id });

    // Nothing older than the oldest kept base backup is left: a second prune deletes nothing.
    const again = await run(['prune', 'database', '--yes', '--json']);
    expect((JSON.parse(again.stdout) as Array<{ destinations: Array<{ archive: { removed: number } }> }>)[0]!.destinations[0]!.archive.removed).toBe(0);
  }, 240_000);
});
