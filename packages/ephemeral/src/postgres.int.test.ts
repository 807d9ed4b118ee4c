import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_SEARCH_PATH } from './binaries.js';
import { startEphemeralPostgres, type EphemeralPostgres } from './postgres.js';

const run = promisify(execFile);

/** psql over TCP as a user would run it; resolves with exit code and output instead of throwing. */
async function psql(pg: EphemeralPostgres, sql: string, env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(join(pg.binDir, 'psql'), ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      env: { PATH: DEFAULT_SEARCH_PATH, ...pg.env, ...env },
    });
    return { code: 0, stdout: stdout.trim(), stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout.trim(), stderr: e.stderr };
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('startEphemeralPostgres', () => {
  let pg: EphemeralPostgres;
  beforeAll(async () => {
    const started = Date.now();
    pg = await startEphemeralPostgres();
    console.info(`ephemeral PostgreSQL ${pg.version} ready in ${Date.now() - started} ms`);
  });
  afterAll(() => pg?.stop());

  test('reports connection details without putting the password in the URL', () => {
    expect(pg.host).toBe('127.0.0.1');
    expect(pg.user).toBe('postgres');
    expect(pg.url).toBe(`postgres://postgres@127.0.0.1:${pg.port}/postgres`);
    expect(pg.url).not.toContain(pg.password);
    expect(pg.password.length).toBeGreaterThanOrEqual(16);
    expect(pg.env).toEqual({
      PGHOST: '127.0.0.1',
      PGPORT: String(pg.port),
      PGUSER: 'postgres',
      PGPASSWORD: pg.password,
      PGDATABASE: 'postgres',
    });
    expect(pg.version).toMatch(/^\d+(\.\d+)?/);
    expect(existsSync(join(pg.dataDir, 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(pg.dataDir, '..', 'pwfile'))).toBe(false);
  });

  test('answers queries over TCP with the password, as a superuser, with UTF-8 and WAL for base backups', async () => {
    const result = await psql(
      pg,
      "select current_user, rolsuper, pg_encoding_to_char(encoding), current_setting('wal_level'), current_setting('max_wal_senders'), current_setting('fsync'), current_setting('listen_addresses'), current_setting('server_version') from pg_roles, pg_database where rolname = current_user and datname = current_database()",
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^postgres\|t\|UTF8\|replica\|4\|off\|127\.0\.0\.1\|/);
    expect(result.stdout.split('|').at(-1)).toMatch(new RegExp(`^${pg.version.replace(/\./g, '\\.')}\\b`));
  });

  test('refuses a wrong password', async () => {
    const result = await psql(pg, 'select 1', { PGPASSWORD: 'not-the-password' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('password authentication failed for user "postgres"');
  });

  test('runs the server as the postgres OS user when started by root', async () => {
    if (process.getuid?.() !== 0) return;
    const { stdout } = await run('id', ['-u', 'postgres']);
    expect(statSync(pg.dataDir).uid).toBe(Number(stdout.trim()));
    const owner = await psql(pg, "select pg_read_file('PG_VERSION') is not null");
    expect(owner.stdout).toBe('t');
  });
});

describe('startEphemeralPostgres with options', () => {
  test('uses the given password, and stop() ends the server and removes its folder', async () => {
    const pg = await startEphemeralPostgres({ password: 'correct horse "battery" staple' });
    const root = join(pg.dataDir, '..');
    expect((await psql(pg, 'select 42')).stdout).toBe('42');
    await pg.stop();
    expect(existsSync(root)).toBe(false);
    expect(await portAnswers(pg.port)).toBe(false);
    await pg.stop(); // twice is harmless
  });

  test('two servers run side by side on different ports', async () => {
    const [a, b] = await Promise.all([startEphemeralPostgres(), startEphemeralPostgres()]);
    try {
      expect(a.port).not.toBe(b.port);
      expect((await psql(a, 'select 1')).stdout).toBe('1');
      expect((await psql(b, 'select 2')).stdout).toBe('2');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test('a taken fixed port fails in one sentence that names the port', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(startEphemeralPostgres({ port })).rejects.toThrow(
        `could not start a local PostgreSQL: port ${port} on 127.0.0.1 is already in use`,
      );
    } finally {
      blocker.close();
    }
  });
});
