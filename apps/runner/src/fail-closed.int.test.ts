import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@lifeboat/testkit';
import { backupFiles, fakeBinDir, files, lifeboat, postgresPlan, seed, type Workspace, eachWorkspace } from './test/harness.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/**
 * Starts `lifeboat backup database` as a real process whose pg_dump waits on a
 * FIFO, so the test decides when it may finish; resolves once it is dumping.
 */
async function heldBackup(ws: Workspace, url: string, hostLockDir: string) {
  const fifo = join(ws.dir, 'hold');
  execFileSync('mkfifo', [fifo]);
  const binDir = await fakeBinDir(ws.dir, `cat ${JSON.stringify(fifo)} > /dev/null\nexec pg_dump "$@"`);
  await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a') }, binDir }));
  const env = { ...process.env, TEST_DATABASE_URL: url, LIFEBOAT_LOCK_DIR: hostLockDir };
  const first = spawn(process.execPath, [BIN, '--plan', ws.plan, 'backup', 'database'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number>((resolve) => first.on('close', (code) => resolve(code ?? -1)));
  let out = '';
  first.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await expect.poll(() => out.includes('pg_dump'), { timeout: 60_000, interval: 50 }).toBe(true);
  return {
    pid: first.pid!,
    /** Lets pg_dump go on; resolves the exit code. */
    finish: async () => {
      await writeFile(fifo, 'go\n');
      return exited;
    },
  };
}

describe('a failed backup leaves no manifest and no debris', () => {
  const ws = eachWorkspace();

  test('pg_dump killed mid-stream: exit 1, the reason, nothing in either destination', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await seed(url, 50_000);
    // Real pg_dump output, cut after 64 KiB by SIGKILL of the process Lifeboat started.
    const binDir = await fakeBinDir(ws.dir, 'pg_dump "$@" | { head -c 65536; kill -9 $$; }');
    await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a'), b: join(ws.dir, 'b') }, binDir, tables: ['t'] }));
    const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/backup of database failed: pg_dump was killed by SIGKILL/);
    expect(await backupFiles(join(ws.dir, 'a'))).toEqual([]);
    expect(await backupFiles(join(ws.dir, 'b'))).toEqual([]);
    // The run journal says what happened, in both destinations.
    const runs = (await files(join(ws.dir, 'a'))).filter((f) => f.startsWith('runs/'));
    expect(runs).toHaveLength(1);
    const record = JSON.parse(await readFile(join(ws.dir, 'a', runs[0]!), 'utf8'));
    expect(record).toMatchObject({ operation: 'backup', exitCode: 1, components: [{ component: 'database', outcome: 'failed' }] });
    expect(record.components[0].error).toMatch(/pg_dump was killed by SIGKILL/);
    const list = await lifeboat(['--plan', ws.plan, 'list', '--json'], { env: {}, lockDir: ws.lockDir });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  test('pg_dump exiting non-zero after partial output fails the backup', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await seed(url, 1000);
    const binDir = await fakeBinDir(ws.dir, 'pg_dump "$@" | head -c 1000; echo "pg_dump: error: simulated failure" >&2; exit 3');
    await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a') }, binDir }));
    const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/pg_dump exited with code 3: pg_dump: error: simulated failure/);
    expect(await backupFiles(join(ws.dir, 'a'))).toEqual([]);
  });

  test('a pg_dump older than the server is refused before dumping, with the fix', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    const binDir = await fakeBinDir(ws.dir, 'echo "must not run" >&2; exit 9', 'echo "pg_dump (PostgreSQL) 9.6.24"');
    await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a') }, binDir }));
    const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/pg_dump 9 in .*\/bin is older than the PostgreSQL 1\d\.\d+ server; install the version 1\d client tools or set binDir to them/);
    expect(run.stdout).not.toContain('must not run');
  });

  test('server unreachable: exit 1 with the address, no manifest', async () => {
    await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a') } }));
    const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/could not connect to PostgreSQL at 127\.0\.0\.1:1: connection refused/);
    expect(await backupFiles(join(ws.dir, 'a'))).toEqual([]);
  });

  test('wrong password: exit 1, says so, never prints the password', async ({ pg: server, db }) => {
    const url = `postgres://postgres:not-the-password@${server.host}:${server.port}/${db.name}`;
    await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a') } }));
    const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/rejected the password for user postgres/);
    expect(run.stdout + run.stderr).not.toContain('not-the-password');
    expect(await backupFiles(join(ws.dir, 'a'))).toEqual([]);
  });

  test('destination not writable: exit 1 naming the destination, other destination left clean', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await seed(url, 100);
    await writeFile(join(ws.dir, 'a-file'), 'not a folder');
    await ws.writePlan(postgresPlan({ destinations: { good: join(ws.dir, 'good'), bad: join(ws.dir, 'a-file', 'repo') } }));
    const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/backup of database failed: .*a-file\/repo.*not a directory/i);
    expect(await backupFiles(join(ws.dir, 'good'))).toEqual([]);
  });

  test('require: any commits to the destinations that worked and records the one that did not', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await seed(url, 100);
    await writeFile(join(ws.dir, 'a-file'), 'not a folder');
    await ws.writePlan(postgresPlan({ destinations: { good: join(ws.dir, 'good'), bad: join(ws.dir, 'a-file', 'repo') }, extra: '    require: any\n' }));
    const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/cannot open destination 'bad' .*; continuing without it \(require: any\)/);
    const [entry] = JSON.parse((await lifeboat(['--plan', ws.plan, 'list', '--json'], { env: {}, lockDir: ws.lockDir })).stdout);
    expect(entry.destinations).toEqual(['good']);
    const manifest = (await backupFiles(join(ws.dir, 'good'))).find((f) => f.endsWith('manifest.json'))!;
    expect(JSON.parse(await readFile(join(ws.dir, 'good', manifest), 'utf8')).failedDestinations).toEqual([
      { name: 'bad', error: expect.stringMatching(/^cannot open destination 'bad'/) },
    ]);
  });

  test('a second backup of the same component while one runs exits 75 at once', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await seed(url, 100);
    const first = await heldBackup(ws, url, ws.lockDir);
    expect(existsSync(ws.lockDir)).toBe(true);

    const second = await lifeboat(['--plan', ws.plan, 'backup', 'database'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir });
    expect(second.exitCode).toBe(75);
    expect(second.stdout).toMatch(new RegExp(`another lifeboat run \\(pid ${first.pid}, backup started .*\\) holds the lock for test\\.database`));

    expect(await first.finish()).toBe(0);
  });

  test('two hosts sharing a destination: the second exits 75 naming the first by its repository lock; unlock shows it', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await seed(url, 100);
    // Separate host-lock folders: to each other the two runs are on different hosts (a shared NFS destination).
    const first = await heldBackup(ws, url, join(ws.dir, 'host-1-locks'));
    const lock = JSON.parse(await readFile(join(ws.dir, 'a', 'locks', 'database.json'), 'utf8'));
    expect(lock).toMatchObject({ lifeboat: 'lock', plan: 'test', component: 'database', operation: 'backup', pid: first.pid });

    const hostTwo = join(ws.dir, 'host-2-locks');
    const second = await lifeboat(['--plan', ws.plan, 'backup', 'database'], { env: { TEST_DATABASE_URL: url }, lockDir: hostTwo });
    expect(second.exitCode).toBe(75);
    expect(second.stdout).toMatch(new RegExp(`destination 'a' \\(fs:.*\\) is locked for database by backup on .*@.* \\(pid ${first.pid}\\) since `));
    const shown = await lifeboat(['--plan', ws.plan, 'unlock', 'database'], { env: {}, lockDir: hostTwo });
    expect(shown.exitCode).toBe(2);
    expect(shown.stdout).toMatch(new RegExp(`backup on .* \\(pid ${first.pid}\\) since .*; live until `));
    expect(shown.stderr).toMatch(/nothing was removed; pass --yes/);

    expect(await first.finish()).toBe(0);
    expect(existsSync(join(ws.dir, 'a', 'locks', 'database.json'))).toBe(false);
    const none = await lifeboat(['--plan', ws.plan, 'unlock', 'database'], { env: {}, lockDir: hostTwo });
    expect(none).toMatchObject({ exitCode: 0, stdout: 'no lock on database in a\n' });
  });

  test('the lock of a host that died: backup exits 75 until unlock --yes removes it; an expired one is taken over', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    await seed(url, 100);
    await ws.writePlan(postgresPlan({ destinations: { a: join(ws.dir, 'a') } }));
    const dead = (expiresAt: string) =>
      JSON.stringify({ lifeboat: 'lock', plan: 'test', component: 'database', operation: 'backup', owner: 'ops@db-2', host: 'db-2', pid: 4242, token: 'dead', acquiredAt: '2026-11-26T01:50:00Z', refreshedAt: '2026-11-26T01:55:00Z', expiresAt });
    await mkdir(join(ws.dir, 'a', 'locks'), { recursive: true });
    await writeFile(join(ws.dir, 'a', 'locks', 'database.json'), dead('2099-01-01T00:00:00Z'));
    const env = { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir };
    const blocked = await lifeboat(['--plan', ws.plan, 'backup'], env);
    expect(blocked.exitCode).toBe(75);
    expect(blocked.stdout).toMatch(/is locked for database by backup on ops@db-2 \(pid 4242\) since 2026-11-26T01:50:00Z; try again when it finishes/);
    expect(await backupFiles(join(ws.dir, 'a'))).toEqual(['locks/database.json']);

    // status says who holds it (the plan's one backup is missing, so it is not healthy: exit 3).
    const status = await lifeboat(['--plan', ws.plan, 'status'], env);
    expect(status.stdout).toContain("locks:\n  database: backup running on ops@db-2 (pid 4242) since 2026-11-26T01:50:00Z, holding the lock in a\n");
    const statusJson = JSON.parse((await lifeboat(['--plan', ws.plan, 'status', '--json'], env)).stdout);
    expect(statusJson[0].locks).toEqual([{ destination: 'a', operation: 'backup', owner: 'ops@db-2', pid: 4242, since: '2026-11-26T01:50:00Z', expiresAt: '2099-01-01T00:00:00Z' }]);

    const refused = await lifeboat(['--plan', ws.plan, 'unlock', 'database', '--yes'], env);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/nothing was removed: this lock is live .*pass --force as well/);
    expect(existsSync(join(ws.dir, 'a', 'locks', 'database.json'))).toBe(true);
    const removed = await lifeboat(['--plan', ws.plan, 'unlock', 'database', '--yes', '--force', '--json'], env);
    expect(removed.exitCode).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual([
      expect.objectContaining({ destination: 'a', holder: expect.objectContaining({ owner: 'ops@db-2', pid: 4242 }), removed: true }),
    ]);
    expect((await lifeboat(['--plan', ws.plan, 'backup'], env)).exitCode).toBe(0);

    await mkdir(join(ws.dir, 'a', 'locks'), { recursive: true }); // removed with the last lock in it
    await writeFile(join(ws.dir, 'a', 'locks', 'database.json'), dead('2026-01-01T00:00:00Z'));
    expect((await lifeboat(['--plan', ws.plan, 'status'], env)).stdout).toMatch(
      /database: a stale backup lock of ops@db-2 \(pid 4242\) in a \(it expired at 2026-01-01T00:00:00Z\); the next run takes it over, lifeboat unlock database --yes removes it now/,
    );
    const takeover = await lifeboat(['--plan', ws.plan, 'backup'], env);
    expect(takeover.exitCode).toBe(0);
    expect(takeover.stdout).toMatch(/took over the lock of backup on ops@db-2 \(pid 4242\) in destination 'a' \(fs:.*\): it expired at 2026-01-01T00:00:00Z/);
    expect(existsSync(join(ws.dir, 'a', 'locks', 'database.json'))).toBe(false);
  });
});
