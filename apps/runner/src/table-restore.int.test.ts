import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, vi } from 'vitest';
import { describe, expect, test, type TestDatabase, type TestPostgres } from '@lifeboat/testkit';
import { eachWorkspace, files, lifeboat, postgresPlan } from './test/harness.js';
import { query as sql } from './test/pg-tools.js';

/** Table-level restore (issue 13): the chosen tables beside the live ones, compared by primary key; rows copied back only on request. */
describe('lifeboat restore database --table', () => {
  const ws = eachWorkspace();
  let tmp: string;
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  /**
   * From here on the restore's temp files and throwaway server go into a folder
   * of the test's own, so it can see they are gone (the postgres user must reach
   * it). Called once the worker's server has started, which must not go there.
   */
  async function ownTmp() {
    tmp = join(ws.dir, 'tmp');
    await mkdir(tmp);
    await chmod(ws.dir, 0o755);
    await chmod(tmp, 0o777);
    vi.stubEnv('TMPDIR', tmp);
  }

  const urlOf = (server: TestPostgres, db: TestDatabase) => `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;

  /** Every row of the live tables, in key order: what must not change unless rows are copied back. */
  async function liveContent(url: string) {
    return {
      users: await sql(url, 'SELECT * FROM public.users ORDER BY id'),
      orders: await sql(url, 'SELECT * FROM public.orders ORDER BY id'),
      notes: await sql(url, 'SELECT * FROM public.notes ORDER BY body'),
    };
  }

  /** users (serial key, unique email), orders (FK to users, ON DELETE CASCADE), notes (no key); backed up once. */
  async function backedUp(url: string, extra = '') {
    await sql(
      url,
      `CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, name text, joined date NOT NULL DEFAULT '2026-01-01');
       CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE CASCADE, amount numeric(10,2), tags text[]);
       CREATE TABLE notes (body text);
       INSERT INTO users (email, name) SELECT 'u' || g || '@example.org', 'User ' || g FROM generate_series(1, 50) g;
       INSERT INTO orders SELECT g, (g % 50) + 1, g * 1.5, ARRAY['a', 'tab\there', 'back\\slash'] FROM generate_series(1, 200) g;
       INSERT INTO notes VALUES ('one'), ('two');`,
    );
    await ws.writePlan(postgresPlan({ destinations: { local: join(ws.dir, 'repo') }, tables: ['users', 'orders'], extra }));
    const env = { TEST_DATABASE_URL: url };
    const backup = await lifeboat(['--plan', ws.plan, 'backup', 'database'], { env, lockDir: ws.lockDir });
    expect(backup.exitCode, backup.stdout + backup.stderr).toBe(0);
    return env;
  }

  /** The accident, and life going on after it. */
  async function deleteAndMoveOn(url: string) {
    await sql(url, 'DELETE FROM users WHERE id IN (3, 4, 5)'); // cascades to their 12 orders
    await sql(url, "INSERT INTO users (id, email, name) VALUES (100, 'new@example.org', 'After the backup')");
    await sql(url, "UPDATE users SET name = 'Changed since' WHERE id = 1");
  }

  /** The sentence of the run's `failed` event (JSON lines off a TTY). */
  const failure = (run: { stdout: string }) =>
    run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event?: string; message?: string })
      .find((e) => e.event === 'failed')?.message;

  const restoredSchemas = (url: string) => sql<{ nspname: string }>(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'lifeboat_restored_%' ORDER BY 1");

  async function leftovers(): Promise<string[]> {
    const names = await readdir(tmp);
    const servers = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(tmp));
    return [...names, ...servers];
  }

  test('reports exactly the deleted rows as missing and changes nothing in the live tables; --copy-missing-rows --yes brings back exactly them', async ({ pg: server, db }) => {
    const url = urlOf(server, db);
    await ownTmp();
    const env = await backedUp(url);
    await deleteAndMoveOn(url);
    const before = await liveContent(url);

    const report = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--table', 'public.users', '--table', 'orders', '--into', 'env:TEST_DATABASE_URL', '--json'], {
      env,
      lockDir: ws.lockDir,
    });
    expect(report.exitCode, report.stderr).toBe(0);
    const out = JSON.parse(report.stdout) as { report: { schema: string; copied: boolean; tables: Array<Record<string, unknown>> }; checks: Array<{ ok: boolean }> };
    expect(out.report.copied).toBe(false);
    expect(out.report.schema).toMatch(/^lifeboat_restored_\d{8}t\d{6}z$/);
    expect(out.report.tables).toEqual([
      expect.objectContaining({ table: 'public.users', live: true, restoredRows: 50, liveRows: 48, primaryKey: ['id'], missingFromLive: 3, onlyInLive: 1, differing: 1 }),
      expect.objectContaining({ table: 'public.orders', live: true, restoredRows: 200, liveRows: 188, primaryKey: ['id'], missingFromLive: 12, onlyInLive: 0, differing: 0 }),
    ]);
    // The restored copies hold what the backup recorded for verify.tables.
    expect(out.checks).toHaveLength(2);
    expect(out.checks.every((c) => c.ok)).toBe(true);
    expect(await liveContent(url)).toEqual(before);
    // The restored copy is there, under its new name, with the deleted rows.
    expect(await sql(url, `SELECT id, email, name FROM ${out.report.schema}.users WHERE id IN (3, 4, 5) ORDER BY id`)).toEqual(
      [3, 4, 5].map((id) => ({ id, email: `u${id}@example.org`, name: `User ${id}` })),
    );
    expect(await leftovers()).toEqual([]);

    // Orders alone cannot come back: their users are gone. One sentence, and no live table changed.
    const orphans = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--table', 'orders', '--into', 'env:TEST_DATABASE_URL', '--copy-missing-rows', '--yes'], {
      env,
      lockDir: ws.lockDir,
    });
    expect(orphans.exitCode).toBe(1);
    expect(failure(orphans)).toMatch(
      /^inserting the missing rows failed into public\.orders: .*violates foreign key constraint "orders_user_id_fkey" \(Key \(user_id\)=\(\d+\) is not present in table "users"\.\); restore the table it refers to as well \(another --table\); nothing was inserted into any live table$/,
    );
    expect(await liveContent(url)).toEqual(before);

    const human = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--table', 'public.users', '--into', 'env:TEST_DATABASE_URL', '--copy-missing-rows', '--yes'], {
      env,
      lockDir: ws.lockDir,
    });
    expect(human.exitCode, human.stdout).toBe(0);
    expect(human.stdout).toContain('3 rows in the restored copy are missing from the live table (by id)');
    expect(human.stdout).toContain('inserted 3 rows into public.users');
    // A second restore of the same backup gets a schema of its own; the first is left as it was.
    expect((await restoredSchemas(url)).map((r) => r.nspname)).toEqual([out.report.schema, `${out.report.schema}_2`, `${out.report.schema}_3`]);

    const after = await liveContent(url);
    const backIn = await sql(url, 'SELECT id, email, name, joined::text FROM users WHERE id IN (3, 4, 5) ORDER BY id');
    expect(backIn).toEqual([3, 4, 5].map((id) => ({ id, email: `u${id}@example.org`, name: `User ${id}`, joined: '2026-01-01' })));
    // Exactly those rows came back: the row written after the backup stays, the row updated after it is not overwritten.
    expect(after.users.filter((u) => ![3, 4, 5].includes(u.id as number))).toEqual(before.users);
    expect(after.users.find((u) => u.id === 1)).toMatchObject({ name: 'Changed since' });
    expect(after.users.find((u) => u.id === 100)).toMatchObject({ name: 'After the backup' });
    expect(after.orders).toEqual(before.orders);
    expect(await leftovers()).toEqual([]);

    // Orders next, in one run with users: parents first, then the children that need them.
    const orders = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--table', 'orders', '--table', 'users', '--into', 'env:TEST_DATABASE_URL', '--copy-missing-rows', '--yes', '--json'], {
      env,
      lockDir: ws.lockDir,
    });
    expect(orders.exitCode, orders.stderr).toBe(0);
    const copied = JSON.parse(orders.stdout) as { report: { tables: Array<{ table: string; inserted: number }> } };
    expect(copied.report.tables.map((t) => [t.table, t.inserted])).toEqual([
      ['public.orders', 12],
      ['public.users', 0],
    ]);
    const restoredOrders = await sql(url, 'SELECT * FROM orders WHERE user_id IN (3, 4, 5) ORDER BY id');
    expect(restoredOrders).toHaveLength(12);
    expect(restoredOrders[0]).toMatchObject({ tags: ['a', 'tab\there', 'back\\slash'] });
    expect((await liveContent(url)).notes).toEqual(before.notes);
  });

  test('a dropped table is restored beside, with the line that moves it back; no service is stopped for it', async ({ pg: server, db }) => {
    const url = urlOf(server, db);
    await ownTmp();
    const env = await backedUp(url, '    hooks:\n      beforeRestore: ["touch services-stopped"]\n      afterRestore: ["touch services-started"]\n');
    await sql(url, 'DROP TABLE orders');
    const run = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--table', 'public.orders', '--into', 'env:TEST_DATABASE_URL'], { env, lockDir: ws.lockDir });
    expect(run.exitCode, run.stdout).toBe(0);
    const [schema] = await restoredSchemas(url);
    expect(run.stdout).toContain(`public.orders no longer exists in the live database; to put the restored copy in its place: ALTER TABLE "${schema!.nspname}"."orders" SET SCHEMA "public";`);
    await sql(url, `ALTER TABLE "${schema!.nspname}"."orders" SET SCHEMA "public"`);
    expect(await sql(url, 'SELECT count(*)::int AS n FROM public.orders')).toEqual([{ n: 200 }]);
    // The hooks stop and start services around a restore that replaces the database; this one replaced nothing.
    expect((await files(ws.dir)).filter((f) => f.startsWith('services-'))).toEqual([]);
  });

  test('refusals change nothing and start no server: no key, not in the backup, no --yes, a time without a zone', async ({ pg: server, db }) => {
    const url = urlOf(server, db);
    await ownTmp();
    const env = await backedUp(url);
    await deleteAndMoveOn(url);
    const before = await liveContent(url);
    const restore = (...args: string[]) => lifeboat(['--plan', ws.plan, 'restore', 'database', '--into', 'env:TEST_DATABASE_URL', ...args], { env, lockDir: ws.lockDir });

    const noKey = await restore('--table', 'public.users', '--table', 'public.notes', '--copy-missing-rows', '--yes');
    expect(noKey.exitCode).toBe(2);
    expect(failure(noKey)).toMatch(/--copy-missing-rows: public\.notes in postgres:\/\/\S+ has no primary key, so the missing rows cannot be told apart; nothing was copied/);

    const absent = await restore('--table', 'public.users', '--table', 'public.invoices');
    expect(absent.exitCode).toBe(2);
    expect(failure(absent)).toMatch(/backup \S+ holds no table public\.invoices \(pg_restore --list\); nothing was restored/);

    const unconfirmed = await restore('--table', 'public.users', '--copy-missing-rows');
    expect(unconfirmed.exitCode).toBe(2);
    expect(failure(unconfirmed)).toMatch(/--copy-missing-rows inserts rows into the live tables; add --yes to confirm/);

    const local = await restore('--table', 'public.users', '--as-of', '2026-02-14 12:00:00');
    expect(local.exitCode).toBe(2);
    expect(failure(local)).toMatch(/--as-of "2026-02-14 12:00:00" has no time zone; expected a date and time with a zone/);

    const early = await restore('--table', 'public.users', '--as-of', '2001-01-01 00:00:00+00');
    expect(early.exitCode).toBe(2);
    expect(failure(early)).toMatch(/no complete backup with a dump finished before 2001-01-01T00:00:00.000Z; the oldest, \S+, finished at/);

    const withTo = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--table', 'public.users', '--to', 'env:TEST_DATABASE_URL'], { env, lockDir: ws.lockDir });
    expect(withTo.exitCode).toBe(2);

    expect(await liveContent(url)).toEqual(before);
    expect(await restoredSchemas(url)).toEqual([]);
    expect(await leftovers()).toEqual([]);
    // Journaled as refused restores; nothing else was written to the repository.
    expect((await files(join(ws.dir, 'repo'))).filter((f) => !f.startsWith('runs/') && f !== 'lifeboat.json')).toHaveLength(2);
  });

  test('--as-of picks the newest backup finished before the time; a live sequence behind the restored ids is reported', async ({ pg: server, db }) => {
    const url = urlOf(server, db);
    await ownTmp();
    const env = await backedUp(url);
    const between = new Date().toISOString();
    await sql(url, 'DELETE FROM users WHERE id = 7');
    expect((await lifeboat(['--plan', ws.plan, 'backup', 'database'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
    await sql(url, 'DELETE FROM users WHERE id = 8');

    // A live sequence behind the restored ids (the live database was itself restored from something older) is named, and left alone.
    await sql(url, "SELECT setval('users_id_seq', 10)");
    const latest = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--table', 'users', '--into', 'env:TEST_DATABASE_URL', '--json'], { env, lockDir: ws.lockDir });
    expect(JSON.parse(latest.stdout).report.tables[0]).toMatchObject({
      missingFromLive: 1,
      sequences: [{ column: 'public.users.id', sequence: 'public.users_id_seq', lastValue: 10, restoredMax: 50 }],
    });
    expect(await sql(url, 'SELECT last_value::int AS v FROM users_id_seq')).toEqual([{ v: 10 }]);
    const asOf = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--table', 'users', '--into', 'env:TEST_DATABASE_URL', '--as-of', between, '--json'], {
      env,
      lockDir: ws.lockDir,
    });
    expect(asOf.exitCode, asOf.stderr).toBe(0);
    const out = JSON.parse(asOf.stdout) as { report: { asOf: string; schema: string; tables: Array<{ missingFromLive: number }> } };
    expect(out.report.tables[0]).toMatchObject({ missingFromLive: 2 });
    expect(out.report.asOf).toBe(between);
    // Named for the --as-of time (with _2 when the latest backup's restore of the same second took the name).
    expect(out.report.schema.startsWith(`lifeboat_restored_${between.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '').toLowerCase()}`)).toBe(true);
  });
});
