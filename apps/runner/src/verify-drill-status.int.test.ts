import { readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, test } from '@lifeboat/testkit';
import { backupFiles, lifeboat, postgresPlan, eachWorkspace } from './test/harness.js';

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g');
  await client.end();
}

const DRILL = '    drill: { target: ephemeral }\n';

describe('verify, drill and status through the runner', () => {
  const ws = eachWorkspace();

  /** A committed backup in two destinations a and b; returns env and the dump's path in each. */
  async function backedUp(server: { host: string; port: number; password: string }, db: { name: string }, extra = '') {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await seed(url);
    await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a'), b: join(ws.dir, 'b') }, tables: ['t'], extra }));
    const env = { TEST_DATABASE_URL: url };
    expect((await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
    const dump = (await backupFiles(join(ws.dir, 'a'))).find((f) => f.endsWith('database.dump'))!;
    return { env, dumpA: join(ws.dir, 'a', dump), dumpB: join(ws.dir, 'b', dump), manifests: ['a', 'b'].map((d) => join(ws.dir, d, dump.replace('database.dump', 'manifest.json'))) };
  }

  const damages: Array<[string, (file: string) => Promise<void>, RegExp]> = [
    ['a flipped byte', async (f) => {
      const bytes = await readFile(f);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      await writeFile(f, bytes);
    }, /database\.dump in destination 'a' .* has \d+ bytes with sha256 .*; the manifest says/],
    ['truncation', (f) => truncate(f, 1000), /database\.dump in destination 'a' .* has 1000 bytes/],
    ['a missing artifact', (f) => unlink(f), /cannot read database\.dump from destination 'a' .*does not exist/],
  ];
  for (const [what, damage, expected] of damages) {
    test(`verify finds ${what} in one destination, passes the other, and deletes nothing (exit 3)`, async ({ pg: server, db }) => {
      const { env, dumpA } = await backedUp(server, db);
      expect((await lifeboat(['--plan', ws.plan, 'verify'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
      await damage(dumpA);
      const before = await backupFiles(join(ws.dir, 'a'));
      const run = await lifeboat(['--plan', ws.plan, 'verify', '--json'], { env, lockDir: ws.lockDir });
      expect(run.exitCode).toBe(3);
      const copies = JSON.parse(run.stdout) as Array<{ destination: string; ok: boolean; problems: string[] }>;
      expect(copies.map((c) => [c.destination, c.ok])).toEqual([['a', false], ['b', true]]);
      expect(copies[0]!.problems[0]).toMatch(expected);
      expect(await backupFiles(join(ws.dir, 'a'))).toEqual(before);
      const status = await lifeboat(['--plan', ws.plan, 'status', '--json'], { env, lockDir: ws.lockDir });
      expect(status.exitCode).toBe(3);
      expect(JSON.parse(status.stdout)[0].lastVerify.ok).toBe(false);
    });
  }

  test('verify --deep checks structure with pg_restore --list', async ({ pg: server, db }) => {
    const { env } = await backedUp(server, db);
    const run = await lifeboat(['--plan', ws.plan, '--log-format', 'human', 'verify', '--deep'], { env, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/database\.dump: \d+ archive entries \(pg_restore --list\)/);
  });

  test('drill restores into a throwaway server, records the RTO actual, and status shows it', async ({ pg: server, db }) => {
    const { env } = await backedUp(server, db, DRILL);
    const drill = await lifeboat(['--plan', ws.plan, 'drill', '--json'], { env, lockDir: ws.lockDir });
    expect(drill.stderr).toBe('');
    expect(drill.exitCode).toBe(0);
    const [result] = JSON.parse(drill.stdout);
    expect(result).toMatchObject({ component: 'database', ok: true, rtoTargetMs: 4 * 3_600_000, checks: [{ name: 'rows in t', expected: 5000, actual: 5000, ok: true }] });
    expect(result.rtoActualMs).toBeGreaterThan(0);
    expect(result.target).toMatch(/^a throwaway PostgreSQL 1\d\.\d+ \(database lifeboat_drill_[0-9a-f]{8}\)$/);

    const status = JSON.parse((await lifeboat(['--plan', ws.plan, 'status', '--json'], { env, lockDir: ws.lockDir })).stdout)[0];
    expect(status.lastDrill).toMatchObject({ ok: true, rtoActualMs: result.rtoActualMs });
    const history = await lifeboat(['--plan', ws.plan, 'history', 'database'], { env, lockDir: ws.lockDir });
    expect(history.stdout).toMatch(/backup +database +ok/);
    expect(history.stdout).toMatch(/drill +database +ok .*RTO actual/);
  });

  test('a drill whose restore does not match the manifest fails with exit 3 and the counts', async ({ pg: server, db }) => {
    const { env, manifests } = await backedUp(server, db, DRILL);
    for (const file of manifests) {
      const manifest = JSON.parse(await readFile(file, 'utf8'));
      manifest.facts.tables.t = 5001;
      await writeFile(file, JSON.stringify(manifest));
    }
    const drill = await lifeboat(['--plan', ws.plan, 'drill'], { env, lockDir: ws.lockDir });
    expect(drill.exitCode).toBe(3);
    expect(drill.stdout).toMatch(/rows in t expected 5001, got 5000/);
    const status = JSON.parse((await lifeboat(['--plan', ws.plan, 'status', '--json'], { env, lockDir: ws.lockDir })).stdout)[0];
    expect(status).toMatchObject({ health: 'critical', severity: 'sev1', lastDrill: { ok: false } });
  });

  test('status follows the clock: ok, then warning near the RPO, then critical past it; prometheus file written', async ({ pg: server, db }) => {
    const { env } = await backedUp(server, db, DRILL);
    await ws.writePlan((await readFile(ws.plan, 'utf8')).replace('name: test\n', 'name: test\nrule321: { copies: 3, media: 1, offsite: 0 }\n'));
    expect((await lifeboat(['--plan', ws.plan, 'drill'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
    const status = (hours: number) =>
      lifeboat(['--plan', ws.plan, 'status', '--json', '--prometheus', join(ws.dir, 'lifeboat.prom')], {
        env: { ...env, LIFEBOAT_NOW: new Date(Date.now() + hours * 3_600_000).toISOString() },
        lockDir: ws.lockDir,
      });
    const ok = await status(0);
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout)[0]).toMatchObject({ health: 'ok', compliance: { copies: 3, ok: true } });
    expect(await readFile(join(ws.dir, 'lifeboat.prom'), 'utf8')).toMatch(/^lifeboat_health\{plan="test",component="database",kind="postgres"\} 0$/m);
    const warning = await status(20);
    expect(warning.exitCode).toBe(3);
    expect(JSON.parse(warning.stdout)[0]).toMatchObject({ health: 'warning', freshness: 'warning' });
    const critical = await status(25);
    expect(JSON.parse(critical.stdout)[0]).toMatchObject({ health: 'critical', severity: 'sev2' });
    expect(await readFile(join(ws.dir, 'lifeboat.prom'), 'utf8')).toMatch(/^lifeboat_health\{.*\} 2$/m);
  });
});
