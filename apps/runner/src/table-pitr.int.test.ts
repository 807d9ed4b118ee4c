import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EphemeralPostgres } from '@lifeboat/ephemeral';
import { lifeboat, postgresPlan } from './test/harness.js';
import { PITR, archivedEntry, archiverDone, closeSegment, query, sharedDir, startArchivingPostgres, until, firstArchived } from './test/wal-server.js';

/**
 * The seam of table-level restore and PITR, against a real PostgreSQL 15
 * archiving with the built CLI: `--table … --as-of T` on a component with
 * `pitr:` reads the tables from a server recovered to T (base backup + WAL),
 * so rows written after the last backup come back too. One archiving server
 * for the file; its tests run in order.
 */
describe('restore database --table --as-of on a pitr: component (tables from a server recovered to the time)', () => {
  let dir: string;
  let lockDir: string;
  let plan: string;
  let server: EphemeralPostgres;
  let env: Record<string, string>;
  let asOf: string;
  let schema: string;
  // A run that has not finished well inside the test's own timeout is cancelled, so the failure shows where it stood.
  const deadline = () => AbortSignal.timeout(150_000);
  const run = (args: string[]) => lifeboat(['--plan', plan, '--log-format', 'human', ...args], { lockDir, env, signal: deadline() });
  const ids = async (sql: string) => (await query<{ id: number }>(server, sql)).map((r) => r.id);
  const restoredSchemas = async () => (await query<{ nspname: string }>(server, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'lifeboat_restored_%' ORDER BY 1")).map((r) => r.nspname);

  beforeAll(async () => {
    dir = await sharedDir();
    lockDir = join(dir, 'locks');
    plan = join(dir, 'lifeboat.yaml');
    await writeFile(plan, postgresPlan({ destinations: { archive: join(dir, 'archive') }, tables: ['items'], extra: PITR }), { mode: 0o644 });
    server = await startArchivingPostgres(plan);
    await firstArchived(server, join(dir, 'archive'));
    env = { TEST_DATABASE_URL: `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/postgres` };

    await query(server, "CREATE TABLE items (id int PRIMARY KEY, batch text NOT NULL); INSERT INTO items SELECT g, 'before the backup' FROM generate_series(1, 50) g");
    const backup = await run(['backup', 'database']);
    expect(backup.exitCode, backup.stdout + backup.stderr).toBe(0);
    // Written after the last backup: no dump holds these rows, the WAL does.
    await query(server, "INSERT INTO items SELECT g, 'after the backup' FROM generate_series(51, 80) g");
    asOf = (await query<{ t: string }>(server, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t"))[0]!.t;
    // The accident (rows from before and after the backup), and life going on after it.
    await query(server, 'DELETE FROM items WHERE id IN (3, 4, 5, 60, 61)');
    await query(server, "INSERT INTO items VALUES (100, 'after the deletion')");
    await closeSegment(server);
    const last = await closeSegment(server);
    await until(`${last} archived`, () => archivedEntry(join(dir, 'archive'), 'database', last));
    await archiverDone(server, last);
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('--as-of T: the tables come from the server recovered to T; exactly the deleted rows are missing, those written after the last backup included; nothing live changed', async () => {
    const before = await ids('SELECT id FROM items ORDER BY id');
    const result = await lifeboat(['--plan', plan, 'restore', 'database', '--table', 'public.items', '--as-of', asOf, '--into', 'env:TEST_DATABASE_URL', '--json'], { lockDir, env, signal: deadline() });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as {
      report: { schema: string; backupId: string; source: { kind: string; description: string }; tables: Array<Record<string, unknown>> };
      checks: unknown[];
    };
    expect(out.report.source.kind).toBe('pitr');
    expect(out.report.source.description).toBe(`a throwaway PostgreSQL recovered to ${new Date(Date.parse(asOf.replace(' ', 'T') + ':00')).toISOString()} from base backup ${out.report.backupId} + WAL`);
    // 80 rows at T: the 30 written after the backup are there, which a restore from the dump (50 rows) could not give.
    expect(out.report.tables).toEqual([
      expect.objectContaining({ table: 'public.items', restoredRows: 80, liveRows: 76, primaryKey: ['id'], missingFromLive: 5, onlyInLive: 1, differing: 0 }),
    ]);
    schema = out.report.schema;
    expect(await ids(`SELECT id FROM ${schema}.items WHERE id NOT IN (SELECT id FROM public.items) ORDER BY id`)).toEqual([3, 4, 5, 60, 61]);
    expect(await ids('SELECT id FROM items ORDER BY id')).toEqual(before);
  }, 180_000);

  test('--copy-missing-rows --yes brings back exactly the deleted rows; the report names the source', async () => {
    const result = await run(['restore', 'database', '--table', 'public.items', '--as-of', asOf, '--into', 'env:TEST_DATABASE_URL', '--copy-missing-rows', '--yes']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/source: a throwaway PostgreSQL recovered to \S+ from base backup \S+ \+ WAL/);
    expect(result.stdout).toContain('5 rows in the restored copy are missing from the live table (by id)');
    expect(result.stdout).toContain('inserted 5 rows into public.items');
    expect(await ids('SELECT id FROM items ORDER BY id')).toEqual([...Array.from({ length: 80 }, (_, i) => i + 1), 100]);
    expect((await query<{ batch: string }>(server, 'SELECT batch FROM items WHERE id IN (60, 61)')).map((r) => r.batch)).toEqual(['after the backup', 'after the backup']);
  }, 180_000);

  test('a table that does not exist at T: one sentence naming it, exit 2, nothing restored into the live database', async () => {
    const schemas = await restoredSchemas();
    const result = await run(['restore', 'database', '--table', 'public.nothere', '--as-of', asOf, '--into', 'env:TEST_DATABASE_URL']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(2);
    expect(result.stdout + result.stderr).toMatch(/recovered to \S+ from base backup \S+ \+ WAL holds no table public\.nothere in database postgres; nothing was restored/);
    expect(await restoredSchemas()).toEqual(schemas);
  }, 180_000);

  test('without --as-of the newest dump is the source (as on a component without pitr:); --as-of with --backup is refused', async () => {
    const result = await lifeboat(['--plan', plan, 'restore', 'database', '--table', 'public.items', '--into', 'env:TEST_DATABASE_URL', '--json'], { lockDir, env, signal: deadline() });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { report: { source: { kind: string; description: string }; tables: Array<Record<string, unknown>> } };
    expect(out.report.source.kind).toBe('dump');
    expect(out.report.source.description).toMatch(/^a throwaway PostgreSQL 15\.\S* loaded from backup \S+$/);
    expect(out.report.tables).toEqual([expect.objectContaining({ table: 'public.items', restoredRows: 50 })]);

    const both = await run(['restore', 'database', '--table', 'public.items', '--as-of', asOf, '--backup', 'latest', '--into', 'env:TEST_DATABASE_URL']);
    expect(both.exitCode).toBe(2);
    expect(both.stdout + both.stderr).toContain('--as-of and --backup both choose the backup; give one');
  }, 180_000);
});
