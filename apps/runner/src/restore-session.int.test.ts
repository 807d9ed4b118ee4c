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
  const restore = (env: Record<string, string>) => lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:RESTORE_URL', '--jobs', '2'], { env, lockDir: ws.lockDir });

  /** `work` with a probe role (`settings`) and the URL of `database` as that role; the database and the role are dropped after. */
  async function asProbe(server: TestPostgres, settings: string[], database: string, work: (target: string, base: string) => Promise<void>) {
    const probe = await role(server, settings);
    try {
      await work(`${probe.base}/${database}`, probe.base);
    } finally {
      await query(`${probe.base}/postgres`, `DROP DATABASE IF EXISTS "${database}"`);
      await probe.drop();
    }
  }

  test("into a staging database: commits asynchronously (the rename commits synchronously); indexes sort in the server's own maintenance_work_mem unless the plan says", async ({ pg: server, db }) => {
    const source = await backup(server, db);
    await asProbe(server, ["maintenance_work_mem = '48MB'"], `${db.name}_restored`, async (target) => {
      const run = await restore({ TEST_DATABASE_URL: source, RESTORE_URL: target });
      expect(run.exitCode).toBe(0);
      expect(await seen(target)).toEqual(['off 48MB']);
      // What a client of the restored database gets is the server's own setting again.
      expect((await query<{ s: string }>(target, "SELECT current_setting('synchronous_commit') AS s"))[0]!.s).toBe('on');
    });
  });

  test('into an existing empty database (no rename follows): commits stay synchronous; the plan sets maintenance_work_mem', async ({ pg: server, db }) => {
    const source = await backup(server, db, '    restore: { maintenanceWorkMem: 100MiB }\n');
    await asProbe(server, [], `${db.name}_empty`, async (target, base) => {
      await query(`${base}/postgres`, `CREATE DATABASE "${db.name}_empty"`);
      const run = await restore({ TEST_DATABASE_URL: source, RESTORE_URL: target });
      expect(run.exitCode).toBe(0);
      expect(await seen(target)).toEqual(['on 100MB']);
    });
  });

  test("never lowers the server's maintenance_work_mem, and the environment's PGOPTIONS wins", async ({ pg: server, db }) => {
    const source = await backup(server, db, '    restore: { maintenanceWorkMem: 256MiB }\n');
    await asProbe(server, ["maintenance_work_mem = '1GB'"], `${db.name}_restored`, async (target, base) => {
      const env = { TEST_DATABASE_URL: source, RESTORE_URL: target };
      const run = await restore(env);
      expect(run.exitCode).toBe(0);
      expect(await seen(target)).toEqual(['off 1GB']);
      await query(`${base}/postgres`, `DROP DATABASE "${db.name}_restored"`);
      const chosen = await restore({ ...env, PGOPTIONS: '-c synchronous_commit=local' });
      expect(chosen.exitCode).toBe(0);
      expect(await seen(target)).toEqual(['local 1GB']);
    });
  });

  test('a plan value outside 1MiB–16GiB is refused with a sentence and exit 2', async ({ pg: server, db }) => {
    await backup(server, db);
    await ws.writePlan(postgresPlan({ destinations: { local: join(ws.dir, 'repo') }, tables: ['t'], extra: '    restore: { maintenanceWorkMem: 64GiB }\n' }));
    const run = await lifeboat(['--plan', ws.plan, 'list'], { env: {}, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/components\.database\.restore\.maintenanceWorkMem.*1MiB to 16GiB/);
  });
});
