import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import type { EphemeralPostgres } from '@lifeboat/ephemeral';
import { describe, expect, test } from '@lifeboat/testkit';
import { generateAgeIdentity } from '@lifeboat/core';
import { files, lifeboat, eachWorkspace } from './test/harness.js';
import { fakeBinDir } from './test/pg-tools.js';
import { PITR, archivedEntry, closeSegment, query, sharedDir, startArchivingPostgres, until, firstArchived } from './test/wal-server.js';
import { postgresPlan } from './test/harness.js';
import { sha256, writeInstalled } from './systemd/install.js';

/**
 * `lifeboat doctor` on a plan like the demo's: PostgreSQL, Redis and a config
 * folder, encrypted, to a local folder and an S3-protocol server (s3rver),
 * against the real servers of the testkit.
 */
describe('lifeboat doctor', () => {
  const ws = eachWorkspace();
  afterEach(() => vi.unstubAllEnvs());

  interface Servers {
    pg: { host: string; port: number; password: string };
    db: { name: string };
    redis: { host: string; port: number; password: string };
    s3: { endpoint: string; region: string; env: Record<string, string>; bucket(): Promise<string> };
  }

  /** The demo's plan shape in the workspace; returns the env its references need and the CLI. */
  async function demoLike(servers: Servers, opts: { bucket?: string } = {}) {
    for (const [name, value] of Object.entries(servers.s3.env)) vi.stubEnv(name, value);
    const bucket = opts.bucket ?? (await servers.s3.bucket());
    const key = await generateAgeIdentity();
    await writeFile(join(ws.dir, 'age.key'), `${key.identity}\n`, { mode: 0o600 });
    // As an operator does: a destination folder that is missing is an unmounted disk to doctor.
    await mkdir(join(ws.dir, 'primary'), { mode: 0o700 });
    await mkdir(join(ws.dir, 'etc'));
    await writeFile(join(ws.dir, 'etc', 'app.conf'), 'listen 443\n');
    await ws.writePlan(`version: 1
name: doctor-test
destinations:
  primary: { type: fs, path: ${JSON.stringify(join(ws.dir, 'primary'))}, medium: disk }
  offsite: { type: s3, bucket: ${bucket}, region: ${servers.s3.region}, endpoint: ${JSON.stringify(servers.s3.endpoint)}, offsite: true }
encryption:
  recipients: [${key.recipient}]
  identity: file:age.key
components:
  database:
    type: postgres
    url: env:DOCTOR_DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [primary, offsite]
    verify: { tables: [t] }
    drill: { target: ephemeral }
  cache:
    type: redis
    url: env:DOCTOR_REDIS_URL
    schedule: "0 3 * * *"
    rpo: 24h
    rto: 1h
    destinations: [primary, offsite]
    drill: { target: ephemeral }
  config:
    type: files
    paths: [etc]
    schedule: on-change
    rpo: 0
    rto: 1h
    destinations: [primary, offsite]
    drill: { target: ephemeral }
`);
    const pgUrl = `postgres://postgres:${encodeURIComponent(servers.pg.password)}@${servers.pg.host}:${servers.pg.port}/${servers.db.name}`;
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    await client.query('CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 100) g');
    await client.end();
    const env: Record<string, string | undefined> = {
      DOCTOR_DATABASE_URL: pgUrl,
      DOCTOR_REDIS_URL: `redis://:${encodeURIComponent(servers.redis.password)}@${servers.redis.host}:${servers.redis.port}`,
    };
    const unitDir = join(ws.dir, 'units');
    const cli = (args: string[], extraEnv: Record<string, string | undefined> = {}) =>
      lifeboat(['--plan', ws.plan, ...args, ...(args[0] === 'doctor' ? ['--unit-dir', unitDir] : [])], { env: { ...env, ...extraEnv }, lockDir: ws.lockDir });
    return { cli, env, unitDir, pgUrl, redisPassword: servers.redis.password, pgPassword: servers.pg.password };
  }

  /** What `systemd install` leaves in the unit folder, without systemd: the generated files and their record. */
  async function installUnits(cli: Awaited<ReturnType<typeof demoLike>>['cli'], unitDir: string) {
    expect((await cli(['systemd', 'generate', '--out', unitDir])).exitCode).toBe(0);
    const names = (await files(unitDir)).filter((n) => n.startsWith('lifeboat-'));
    const units = await Promise.all(names.map(async (name) => ({ name, sha256: sha256(await readFile(join(unitDir, name), 'utf8')) })));
    writeInstalled(unitDir, { version: 1, plan: ws.plan, installedAt: new Date().toISOString(), units });
  }

  type Check = { level: string; check: string; detail: string };
  const lineOf = (stdout: string, check: string) => stdout.split('\n').find((l) => new RegExp(`^\\w+\\s+${check}\\s`).test(l));

  test('all ok on a backed-up, verified and drilled demo-like plan; critical (exit 3, Nagios 2) once a destination folder is removed, which it does not recreate', async ({ pg: pgServer, db, redis, s3 }) => {
    const { cli, unitDir } = await demoLike({ pg: pgServer, db, redis, s3 });
    for (const step of [['backup'], ['verify'], ['drill']]) expect((await cli(step)).exitCode, step[0]).toBe(0);
    await installUnits(cli, unitDir);

    const run = await cli(['doctor']);
    expect(run.stderr).toBe('');
    const notOk = run.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('ok '));
    expect(notOk).toEqual([]);
    expect(run.exitCode).toBe(0);
    for (const check of ['plan', 'secret components.database.url', 'secret encryption.identity', 'source database', 'pg_dump database', 'source cache', 'sync cache', 'source config',
      'destination primary', 'destination offsite', 'clock offsite', 'space primary', 'encryption', 'backups database', 'verify cache', 'drill config', 'timers']) {
      expect(lineOf(run.stdout, check), check).toBeDefined();
    }
    // The probes are gone: nothing of doctor's is left in the local destination.
    expect((await files(join(ws.dir, 'primary'))).filter((f) => f.startsWith('doctor/'))).toEqual([]);

    const json = await cli(['doctor', '--json']);
    expect(json.exitCode).toBe(0);
    const report = JSON.parse(json.stdout) as { version: number; status: string; checks: Check[] };
    expect(report.version).toBe(1);
    expect(report.status).toBe('ok');
    expect(report.checks.every((c) => c.level === 'ok')).toBe(true);

    const nagios = await cli(['doctor', '--nagios']);
    expect(nagios.exitCode).toBe(0);
    expect(nagios.stdout.split('\n')[0]).toMatch(/^LIFEBOAT OK - all \d+ checks ok \| ok=\d+ warning=0 critical=0$/);

    await rename(join(ws.dir, 'primary'), join(ws.dir, 'primary-gone'));
    const gone = await cli(['doctor']);
    expect(gone.exitCode).toBe(3);
    expect(lineOf(gone.stdout, 'destination primary')).toMatch(/^critical\s+destination primary\s+destination 'primary' \(fs:.*primary\) does not exist .*mount it or create it/);
    expect(existsSync(join(ws.dir, 'primary'))).toBe(false);
    const goneNagios = await cli(['doctor', '--nagios']);
    expect(goneNagios.exitCode).toBe(2);
    expect(goneNagios.stdout.split('\n')[0]).toMatch(/^LIFEBOAT CRITICAL - \d+ critical: destination primary.* \| ok=\d+ warning=\d+ critical=[1-9]/);
  });

  test('a destination that cannot be written (its bucket does not exist) is critical', async ({ pg: pgServer, db, redis, s3 }) => {
    const { cli } = await demoLike({ pg: pgServer, db, redis, s3 }, { bucket: 'no-such-bucket-for-doctor' });
    const run = await cli(['doctor', '--json']);
    expect(run.exitCode).toBe(3);
    const checks = (JSON.parse(run.stdout) as { checks: Check[] }).checks;
    expect(checks.find((c) => c.check === 'destination offsite')).toMatchObject({ level: 'critical', detail: expect.stringMatching(/no-such-bucket-for-doctor.*backups to offsite would fail/) });
    expect(checks.find((c) => c.check === 'destination primary')?.level).toBe('ok');
  });

  test('an env: reference that is not set is critical and nothing secret is printed', async ({ pg: pgServer, db, redis, s3 }) => {
    const { cli, redisPassword, pgPassword } = await demoLike({ pg: pgServer, db, redis, s3 });
    const run = await cli(['doctor'], { DOCTOR_DATABASE_URL: undefined });
    expect(run.exitCode).toBe(3);
    expect(lineOf(run.stdout, 'secret components.database.url')).toMatch(/^critical\s+secret components\.database\.url\s+components\.database\.url refers to env:DOCTOR_DATABASE_URL, which is not set/);
    expect(lineOf(run.stdout, 'secret components.cache.url')).toMatch(/^ok\s+secret components\.cache\.url\s+env:DOCTOR_REDIS_URL resolves$/);
    expect(lineOf(run.stdout, 'source cache')).toMatch(/^ok /);
    for (const secret of [redisPassword, pgPassword, await readFile(join(ws.dir, 'age.key'), 'utf8').then((t) => t.trim())]) {
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
  });

  test('an age identity that is not one of the recipients is critical', async ({ pg: pgServer, db, redis, s3 }) => {
    const { cli } = await demoLike({ pg: pgServer, db, redis, s3 });
    const other = await generateAgeIdentity();
    await writeFile(join(ws.dir, 'age.key'), `${other.identity}\n`, { mode: 0o600 });
    const run = await cli(['doctor', '--nagios']);
    expect(run.exitCode).toBe(2);
    expect(lineOf(run.stdout, 'encryption')).toMatch(/^critical\s+encryption\s+cannot decrypt the doctor probe .*restores on this host would fail/);
  });

  test('a pg_dump older than the server and a wrong Redis password are critical, naming what to fix', async ({ pg: pgServer, db, redis, s3 }) => {
    const { cli } = await demoLike({ pg: pgServer, db, redis, s3 });
    const bin = await fakeBinDir(ws.dir, 'exit 1', "echo 'pg_dump (PostgreSQL) 13.9'");
    await ws.writePlan((await readFile(ws.plan, 'utf8')).replace('    verify: { tables: [t] }\n', `    verify: { tables: [t] }\n    binDir: ${JSON.stringify(bin)}\n`));
    const run = await cli(['doctor'], { DOCTOR_REDIS_URL: `redis://:wrong-password@${redis.host}:${redis.port}` });
    expect(run.exitCode).toBe(3);
    expect(lineOf(run.stdout, 'pg_dump database')).toMatch(/^critical\s+pg_dump database\s+pg_dump 13 in .* is older than the PostgreSQL 15\.\d+ server; install the version 15 client tools or set binDir/);
    expect(lineOf(run.stdout, 'source cache')).toMatch(/^critical\s+source cache\s+Redis at .* rejected the password/);
    expect(run.stdout).not.toContain('wrong-password');
  });

  test('a plan that does not load: exit 2 with its sentence, and with --nagios a CRITICAL line', async () => {
    await ws.writePlan('version: 1\nname: broken\ndestinations: {}\ncomponents:\n  db: { type: postgres }\n');
    const plain = await lifeboat(['--plan', ws.plan, 'doctor'], { lockDir: ws.lockDir });
    expect(plain.exitCode).toBe(2);
    expect(plain.stderr).toMatch(/^lifeboat: \d+ problems in the plan:\n[\s\S]*components\.db\.schedule: missing/);
    const nagios = await lifeboat(['--plan', ws.plan, 'doctor', '--nagios'], { lockDir: ws.lockDir });
    expect(nagios.exitCode).toBe(2);
    // One line, as Nagios shows the first line only.
    expect(nagios.stdout).toMatch(/^LIFEBOAT CRITICAL - plan: \d+ problems in the plan: - .*components\.db\.schedule: missing.*\n$/);
  });
});

describe('lifeboat doctor with pitr: a forced WAL switch must reach the archive', () => {
  let dir: string;
  let plan: string;
  let server: EphemeralPostgres;
  const archive = () => join(dir, 'archive');
  const doctor = () =>
    lifeboat(['--plan', plan, 'doctor', '--json'], {
      lockDir: join(dir, 'locks'),
      env: { TEST_DATABASE_URL: `postgres://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/postgres` },
    });
  const line = async (check: string) => ((JSON.parse((await doctor()).stdout) as { checks: Array<{ level: string; check: string; detail: string }> }).checks.find((c) => c.check === check));

  beforeAll(async () => {
    dir = await sharedDir();
    plan = join(dir, 'lifeboat.yaml');
    // The server's OS user reads this plan when archive_command runs.
    await writeFile(plan, postgresPlan({ destinations: { archive: archive() }, extra: PITR }), { mode: 0o644 });
    server = await startArchivingPostgres(plan);
    await query(server, 'ALTER SYSTEM SET archive_timeout = 60');
    await query(server, 'SELECT pg_reload_conf()');
    await firstArchived(server, archive());
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('ok while archive_command stores every segment; critical once the archive cannot be written', { timeout: 90_000 }, async () => {
    expect(await line('wal database')).toMatchObject({ level: 'ok' });
    expect(await line('wal switch database')).toMatchObject({ level: 'ok', detail: expect.stringMatching(/^pg_switch_wal\(\) closed [0-9A-F]{24}; it was in the archive of archive within \d+ ms$/) });

    // The server's OS user can no longer write the timeline's folder: pushes fail, the switch never arrives.
    const cluster = (await readdir(join(archive(), 'wal', 'database'))).find((n) => /^\d+$/.test(n))!;
    const timelines = join(archive(), 'wal', 'database', cluster);
    for (const tl of await readdir(timelines)) await chmod(join(timelines, tl), 0o555);
    const stuck = await line('wal switch database');
    expect(stuck).toMatchObject({ level: 'critical', detail: expect.stringMatching(/^[0-9A-F]{24}, closed by pg_switch_wal\(\), did not reach the archive in archive within 20 s/) });
  });
});
