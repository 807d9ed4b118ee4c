import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, test } from '@lifeboat/testkit';
import { backupFiles, files, lifeboat, postgresPlan, eachWorkspace } from './test/harness.js';
import { seed } from './test/pg-tools.js';

const CIVICQ = fileURLToPath(new URL('../../../examples/civicq.yaml', import.meta.url));

/** Backup folders (`database/yyyy/mm/<id>`) in a destination, sorted. */
async function folders(dir: string): Promise<string[]> {
  return [...new Set((await backupFiles(dir)).map((f) => f.split('/').slice(0, 4).join('/')))].sort();
}

const idDay = (folder: string) => folder.split('/')[3]!.slice(0, 8);

describe('prune, pin and plan check through the runner', () => {
  const ws = eachWorkspace();

  /** A plan over destinations a and b, and a runner that runs as of a given UTC time. */
  async function setup(server: { host: string; port: number; password: string }, db: { name: string }, extra: string) {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await seed(url, 100);
    await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a'), b: join(ws.dir, 'b') }, tables: ['t'], extra }));
    const run = (args: string[], now: string) =>
      lifeboat(['--plan', ws.plan, '--log-format', 'human', ...args], { env: { TEST_DATABASE_URL: url, LIFEBOAT_NOW: now }, lockDir: ws.lockDir });
    /** One backup a day at 02:00 UTC, 2030-01-01 on. */
    const backupDays = async (days: number) => {
      for (let day = 1; day <= days; day++) {
        const backup = await run(['backup'], `2030-01-0${day}T02:00:00Z`);
        expect(backup.stderr).toBe('');
        expect(backup.exitCode).toBe(0);
      }
    };
    return { run, backupDays };
  }

  test('explains every decision, deletes only with --yes, honours pins and legal holds, and journals the deletions', async ({ pg: server, db }) => {
    const { run, backupDays } = await setup(
      server,
      db,
      `    prune: manual
    retention:
      a: { within: 3d }
      b: { keepLast: 2 }
legalHolds:
  - { component: database, from: 2030-01-01, to: 2030-01-01, until: 2031-01-01, reason: audit 2029 }
`,
    );
    await backupDays(6);
    const all = await folders(join(ws.dir, 'a'));
    expect(all.map(idDay)).toEqual(['20300101', '20300102', '20300103', '20300104', '20300105', '20300106']);
    const id = (day: number) => all[day - 1]!.split('/')[3]!;
    const now = '2030-01-06T12:00:00Z';

    const pin = await run(['pin', 'database', id(2), '--reason', 'before the 2.0 migration'], now);
    expect(pin).toMatchObject({ exitCode: 0, stderr: '' });
    expect(pin.stdout).toBe(`pinned ${id(2)} of database in a, b: before the 2.0 migration\n`);
    expect(JSON.parse(await readFile(join(ws.dir, 'b', all[1]!, 'pin.json'), 'utf8'))).toMatchObject({ reason: 'before the 2.0 migration' });

    const dry = await run(['prune', '--dry-run'], now);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain(`keep   ${id(1)} in a: legal hold until 2031-01-01: audit 2029\n`);
    expect(dry.stdout).toContain(`keep   ${id(2)} in a: pinned: before the 2.0 migration\n`);
    expect(dry.stdout).toContain(`would delete ${id(3)} in a: older than 3d and not kept by any rule\n`);
    expect(dry.stdout).toContain(`keep   ${id(4)} in a: within 3d\n`);
    expect(dry.stdout).toContain(`keep   ${id(6)} in a: newest (minimum 1); within 3d\n`);
    expect(dry.stdout).toContain(`would delete ${id(4)} in b: not kept by keepLast 2\n`);
    expect(dry.stdout).toContain('dry run: nothing was deleted (3 backups and 0 debris folders would be)');
    expect(await folders(join(ws.dir, 'a'))).toEqual(all);

    // Without --yes nothing goes either, and the exit code says a confirmation was missing.
    const unconfirmed = await run(['prune'], now);
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stderr).toBe('lifeboat: nothing was deleted; pass --yes to delete the 3 backup folders above (or --dry-run to only look)\n');
    expect(await folders(join(ws.dir, 'b'))).toEqual(all);

    const pruned = await run(['prune', '--yes', '--json'], now);
    expect(pruned.exitCode).toBe(0);
    const [result] = JSON.parse(pruned.stdout);
    expect(result).toMatchObject({ component: 'database', outcome: 'ok', dryRun: false });
    expect(result.destinations.map((d: { destination: string; delete: Array<{ id: string; deleted: boolean; reason: string }> }) => [d.destination, d.delete])).toEqual([
      ['a', [{ id: id(3), finishedAt: expect.any(String), reason: 'older than 3d and not kept by any rule', deleted: true }]],
      [
        'b',
        [
          { id: id(3), finishedAt: expect.any(String), reason: 'not kept by keepLast 2', deleted: true },
          { id: id(4), finishedAt: expect.any(String), reason: 'not kept by keepLast 2', deleted: true },
        ],
      ],
    ]);
    expect((await folders(join(ws.dir, 'a'))).map(idDay)).toEqual(['20300101', '20300102', '20300104', '20300105', '20300106']);
    expect((await folders(join(ws.dir, 'b'))).map(idDay)).toEqual(['20300101', '20300102', '20300105', '20300106']);

    const list = JSON.parse((await run(['list', '--json'], now)).stdout) as Array<{ id: string; destinations: string[] }>;
    expect(list.find((e) => e.id === id(4))?.destinations).toEqual(['a']);
    const history = await run(['history', '--json'], now);
    const record = (JSON.parse(history.stdout) as Array<{ operation: string; components: Array<{ details: Record<string, unknown> }> }>).find((r) => r.operation === 'prune')!;
    expect(record.components[0]!.details).toMatchObject({ kept: 9, deleted: 3, debrisRemoved: 0 });

    // Deciding again deletes nothing more; once unpinned and past the hold, those two go too.
    expect((await run(['prune', '--yes'], now)).stdout).not.toMatch(/^ {2}delete /m);
    expect((await run(['unpin', 'database', id(2)], now)).stdout).toBe(`unpinned ${id(2)} of database in a, b\n`);
    expect((await run(['unpin', 'database', id(2)], now)).stdout).toBe(`${id(2)} of database was not pinned\n`);
    const later = await run(['prune', '--yes'], '2031-01-02T00:00:00Z');
    expect(later.exitCode).toBe(0);
    expect(later.stdout).toContain(`delete ${id(1)} in a: older than 3d and not kept by any rule\n`);
    expect((await folders(join(ws.dir, 'a'))).map(idDay)).toEqual(['20300106']);
    expect((await folders(join(ws.dir, 'b'))).map(idDay)).toEqual(['20300105', '20300106']);
  });

  test('pin refuses a backup that does not exist, with a sentence (exit 2)', async ({ pg: server, db }) => {
    const { run } = await setup(server, db, '');
    const pin = await run(['pin', 'database', '20300101T020000Z-abcdef', '--reason', 'x'], '2030-01-01T03:00:00Z');
    expect(pin.exitCode).toBe(2);
    expect(pin.stderr).toBe('lifeboat: no complete backup 20300101T020000Z-abcdef of database in any destination; lifeboat list database shows them\n');
    expect((await run(['pin', 'database', 'latest', '--reason', 'x'], '2030-01-01T03:00:00Z')).stderr).toMatch(/'latest' is not a backup id/);
  });

  test('removes debris older than a day and leaves a younger folder alone', async ({ pg: server, db }) => {
    const { run, backupDays } = await setup(server, db, '    prune: manual\n    retention: { a: { keepLast: 5 } }\n');
    await backupDays(1);
    const debris = async (id: string, mtime: string) => {
      const folder = join(ws.dir, 'a', 'database', '2030', '01', id);
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'database.dump'), 'half a dump');
      await utimes(join(folder, 'database.dump'), new Date(mtime), new Date(mtime));
    };
    await debris('20300101T030000Z-aaaaaa', '2030-01-01T03:00:00Z'); // a backup that died 33 hours ago
    await debris('20300102T110000Z-bbbbbb', '2030-01-02T11:00:00Z'); // an hour old: may still be running elsewhere

    const prune = await run(['prune', '--yes'], '2030-01-02T12:00:00Z');
    expect(prune.exitCode).toBe(0);
    expect(prune.stdout).toContain(
      'remove debris 20300101T030000Z-aaaaaa in a: no manifest (an interrupted backup or prune), last written 1d 9h ago: 1 object that no command treats as a backup\n',
    );
    expect(prune.stdout).toContain(
      'leaving database/2030/01/20300102T110000Z-bbbbbb/ in a: no manifest, but written 1h ago: possibly a backup in progress; debris once it is a day old\n',
    );
    expect((await files(join(ws.dir, 'a'))).filter((f) => f.includes('-aaaaaa') || f.includes('-bbbbbb'))).toEqual([
      'database/2030/01/20300102T110000Z-bbbbbb/database.dump',
    ]);
  });

  test('prune: auto prunes after each successful backup; prune: manual does not', async ({ pg: server, db }) => {
    const { run, backupDays } = await setup(server, db, '    retention: { a: { keepLast: 2 } }\n');
    await backupDays(3);
    expect((await folders(join(ws.dir, 'a'))).map(idDay)).toEqual(['20300102', '20300103']);
    expect((await folders(join(ws.dir, 'b'))).map(idDay)).toEqual(['20300101', '20300102', '20300103']);
    const backup = await run(['backup'], '2030-01-04T02:00:00Z');
    expect(backup.exitCode).toBe(0);
    expect(backup.stdout).toMatch(/^ {2}a: keeping 2 backups$/m);
    expect(backup.stdout).toMatch(/^ {2}delete 20300102T020000Z-[0-9a-f]{6} in a: not kept by keepLast 2$/m);
    expect(backup.stdout).toMatch(/^ {2}b: keeping 4 backups$/m);

    await ws.writePlan((await readFile(ws.plan, 'utf8')).replace('    retention:', '    prune: manual\n    retention:'));
    await backupDays(1);
    expect(await folders(join(ws.dir, 'a'))).toHaveLength(3);
  });

  test('a lifecycle that contradicts retention refuses backup, prune and plan check with sentences (exit 2)', async ({ pg: server, db }) => {
    const { run } = await setup(
      server,
      db,
      `    retention: { a: { within: 30d } }
lifecycle:
  a: { transitions: [{ days: 30, class: STANDARD_IA }, { days: 40, class: GLACIER }], expireDays: 20 }
`,
    );
    const now = '2030-01-01T02:00:00Z';
    const expected = [
      `${ws.plan}: lifecycle.a.transitions[1].days: objects leave STANDARD_IA for GLACIER at day 40, 10 days after moving to it at day 30; S3 bills STANDARD_IA for at least 30 days, so every object would pay an early-deletion fee; make it day 60 or later`,
      `${ws.plan}: lifecycle.a.expireDays: objects expire at day 20, before the transition to GLACIER at day 40 could happen; expire later or drop the transition`,
      `${ws.plan}: lifecycle.a: scope bucket moves every object to GLACIER (day 40) and deletes it at day 20, including manifest.json, pin.json, the repository marker lifeboat.json and the run journal under runs/: Lifeboat could no longer read its catalog without an archive restore; a manifest could vanish while its artifacts or pins remain, or outlive them; set scope: artifacts (Lifeboat tags artifact objects lifeboat-kind=artifact and the rule filters on that tag)`,
      `${ws.plan}: lifecycle.a.expireDays: S3 deletes objects in a after 20 days, but components.database.retention.a keeps backups within 30d; raise expireDays to at least 30 or shorten within`,
    ];
    const refusal = `lifeboat: 4 problems in the plan:\n${expected.map((p) => `- ${p}`).join('\n')}\n`;

    const backup = await run(['backup'], now);
    expect(backup).toMatchObject({ exitCode: 2, stderr: refusal });
    expect(await files(ws.dir).then((all) => all.filter((f) => f.startsWith('a/') || f.startsWith('b/')))).toEqual([]);
    expect(await run(['prune', '--dry-run'], now)).toMatchObject({ exitCode: 2, stderr: refusal });

    const check = await run(['plan', 'check'], now);
    expect(check).toMatchObject({ exitCode: 2, stderr: refusal });
    expect(check.stdout.split('\n')).toEqual([
      `note: ${ws.plan}: lifecycle.a: destination 'a' is type fs; only S3 buckets have lifecycle rules, so this rule is checked against the plan but nothing applies it there`,
      `note: ${ws.plan}: lifecycle.a: components.database.retention.a lets prune delete backups once they are 30d old, the day they move to STANDARD_IA at day 30; S3 bills STANDARD_IA for 30 days, so each pruned backup pays an early-deletion fee`,
      '',
    ]);
    const json = await run(['plan', 'check', '--json'], now);
    expect(json.exitCode).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, problems: expected });
  });
});

describe('the CivicQ example plan', () => {
  test('carries the guide’s retention table, legal holds and lifecycle, and passes plan check', async () => {
    const run = await lifeboat(['--plan', CIVICQ, 'plan', 'check', '--json'], { lockDir: '/tmp/lifeboat-civicq-check-locks', env: { LIFEBOAT_NOW: '2026-11-26T00:00:00Z' } });
    expect(run.exitCode).toBe(0);
    const check = JSON.parse(run.stdout);
    expect(check).toMatchObject({ ok: true, problems: [] });
    expect(check.notes).toEqual([expect.stringContaining('early-deletion fee')]);
    const human = await lifeboat(['--plan', CIVICQ, 'plan', 'check'], { lockDir: '/tmp/lifeboat-civicq-check-locks' });
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(/civicq\.yaml: the plan is valid, and its lifecycle rules agree with its retention and legal holds\n$/);
  });
});
