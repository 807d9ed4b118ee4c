import { execFileSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, test } from '@lifeboat/testkit';
import { backupFiles, lifeboat, postgresPlan, eachWorkspace } from './test/harness.js';

describe('age encryption end to end', () => {
  const ws = eachWorkspace();

  test('an encrypted backup decrypts with stock age, verifies without the key, and restores with it', async ({ pg: server, db }) => {
    const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 3000) g');
    await client.end();

    const keyFile = join(ws.dir, 'age.key');
    const keys = await lifeboat(['keys', 'generate', '--out', keyFile], { lockDir: ws.lockDir });
    expect(keys.exitCode).toBe(0);
    const recipient = keys.stdout.trim();
    expect(recipient).toMatch(/^age1[a-z0-9]{58}$/);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await lifeboat(['keys', 'generate', '--out', keyFile], { lockDir: ws.lockDir })).exitCode).toBe(2);

    const plan = (identity: boolean) =>
      postgresPlan({ destinations: { a: join(ws.dir, 'a') }, tables: ['t'] }).replace(
        'name: test\n',
        `name: test\nencryption:\n  recipients: [${recipient}]\n${identity ? `  identity: file:${keyFile}\n` : ''}`,
      );
    // The backup host has only the recipient: the dump's structure is checked later, where the key is.
    await ws.writePlan(plan(false));
    const env = { TEST_DATABASE_URL: url, RESTORE_URL: `${url}_restored` };
    const backup = await lifeboat(['--plan', ws.plan, '--log-format', 'human', 'backup'], { env, lockDir: ws.lockDir });
    expect(backup.exitCode).toBe(0);
    expect(backup.stdout).toMatch(/structure not re-read .*no encryption\.identity/);
    const stored = (await backupFiles(join(ws.dir, 'a'))).find((f) => f.endsWith('database.dump.age'))!;
    expect(stored).toBeDefined();
    const bytes = await readFile(join(ws.dir, 'a', stored));
    expect(bytes.subarray(0, 21).toString()).toBe('age-encryption.org/v1');

    // Restorable without Lifeboat: age -d | pg_restore --list.
    const listing = execFileSync('/bin/sh', ['-c', `age -d -i ${keyFile} ${join(ws.dir, 'a', stored)} | pg_restore --list`]).toString();
    expect(listing).toMatch(/TABLE DATA public t /);

    expect((await lifeboat(['--plan', ws.plan, 'verify'], { env, lockDir: ws.lockDir })).exitCode).toBe(0);
    const noKey = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:RESTORE_URL'], { env, lockDir: ws.lockDir });
    expect(noKey.exitCode).toBe(2); // nothing was changed: the copy is proven before anything happens
    expect(noKey.stdout).toMatch(/database\.dump\.age is encrypted with age; set encryption\.identity in the plan to read it/);

    await ws.writePlan(plan(true));
    const deep = await lifeboat(['--plan', ws.plan, 'verify', '--deep', '--json'], { env, lockDir: ws.lockDir });
    expect(deep.exitCode).toBe(0);
    expect(JSON.parse(deep.stdout)[0].structure).toMatch(/archive entries/);
    const restore = await lifeboat(['--plan', ws.plan, 'restore', 'database', '--to', 'env:RESTORE_URL', '--clean', '--yes'], { env, lockDir: ws.lockDir });
    expect(restore.exitCode).toBe(0);
    expect(restore.stdout).toMatch(/"rows in t".*"actual":3000/);
  });
});
