import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '@lifeboat/core';
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
  CREATE INDEX ON items (id);`;

/** The backup's counts of SCHEMA: count(*) includes a parent's children. */
const EXPECTED = { items: 500, 'other.items': 7, parent: 43, 'Ärger.Tabelle mit Leerzeichen': 11, 'public.empty': 0 };

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
    opts: { after?: string; env?: Record<string, string>; stay?: string; sessionsGoneWithinMs?: number } = {},
  ) {
    await withDatabaseClient(server, db, (c) => c.query(SCHEMA));
    const into = await server.createDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-counts-'));
    try {
      const file = join(dir, 'database.dump');
      await runCommand('pg_dump', ['--format=custom', `--file=${file}`], { env: { ...process.env, ...db.env } });
      await runCommand('pg_restore', ['--exit-on-error', ...load, `--dbname=${into.name}`, file], { env: { ...process.env, ...into.env, ...opts.env } });
      if (opts.after) await withDatabaseClient(server, into, (c) => c.query(opts.after!));
      const counts = new RestoreCounts(targetOf(server, into), expected, 2, { sessionsGoneWithinMs: opts.sessionsGoneWithinMs });
      // A session that stays connected while the counts are taken, its last change run right before.
      const checks = opts.stay
        ? await withDatabaseClient(server, into, async (c) => {
            await c.query('SELECT 1'); // its first statement publishes at once; the next waits for the second to pass
            await c.query(opts.stay!);
            return counts.counted();
          })
        : await counts.counted();
      return { checks, fromStatistics: counts.fromStatistics };
    } finally {
      await rm(dir, { recursive: true, force: true });
      await into.drop();
    }
  }

  const allOk = (expected: Record<string, number>) => Object.entries(expected).map(([name, n]) => ({ name: `rows in ${name}`, expected: n, actual: n, ok: true }));

  test('after parallel pg_restore, the tables without children come from its insert statistics; a parent and an empty table are counted', async ({ pg: server, db }) => {
    const { checks, fromStatistics } = await restored(server, db, ['--jobs=2'], EXPECTED);
    expect(checks).toEqual(allOk(EXPECTED));
    // items, other.items and the table with spaces; not parent (its count includes child's) nor empty.
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
