import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from '@lifeboat/testkit';
import { backupFiles, eachWorkspace, lifeboat, postgresPlan } from './test/harness.js';
import { seed } from './test/pg-tools.js';

/** Backup ids in a destination, oldest first. */
async function ids(dir: string): Promise<string[]> {
  return [...new Set((await backupFiles(dir)).map((f) => f.split('/')[3]!))].sort();
}

describe('clocks and verify results through the runner (issue 11)', () => {
  const ws = eachWorkspace();

  /** A plan over destinations a and b keeping `keepLast` in each, and a runner that runs as of a given UTC time. */
  async function setup(server: { host: string; port: number; password: string }, db: { name: string }, keepLast: number) {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await seed(url, 1000);
    const retention = `    prune: manual\n    retention:\n      a: { keepLast: ${keepLast} }\n      b: { keepLast: ${keepLast} }\n`;
    await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a'), b: join(ws.dir, 'b') }, tables: ['t'], extra: retention }));
    const run = (args: string[], now: string) =>
      lifeboat(['--plan', ws.plan, '--log-format', 'human', ...args], { env: { TEST_DATABASE_URL: url, LIFEBOAT_NOW: now }, lockDir: ws.lockDir });
    /** Real backups, one a day at 02:00 UTC from 2030-01-01. */
    for (const day of [1, 2, 3]) {
      const backup = await run(['backup'], `2030-01-0${day}T02:00:00Z`);
      expect(backup.stderr).toBe('');
      expect(backup.exitCode).toBe(0);
    }
    return run;
  }

  test('fault 11.5: a backup written with the clock a year ahead prunes no real backup, and status warns about it without a negative age', async ({ pg: server, db }) => {
    const run = await setup(server, db, 2);
    const [day1, day2, day3] = await ids(join(ws.dir, 'a'));
    expect((await run(['backup'], '2031-01-03T02:00:00Z')).exitCode).toBe(0);
    const ahead = (await ids(join(ws.dir, 'a'))).at(-1)!;
    expect(ahead.startsWith('20310103T020000Z')).toBe(true);
    const now = '2030-01-03T12:00:00Z';

    const dry = await run(['prune', '--dry-run'], now);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain(`keep   ${ahead} in a: dated in the future (2031-01-03T02:00:00.000Z, 364d 14h ahead of now): kept, check the clock of the host that wrote it\n`);
    expect(dry.stdout).toContain(`keep   ${day3} in a: newest (minimum 1); keepLast #1\n`);
    expect(dry.stdout).toContain(`keep   ${day2} in a: keepLast #2\n`);
    expect(dry.stdout).toContain(`would delete ${day1} in a: not kept by keepLast 2\n`);
    expect(dry.stdout).toContain(`  ! 1 backup of database in a is dated in the future (${ahead}, finished 2031-01-03T02:00:00.000Z); kept and not counted by the retention rules: check the clock of the host that wrote it`);

    const pruned = await run(['prune', '--yes'], now);
    expect(pruned.exitCode).toBe(0);
    for (const destination of ['a', 'b']) expect(await ids(join(ws.dir, destination))).toEqual([day2, day3, ahead]);

    const status = await run(['status', '--json'], now);
    expect(status.exitCode).toBe(3);
    const [database] = JSON.parse(status.stdout);
    expect(database).toMatchObject({
      health: 'warning',
      freshness: 'ok',
      ageMs: 10 * 3_600_000,
      lastBackup: { id: day3 },
      datedInFuture: [{ id: ahead, finishedAt: '2031-01-03T02:00:00.000Z' }],
    });
    expect(database.reasons).toContain(
      `backup ${ahead} of database is dated 364d 14h in the future (finished 2031-01-03T02:00:00.000Z): clock skew on the writing host? It does not count as fresh and prune keeps it`,
    );
    const table = await run(['status'], now);
    expect(table.stdout).not.toMatch(/ -\d/);
  });

  test('fault 11.6: when the newest backup is damaged in every copy, prune keeps the newest one verify found good, and the dry run says why', async ({ pg: server, db }) => {
    const run = await setup(server, db, 1);
    const [day1, day2, day3] = await ids(join(ws.dir, 'a'));
    expect((await run(['verify'], '2030-01-03T03:00:00Z')).exitCode).toBe(0);
    for (const destination of ['a', 'b']) {
      const dump = join(ws.dir, destination, (await backupFiles(join(ws.dir, destination))).find((f) => f.includes(day3!) && f.endsWith('database.dump'))!);
      const bytes = await readFile(dump);
      bytes[7777 % bytes.length]! ^= 0xff;
      await writeFile(dump, bytes);
    }
    // The second verify finds the newest damaged in both copies and the others intact (again).
    expect((await run(['verify'], '2030-01-03T04:00:00Z')).exitCode).toBe(3);
    const now = '2030-01-03T12:00:00Z';

    const dry = await run(['prune', '--dry-run'], now);
    expect(dry.exitCode).toBe(0);
    for (const destination of ['a', 'b']) {
      expect(dry.stdout).toContain(
        `keep   ${day2} in ${destination}: newest backup known good (verified at 2030-01-03T04:00:00.000Z), kept whatever the rules say: newer ones are not known good: ${day3} (damaged in a and b at 2030-01-03T04:00:00.000Z)\n`,
      );
      expect(dry.stdout).toContain(`would delete ${day1} in ${destination}: not kept by keepLast 1\n`);
    }

    expect((await run(['prune', '--yes'], now)).exitCode).toBe(0);
    for (const destination of ['a', 'b']) expect(await ids(join(ws.dir, destination))).toEqual([day2, day3]);
    // And it is restorable: the kept one verifies, the newer one does not.
    const verify = JSON.parse((await run(['verify', '--json'], now)).stdout) as Array<{ backupId: string; ok: boolean }>;
    expect(verify.map((c) => [c.backupId, c.ok])).toEqual([
      [day2, true],
      [day2, true],
      [day3, false],
      [day3, false],
    ]);
  });
});
