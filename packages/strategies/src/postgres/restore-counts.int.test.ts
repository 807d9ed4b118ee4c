import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, spawnSink } from '@lifeboat/core';
import { describe, expect, test, withDatabaseClient, type TestDatabase, type TestPostgres } from '@lifeboat/testkit';
import { pgTarget } from './connection.js';
import { RestoreCounts, finishedDataItem, tableDataItems } from './restore-counts.js';

const SCHEMA = `
  CREATE TABLE items AS SELECT g AS id FROM generate_series(1, 500) g;
  CREATE SCHEMA other; CREATE TABLE other.items AS SELECT g AS id FROM generate_series(1, 7) g;
  CREATE TABLE parent (id int); CREATE TABLE child () INHERITS (parent);
  INSERT INTO parent SELECT g FROM generate_series(1, 3) g; INSERT INTO child SELECT g FROM generate_series(1, 40) g;
  CREATE SCHEMA "Ärger"; CREATE TABLE "Ärger"."Tabelle mit Leerzeichen" AS SELECT g AS id FROM generate_series(1, 11) g;
  CREATE INDEX ON items (id);`;

describe('row counts of a restore (real server)', () => {
  const targetOf = (server: TestPostgres, db: TestDatabase) => {
    const url = new URL(db.url);
    url.password = server.password;
    return pgTarget(url.toString(), 'test');
  };

  test('a table is counted early only when the finished data item is that very table and it has no inheritance children', async ({ pg: server, db }) => {
    await withDatabaseClient(server, db, (c) => c.query('CREATE TABLE items (id int); CREATE SCHEMA other; CREATE TABLE other.items (id int); CREATE TABLE parent (id int); CREATE TABLE child () INHERITS (parent)'));
    const counts = new RestoreCounts(targetOf(server, db), { items: 5, parent: 4 }, 2);
    // Reported before the rows are in: same name in another schema, and a parent whose child has not been loaded.
    counts.dataLoaded('other', 'items');
    counts.dataLoaded('public', 'parent');
    await counts.idle();
    await withDatabaseClient(server, db, (c) => c.query('INSERT INTO items SELECT generate_series(1, 5); INSERT INTO parent VALUES (1); INSERT INTO child SELECT generate_series(1, 3)'));
    const checks = await counts.counted();
    expect(checks).toEqual([
      { name: 'rows in items', expected: 5, actual: 5, ok: true },
      { name: 'rows in parent', expected: 4, actual: 4, ok: true },
    ]);
    expect(counts.early).toBe(0);
  });

  test('a table reported loaded is counted then, and a wrong count still fails the check', async ({ pg: server, db }) => {
    await withDatabaseClient(server, db, (c) => c.query('CREATE TABLE items AS SELECT generate_series(1, 5) AS id'));
    const counts = new RestoreCounts(targetOf(server, db), { 'public.items': 6 }, 1);
    counts.dataLoaded('public', 'items');
    await counts.idle();
    // Rows added after it was counted (which a dump never does) show that the early count is the one compared.
    await withDatabaseClient(server, db, (c) => c.query('INSERT INTO items VALUES (6)'));
    expect(await counts.counted()).toEqual([{ name: 'rows in public.items', expected: 6, actual: 5, ok: false }]);
    expect(counts.early).toBe(1);
  });

  test('parallel pg_restore --verbose names the data items of the --list table of contents, so every verified table is counted', async ({ pg: server, db }) => {
    await withDatabaseClient(server, db, (c) => c.query(SCHEMA));
    const into = await server.createDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-counts-'));
    try {
      const file = join(dir, 'database.dump');
      await runCommand('pg_dump', ['--format=custom', `--file=${file}`], { env: { ...process.env, ...db.env } });
      const items = tableDataItems((await runCommand('pg_restore', ['--list', file], { env: process.env })).stdout);
      expect([...items.values()].map((i) => `${i.schema}.${i.table}`).sort()).toEqual(['other.items', 'public.child', 'public.items', 'public.parent', 'Ärger.Tabelle mit Leerzeichen'].sort());
      const expected = { items: 500, 'other.items': 7, parent: 43, 'Ärger.Tabelle mit Leerzeichen': 11 };
      const counts = new RestoreCounts(targetOf(server, into), expected, 2);
      const finished: number[] = [];
      const restore = spawnSink('pg_restore', ['--exit-on-error', '--verbose', '--jobs=2', `--dbname=${into.name}`, file], {
        env: { ...process.env, ...into.env },
        onStderrLine: (line) => {
          const id = finishedDataItem(line);
          if (id === undefined) return;
          finished.push(id);
          const item = items.get(id)!;
          counts.dataLoaded(item.schema, item.table);
        },
      });
      restore.stdin.end();
      await restore.done.finally(() => counts.idle());
      expect(finished.sort()).toEqual([...items.keys()].sort());
      const checks = await counts.counted();
      expect(checks.every((c) => c.ok)).toBe(true);
      // items, other.items and the table with spaces can be counted early; parent cannot (it has a child).
      expect(counts.early).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await into.drop();
    }
  });
});
