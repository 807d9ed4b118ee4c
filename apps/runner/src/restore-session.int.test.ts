import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, test, type TestPostgres } from '@lifeboat/testkit';
import { eachWorkspace, lifeboat, postgresPlan } from './test/harness.js';
import { query } from './test/pg-tools.js';

/**
 * A generated column is computed by COPY in the session that restores it: the
 * probe records what pg_restore's own sessions had for the settings Lifeboat gives them.
 */
const PROBE = `
  CREATE FUNCTION probe() RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
    BEGIN RETURN pg_catalog.current_setting('synchronous_commit') || ' ' || pg_catalog.current_setting('maintenance_work_mem'); END $$;
  CREATE TABLE t (id int PRIMARY KEY, seen text GENERATED ALWAYS AS (probe()) STORED);
  INSERT INTO t (id) SELECT generate_series(1, 3);`;

describe("pg_restore's session settings (real server)", () => {
  const ws = eachWorkspace();

  /** A superuser of its own whose role settings stand for the server's defaults (synchronous_commit on, as on a production server). */
  async function role(server: TestPostgres, settings: string[]) {
    const name = `lifeboat_probe_${randomBytes(3).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const admin = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/postgres`;
    await query(admin, `CREATE ROLE ${name} LOGIN SUPERUSER PASSWORD '${password}'`);
    for (const s of ['synchronous_commit = on', ...settings]) await query(admin, `ALTER ROLE ${name} SET ${s}`);
    const base = `postgres://${name}:${password}@${server.host}:${server.port}`;
    return { base, drop: () => query(admin, `DROP ROLE ${name}`) };
  }

  async function backup(server: TestPostgres, db: { name: string }, extra = '') {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await query(url, PROBE);
    await ws.writePlan(postgresPlan({ destinations: { local: join(ws.dir, 'repo') }, tables: ['t'], extra }));
    expect((await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir })).exitCode).toBe(0);
    return url;
  }

  const seen = async (url: string) => [...new Set((await query<{ seen: string }>(url, 'SELECT seen FROM t')).map((r) => r.seen))];

  test('into a staging database: commits asynchronously (the rename commits synchronously) and sorts indexes in 256MB', async ({ pg: server, db }) => {
    const source = await backup(server, db);
    const probe = await role(server, []);
    const target = `${probe.base}/${db.name}_restored`;
    try {
      const run = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:RESTORE_URL', '--jobs', '2'], { env: { TEST_DATABASE_URL: source, RESTORE_URL: target }, lockDir: ws.lockDir });
      expect(run.exitCode).toBe(0);
      expect(await seen(target)).toEqual(['off 256MB']);
      // What a client of the restored database gets is the server's own setting again.
      expect((await query<{ s: string }>(target, "SELECT current_setting('synchronous_commit') AS s"))[0]!.s).toBe('on');
    } finally {
      await query(`${probe.base}/postgres`, `DROP DATABASE IF EXISTS "${db.name}_restored"`);
      await probe.drop();
    }
  });

  test('into an existing empty database (no rename follows): commits stay synchronous; the plan sets maintenance_work_mem', async ({ pg: server, db }) => {
    const source = await backup(server, db, '    restore: { maintenanceWorkMem: 100MiB }\n');
    const probe = await role(server, []);
    const target = `${probe.base}/${db.name}_empty`;
    try {
      await query(`${probe.base}/postgres`, `CREATE DATABASE "${db.name}_empty"`);
      const run = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:RESTORE_URL', '--jobs', '2'], { env: { TEST_DATABASE_URL: source, RESTORE_URL: target }, lockDir: ws.lockDir });
      expect(run.exitCode).toBe(0);
      expect(await seen(target)).toEqual(['on 100MB']);
    } finally {
      await query(`${probe.base}/postgres`, `DROP DATABASE IF EXISTS "${db.name}_empty"`);
      await probe.drop();
    }
  });

  test("never lowers the server's maintenance_work_mem, and the environment's PGOPTIONS wins", async ({ pg: server, db }) => {
    const source = await backup(server, db);
    const probe = await role(server, ["maintenance_work_mem = '1GB'"]);
    const target = `${probe.base}/${db.name}_restored`;
    try {
      const env = { TEST_DATABASE_URL: source, RESTORE_URL: target };
      const run = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:RESTORE_URL', '--jobs', '2'], { env, lockDir: ws.lockDir });
      expect(run.exitCode).toBe(0);
      expect(await seen(target)).toEqual(['off 1GB']);
      await query(`${probe.base}/postgres`, `DROP DATABASE "${db.name}_restored"`);
      const chosen = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:RESTORE_URL', '--jobs', '2'], {
        env: { ...env, PGOPTIONS: '-c synchronous_commit=local' },
        lockDir: ws.lockDir,
      });
      expect(chosen.exitCode).toBe(0);
      expect(await seen(target)).toEqual(['local 1GB']);
    } finally {
      await query(`${probe.base}/postgres`, `DROP DATABASE IF EXISTS "${db.name}_restored"`);
      await probe.drop();
    }
  });

  test('a plan value outside 1MiB–16GiB is refused with a sentence and exit 2', async ({ pg: server, db }) => {
    await backup(server, db);
    await ws.writePlan(postgresPlan({ destinations: { local: join(ws.dir, 'repo') }, tables: ['t'], extra: '    restore: { maintenanceWorkMem: 64GiB }\n' }));
    const run = await lifeboat(['--plan', ws.plan, 'list'], { env: {}, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/components\.database\.restore\.maintenanceWorkMem.*1MiB to 16GiB/);
  });
});
