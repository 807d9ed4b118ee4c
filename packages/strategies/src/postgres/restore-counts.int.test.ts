import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runCommand } from '@lifeboat/core';
import pg from 'pg';
import { describe, expect, test, withDatabaseClient, type TestDatabase, type TestPostgres } from '@lifeboat/testkit';
import { pgTarget } from './connection.js';
import { RestoreCounts } from './restore-counts.js';

const SCHEMA = `
  CREATE TABLE items AS SELECT g AS id FROM generate_series(1, 500) g;
  CREATE SCHEMA other; CREATE TABLE other.items AS SELECT g AS id FROM generate_series(1, 7) g;
  CREATE TABLE parent (id int); CREATE TABLE child () INHERITS (parent);
  INSERT INTO parent SELECT g FROM generate_series(1, 3) g; INSERT INTO child SELECT g FROM generate_series(1, 40) g;
  CREATE SCHEMA "Ärger"; CREATE TABLE "Ärger"."Tabelle mit Leerzeichen" AS SELECT g AS id FROM generate_series(1, 11) g;
  CREATE TABLE empty (id int);
  CREATE TABLE parted (id int) PARTITION BY RANGE (id); CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (1) TO (1000);
  INSERT INTO parted SELECT generate_series(1, 20);
  CREATE INDEX ON items (id);`;

/** The backup's counts of SCHEMA: count(*) includes a parent's children. */
const EXPECTED = { items: 500, 'other.items': 7, parent: 43, 'Ärger.Tabelle mit Leerzeichen': 11, 'public.empty': 0, 'public.parted_1': 20 };

/**
 * `sql` run on `client`, which stays connected while `work` runs: its first statement publishes its counts at
 * once, so those of `sql` right after are held back for the second to pass.
 */
async function changedWhileConnected<T>(client: pg.Client, sql: string, work: () => Promise<T>): Promise<T> {
  await client.query('SELECT 1');
  await client.query(sql);
  return work();
}

describe('row counts of a restore (real server)', () => {
  const targetOf = (server: TestPostgres, db: TestDatabase) => {
    const url = new URL(db.url);
    url.password = server.password;
    return pgTarget(url.toString(), 'test');
  };

  /** SCHEMA dumped, then loaded into a fresh database by `load` (pg_restore arguments before the file); `after` runs in it before the counts. */
  async function restored(
    server: TestPostgres,
    db: TestDatabase,
    load: string[],
    expected: Record<string, number>,
    opts: {
      after?: string;
      env?: Record<string, string>;
      stay?: string;
      sessionsGoneWithinMs?: number;
      statistics?: boolean;
      /** Runs with the loaded database and returns the target the counts connect as, and a session that stays connected meanwhile. */
      as?: (into: TestDatabase) => Promise<{ target: ReturnType<typeof pgTarget>; during: <T>(work: () => Promise<T>) => Promise<T>; cleanup: () => Promise<void> }>;
    } = {},
  ) {
    await withDatabaseClient(server, db, (c) => c.query(SCHEMA));
    const into = await server.createDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-counts-'));
    try {
      const file = join(dir, 'database.dump');
      await runCommand('pg_dump', ['--format=custom', `--file=${file}`], { env: { ...process.env, ...db.env } });
      await runCommand('pg_restore', ['--exit-on-error', ...load, `--dbname=${into.name}`, file], { env: { ...process.env, ...into.env, ...opts.env } });
      if (opts.after) await withDatabaseClient(server, into, (c) => c.query(opts.after!));
      const as = await opts.as?.(into);
      try {
        const counts = new RestoreCounts(as?.target ?? targetOf(server, into), expected, 2, { sessionsGoneWithinMs: opts.sessionsGoneWithinMs, statistics: opts.statistics });
        const checks = opts.stay
          ? await withDatabaseClient(server, into, (c) => changedWhileConnected(c, opts.stay!, () => counts.counted()))
          : as
            ? await as.during(() => counts.counted())
            : await counts.counted();
        return { checks, fromStatistics: counts.fromStatistics };
      } finally {
        await as?.cleanup();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await into.drop();
    }
  }

  const allOk = (expected: Record<string, number>) => Object.entries(expected).map(([name, n]) => ({ name: `rows in ${name}`, expected: n, actual: n, ok: true }));

  test('after parallel pg_restore, the tables without children come from its insert statistics; a parent and an empty table are counted', async ({ pg: server, db }) => {
    const { checks, fromStatistics } = await restored(server, db, ['--jobs=2'], EXPECTED);
    expect(checks).toEqual(allOk(EXPECTED));
    // items, other.items and the table with spaces; not parent (its count includes child's), empty, nor the partition.
    expect(fromStatistics).toBe(3);
  });

  test('after a single-transaction pg_restore, the same', async ({ pg: server, db }) => {
    const { checks, fromStatistics } = await restored(server, db, ['--single-transaction'], EXPECTED);
    expect(checks).toEqual(allOk(EXPECTED));
    expect(fromStatistics).toBe(3);
  });

  test('rows deleted, updated or truncated after the load: the statistics are not taken, the table is counted, and a wrong count fails', async ({ pg: server, db }) => {
    const { checks, fromStatistics } = await restored(server, db, ['--jobs=2'], EXPECTED, {
      after: `DELETE FROM items WHERE id = 1; UPDATE other.items SET id = id; TRUNCATE "Ärger"."Tabelle mit Leerzeichen"`,
    });
    expect(checks).toEqual([
      { name: 'rows in items', expected: 500, actual: 499, ok: false },
      { name: 'rows in other.items', expected: 7, actual: 7, ok: true },
      { name: 'rows in parent', expected: 43, actual: 43, ok: true },
      { name: 'rows in Ärger.Tabelle mit Leerzeichen', expected: 11, actual: 0, ok: false },
      { name: 'rows in public.empty', expected: 0, actual: 0, ok: true },
      { name: 'rows in public.parted_1', expected: 20, actual: 20, ok: true },
    ]);
    expect(fromStatistics).toBe(0);
  });

  test('a session still connected when the counts are taken: its changes may not be published, so every table is counted', async ({ pg: server, db }) => {
    const { checks, fromStatistics } = await restored(server, db, ['--jobs=2'], { items: 500, 'other.items': 7 }, { stay: 'DELETE FROM items WHERE id = 1', sessionsGoneWithinMs: 200 });
    expect(checks).toEqual([
      { name: 'rows in items', expected: 500, actual: 499, ok: false },
      { name: 'rows in other.items', expected: 7, actual: 7, ok: true },
    ]);
    expect(fromStatistics).toBe(0);
  });

  test("another role's session, whose details the restoring role may not see, still connected: every table is counted", async ({ pg: server, db }) => {
    const tag = randomBytes(4).toString('hex');
    const restorer = `restorer_${tag}`;
    const app = `app_${tag}`;
    const { checks, fromStatistics } = await restored(server, db, ['--jobs=2'], { items: 500, 'other.items': 7 }, {
      sessionsGoneWithinMs: 200,
      as: async (into) => {
        await withDatabaseClient(server, into, (c) =>
          c.query(
            `CREATE ROLE ${restorer} LOGIN PASSWORD 'pw'; CREATE ROLE ${app} LOGIN PASSWORD 'pw';
             GRANT CONNECT ON DATABASE ${into.name} TO ${restorer}, ${app}; GRANT USAGE ON SCHEMA other TO ${restorer};
             GRANT SELECT ON items, other.items TO ${restorer}; GRANT SELECT, DELETE ON items TO ${app}`,
          ),
        );
        const url = new URL(into.url);
        url.username = restorer;
        url.password = 'pw';
        const appClient = new pg.Client({ host: server.host, port: server.port, user: app, password: 'pw', database: into.name });
        await appClient.connect();
        return {
          target: pgTarget(url.toString(), 'test'),
          during: (work) => changedWhileConnected(appClient, 'DELETE FROM items WHERE id <= 10', work),
          cleanup: async () => {
            await appClient.end().catch(() => undefined);
            await withDatabaseClient(server, into, (c) => c.query(`DROP OWNED BY ${restorer}, ${app}`));
            await withDatabaseClient(server, 'postgres', (c) => c.query(`DROP ROLE ${restorer}; DROP ROLE ${app}`));
          },
        };
      },
    });
    expect(checks).toEqual([
      { name: 'rows in items', expected: 500, actual: 490, ok: false },
      { name: 'rows in other.items', expected: 7, actual: 7, ok: true },
    ]);
    expect(fromStatistics).toBe(0);
  });

  test('a database that existed before the restore (statistics: false): every table is counted', async ({ pg: server, db }) => {
    const { checks, fromStatistics } = await restored(server, db, ['--jobs=2'], EXPECTED, { statistics: false });
    expect(checks).toEqual(allOk(EXPECTED));
    expect(fromStatistics).toBe(0);
  });

  test('a backup that says more rows than were inserted: counted, and the check fails with the real count', async ({ pg: server, db }) => {
    const { checks, fromStatistics } = await restored(server, db, ['--jobs=2'], { items: 501, 'other.items': 7 });
    expect(checks).toEqual([
      { name: 'rows in items', expected: 501, actual: 500, ok: false },
      { name: 'rows in other.items', expected: 7, actual: 7, ok: true },
    ]);
    expect(fromStatistics).toBe(1);
  });

  test('rows added to an empty table after the load are seen: a table the backup says is empty is always counted', async ({ pg: server, db }) => {
    const { checks } = await restored(server, db, ['--jobs=2'], { 'public.empty': 0 }, { after: 'INSERT INTO empty VALUES (1)' });
    expect(checks).toEqual([{ name: 'rows in public.empty', expected: 0, actual: 1, ok: false }]);
  });

  test('a load whose sessions keep no statistics (track_counts off): every table is counted, and right', async ({ pg: server, db }) => {
    const { checks, fromStatistics } = await restored(server, db, ['--jobs=2'], EXPECTED, { env: { PGOPTIONS: '-c track_counts=off' } });
    expect(checks).toEqual(allOk(EXPECTED));
    expect(fromStatistics).toBe(0);
  });
});
