import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, vi } from 'vitest';
import { awkwardSqlFile, databaseFingerprint, describe, expect, test } from '@lifeboat/testkit';
import { backupFiles, files, lifeboat, postgresPlan, eachWorkspace } from './test/harness.js';

async function query<T extends pg.QueryResultRow>(url: string, password: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, password });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('backup and restore of PostgreSQL through the runner', () => {
  const ws = eachWorkspace();
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  for (const format of ['custom', 'plain'] as const) {
    test(`round trip of awkward content (${format} format) restores equal data and matching counts`, async ({ pg: server, db }) => {
      const sourceUrl = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
      const client = new pg.Client({ connectionString: sourceUrl });
      await client.connect();
      await client.query(await readFile(awkwardSqlFile, 'utf8'));
      await client.end();

      await ws.writePlan(postgresPlan({ destinations: { local: join(ws.dir, 'repo') }, format, tables: ['awkward', 'Ärger.Tabelle mit Leerzeichen'] }));
      const env = { TEST_DATABASE_URL: sourceUrl, RESTORE_URL: `${sourceUrl}_restored` };
      const backup = await lifeboat(['--plan', ws.plan, 'backup', 'database'], { env, lockDir: ws.lockDir });
      expect(backup.stderr).toBe('');
      expect(backup.exitCode).toBe(0);

      const list = await lifeboat(['--plan', ws.plan, 'list', '--json'], { env, lockDir: ws.lockDir });
      const [entry] = JSON.parse(list.stdout) as Array<{ id: string; facts: { tables: Record<string, number> } }>;
      expect(entry!.facts.tables).toEqual({ awkward: 2000, 'Ärger.Tabelle mit Leerzeichen': 300 });

      const restore = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:RESTORE_URL'], { env, lockDir: ws.lockDir });
      expect(restore.exitCode).toBe(0);
      expect(restore.stdout).toContain('"rows in awkward"');
      expect(await databaseFingerprint(`${sourceUrl}_restored`, server.password)).toEqual(await databaseFingerprint(sourceUrl, server.password));
    });
  }

  test('two fs destinations receive identical artifacts from one read, and list shows both', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await query(url, server.password, 'CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g');
    await ws.writePlan(postgresPlan({ destinations: { one: join(ws.dir, 'one'), two: join(ws.dir, 'two') }, tables: ['t'] }));
    const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(0);
    const one = await backupFiles(join(ws.dir, 'one'));
    expect(one).toHaveLength(2);
    expect(await backupFiles(join(ws.dir, 'two'))).toEqual(one);
    const dump = one.find((f) => f.endsWith('database.dump'))!;
    expect(await readFile(join(ws.dir, 'one', dump))).toEqual(await readFile(join(ws.dir, 'two', dump)));
    const list = JSON.parse((await lifeboat(['--plan', ws.plan, 'list', 'database', '--json'], { env: {}, lockDir: ws.lockDir })).stdout);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ component: 'database', destinations: ['one', 'two'], artifacts: [{ name: 'database.dump' }] });
    expect(list[0].artifacts[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(list[0].finishedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  test('restore refuses a target that already holds tables unless --clean --yes', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await query(url, server.password, 'CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 10) g');
    await ws.writePlan(
      postgresPlan({
        destinations: { local: join(ws.dir, 'repo') },
        tables: ['t'],
        extra: '    hooks:\n      beforeRestore: ["touch services-stopped"]\n',
      }),
    );
    const env = { TEST_DATABASE_URL: url };
    expect((await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
    await query(url, server.password, 'INSERT INTO t SELECT 100');

    const refused = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:TEST_DATABASE_URL'], { env, lockDir: ws.lockDir });
    expect(refused.exitCode).toBe(2);
    // Refused before the beforeRestore hook (the guide's "stop the services") ran.
    expect(await files(ws.dir)).not.toContain('services-stopped');
    expect(refused.stdout).toMatch(/already holds 1 tables, views or sequences; pass --clean --yes/);
    const unconfirmed = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:TEST_DATABASE_URL', '--clean'], { env, lockDir: ws.lockDir });
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stdout).toMatch(/add --yes to confirm/);
    const [row] = await query<{ n: string }>(url, server.password, 'SELECT count(*)::text AS n FROM t');
    expect(row?.n).toBe('11');
  });

  test('a password written in --to is refused before anything connects', async () => {
    await ws.writePlan(postgresPlan({ destinations: { local: join(ws.dir, 'repo') } }));
    const run = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'postgres://u:hunter2@127.0.0.1:1/x'], { env: {}, lockDir: ws.lockDir });
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout + run.stderr).not.toContain('hunter2');
  });

  test('a damaged artifact fails the restore and leaves the target untouched', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await query(url, server.password, 'CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g');
    await ws.writePlan(postgresPlan({ destinations: { local: join(ws.dir, 'repo') }, format: 'plain', tables: ['t'] }));
    const env = { TEST_DATABASE_URL: url, RESTORE_URL: `${url}_restored` };
    expect((await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
    const dump = (await files(join(ws.dir, 'repo'))).find((f) => f.endsWith('database.sql.gz'))!;
    const path = join(ws.dir, 'repo', dump);
    const bytes = await readFile(path);
    // Flip a byte in the gzip trailer (its CRC): content decompresses fully, only the checksums can tell.
    bytes[bytes.length - 6]! ^= 0xff;
    await chmod(path, 0o600);
    await writeFile(path, bytes);

    const run = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:RESTORE_URL'], { env, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/database\.sql\.gz in destination 'local' .* is damaged|incorrect header check|unexpected end|invalid/);
    // The copy is proven before anything happens: no database was even created.
    const created = await query<{ n: string }>(url, server.password, `SELECT count(*)::text AS n FROM pg_database WHERE datname LIKE '${db.name}_%'`);
    expect(created[0]!.n).toBe('0');
  });

  for (const jobs of ['1', '2']) {
    test(`a damaged first copy hands over to the next destination's copy (jobs ${jobs})`, async ({ pg: server, db }) => {
      const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
      await query(url, server.password, 'CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g');
      await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a'), b: join(ws.dir, 'b') }, tables: ['t'] }));
      const env = { TEST_DATABASE_URL: url, RESTORE_URL: `${url}_restored` };
      expect((await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
      const dump = (await backupFiles(join(ws.dir, 'a'))).find((f) => f.endsWith('database.dump'))!;
      const bytes = await readFile(join(ws.dir, 'a', dump));
      bytes[bytes.length - 100]! ^= 0x01;
      await writeFile(join(ws.dir, 'a', dump), bytes);

      const run = await lifeboat(['--plan', ws.plan, '--log-format', 'human', 'restore', 'database', '--to', 'env:RESTORE_URL', '--jobs', jobs], { env, lockDir: ws.lockDir });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(/database\.dump in destination 'a' .* is damaged: .*; trying the copy in destination 'b'/);
      expect(run.stdout).toMatch(/rows in t: 20000/);
      // Either way t's rows are the restore's own inserts, published once its sessions have left: not counted again.
      expect(run.stdout).toMatch(/row counts: 1 of 1 table\(s\) from the restore's insert statistics, 0 counted/);
    });
  }

  test('a byte flipped in the fs copy: the restore says so and comes back from the S3 copy', async ({ pg: server, db, s3 }) => {
    // The CLI's S3 client takes credentials from the AWS default chain, as in production.
    for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
    const bucket = await s3.bucket();
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await query(url, server.password, 'CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g');
    await ws.writePlan(
      postgresPlan({ destinations: { local: join(ws.dir, 'local') }, tables: ['t'] })
        .replace('components:\n', `  cloud: { type: s3, bucket: ${bucket}, region: us-east-1, endpoint: "${s3.endpoint}", offsite: true }\ncomponents:\n`)
        .replace('destinations: [local]', 'destinations: [local, cloud]'),
    );
    const env = { TEST_DATABASE_URL: url, RESTORE_URL: `${url}_restored` };
    const backup = await lifeboat(['--plan', ws.plan, 'backup'], { env, lockDir: ws.lockDir });
    expect(backup.exitCode).toBe(0);
    const list = JSON.parse((await lifeboat(['--plan', ws.plan, 'list', '--json'], { env, lockDir: ws.lockDir })).stdout);
    expect(list[0].destinations).toEqual(['local', 'cloud']);

    const dump = (await backupFiles(join(ws.dir, 'local'))).find((f) => f.endsWith('database.dump'))!;
    const bytes = await readFile(join(ws.dir, 'local', dump));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(join(ws.dir, 'local', dump), bytes);

    const run = await lifeboat(['--plan', ws.plan, '--log-format', 'human', 'restore', 'database', '--to', 'env:RESTORE_URL'], { env, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/database\.dump in destination 'local' .* is damaged: .*; trying the copy in destination 'cloud'/);
    expect(run.stdout).toMatch(/rows in t: 20000/);
  });

  test('unknown component and bad plan give a sentence and exit 2', async () => {
    await ws.writePlan(postgresPlan({ destinations: { local: join(ws.dir, 'repo') } }).replace('rpo: 24h', 'rpo: 24 hours'));
    const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: {}, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/components\.database\.rpo.*24 hours/);
    expect(await files(ws.dir)).toEqual(['lifeboat.yaml']);
  });
});
