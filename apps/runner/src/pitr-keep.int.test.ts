import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import type { EphemeralPostgres } from '@lifeboat/ephemeral';
import pg from 'pg';
import { lifeboat, postgresPlan } from './test/harness.js';
import { PITR, archiverDone, closeSegment, exists, firstArchived, query, serverTime, sharedDir, startArchivingPostgres, until } from './test/wal-server.js';

/**
 * `restore --to-time … --to ephemeral --keep` against a real archiving
 * PostgreSQL 15: the recovered throwaway server stays up, its connection
 * variables in a 0600 file the run names, until the run is cancelled (the
 * harness's signal is what Ctrl-C aborts in bin.ts); then the server, the
 * file and the data are gone.
 */
describe('restore to a point --to ephemeral --keep (real PostgreSQL 15)', () => {
  let dir: string;
  let lockDir: string;
  let plan: string;
  let server: EphemeralPostgres;
  let env: Record<string, string>;
  let t1: string;

  beforeAll(async () => {
    dir = await sharedDir();
    lockDir = join(dir, 'locks');
    plan = join(dir, 'lifeboat.yaml');
    const archive = join(dir, 'archive');
    // restore_command runs as the server's OS user: it reads the plan.
    // The recovery run's shared_buffers from the plan (pitr.recovery): the kept server is that run, so it shows.
    const extra = PITR.replace('walRpo: 5m }', 'walRpo: 5m, recovery: { sharedBuffers: 160MiB } }');
    expect(extra).not.toBe(PITR);
    await writeFile(plan, postgresPlan({ destinations: { archive }, tables: ['items'], extra }), { mode: 0o644 });
    server = await startArchivingPostgres(plan);
    await firstArchived(server, archive);
    env = { TEST_DATABASE_URL: `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/postgres` };
    await query(server, "CREATE TABLE items (id serial PRIMARY KEY, batch text NOT NULL); INSERT INTO items (batch) SELECT 'A' FROM generate_series(1, 100)");
    const backup = await lifeboat(['--plan', plan, 'backup', 'database'], { lockDir, env });
    expect(backup.exitCode, backup.stdout + backup.stderr).toBe(0);
    await query(server, "INSERT INTO items (batch) SELECT 'A' FROM generate_series(1, 20)");
    t1 = await serverTime(server);
    await query(server, "INSERT INTO items (batch) SELECT 'B' FROM generate_series(1, 50)");
    await closeSegment(server);
    const last = await closeSegment(server);
    await archiverDone(server, last);
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('says where the 0600 connection file is, the server answers with its variables while the run holds it, and a cancel stops it and removes file and data (exit 0)', async () => {
    const cancel = new AbortController();
    let output = '';
    let ended = false;
    const running = lifeboat(['--plan', plan, '--log-format', 'human', 'restore', 'database', '--to-time', t1, '--to', 'ephemeral', '--keep'], {
      lockDir,
      env,
      signal: cancel.signal,
      onOutput: (text) => (output += text),
    }).finally(() => (ended = true));
    // A failed assertion still ends the run, so no server or file outlives the test.
    onTestFinished(async () => {
      cancel.abort(new Error('the test ended'));
      await running.catch(() => undefined);
    });

    const [, url, file] = await until(
      'the run names the connection file',
      async () => {
        if (ended) throw new Error(`the restore ended before it held the server open:\n${output}`);
        return /the recovered server is running at (\S+); its password is in (\S+) \(0600\)/.exec(output) ?? undefined;
      },
      180_000,
    );
    expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(output).toContain('(restore_command: lifeboat wal get; shared_buffers 160.0 MiB)');
    expect((await stat(file!)).mode & 0o777).toBe(0o600);
    const vars = Object.fromEntries(
      (await readFile(file!, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    expect(Object.keys(vars).sort()).toEqual(['PGDATABASE', 'PGHOST', 'PGPASSWORD', 'PGPORT', 'PGUSER']);
    // The password travels only in the file, never in what the run prints.
    expect(output).not.toContain(vars.PGPASSWORD);

    const connect = async () => {
      const client = new pg.Client({ host: vars.PGHOST, port: Number(vars.PGPORT), user: vars.PGUSER, password: vars.PGPASSWORD, database: vars.PGDATABASE });
      await client.connect();
      return client;
    };
    const client = await connect();
    let dataDir: string;
    try {
      // Recovered to t1: the 120 rows A, none of the B written after it; and it is promoted, so it takes writes.
      const batches = (await client.query<{ batch: string; n: number }>('SELECT batch, count(*)::int AS n FROM items GROUP BY batch ORDER BY batch')).rows;
      expect(batches).toEqual([{ batch: 'A', n: 120 }]);
      expect((await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r).toBe(false);
      dataDir = (await client.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0]!.d;
      expect((await client.query<{ s: string }>("SELECT current_setting('shared_buffers') AS s")).rows[0]!.s).toBe('160MB');
    } finally {
      await client.end();
    }
    expect(await exists(dataDir)).toBe(true);
    expect(ended).toBe(false);

    cancel.abort(new Error('cancelled by SIGINT'));
    const result = await running;
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(await exists(file!)).toBe(false);
    expect(await exists(join(file!, '..'))).toBe(false);
    expect(await exists(dataDir)).toBe(false);
    await expect(connect()).rejects.toThrow();
  }, 300_000);
});
