import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startS3, type TestS3 } from '@lifeboat/testkit';
import { lifeboat, workspace, type Workspace } from './test/harness.js';
import { PITR } from './test/wal-server.js';

/** A segment-named file whose first page is a long WAL page header of cluster `sysid`. */
function segment(sysid: bigint, body = randomBytes(256 * 1024)): Buffer {
  const page = Buffer.alloc(8192);
  page.writeUInt16LE(0xd110, 0);
  page.writeUInt16LE(0x0002, 2);
  page.writeUInt32LE(1, 4);
  page.writeBigUInt64LE(sysid, 24);
  page.writeUInt32LE(16 * 1024 * 1024, 32);
  return Buffer.concat([page, body]);
}

describe('WAL archive in an S3 destination (s3rver): conditional writes and entries work there too', () => {
  let s3: TestS3;
  let ws: Workspace;
  beforeAll(async () => {
    s3 = await startS3();
    ws = await workspace();
    for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await s3?.stop();
    await ws?.cleanup();
  });

  test('push, push again, a clash, a second cluster, get and verify', async () => {
    const bucket = await s3.bucket();
    const keyFile = join(ws.dir, 'age.key');
    const recipient = (await lifeboat(['keys', 'generate', '--out', keyFile], { lockDir: ws.lockDir })).stdout.trim();
    await ws.writePlan(`version: 1
name: test
encryption: { recipients: [${recipient}], identity: file:${keyFile} }
destinations:
  s3: { type: s3, bucket: ${bucket}, region: ${s3.region}, endpoint: ${JSON.stringify(s3.endpoint)}, prefix: civicq }
components:
  database:
    type: postgres
    url: env:DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [s3]
${PITR}`);
    const run = (args: string[], cwd?: string) => lifeboat(['--plan', ws.plan, ...args], { lockDir: ws.lockDir, ...(cwd ? { cwd } : {}) });
    const dataDir = async (name: string, bytes: Buffer) => {
      const dir = join(ws.dir, `data-${randomBytes(4).toString('hex')}`);
      await mkdir(join(dir, 'pg_wal'), { recursive: true });
      await writeFile(join(dir, 'pg_wal', name), bytes);
      return dir;
    };
    const name = '000000010000000000000007';
    const original = segment(7001n);
    const data = await dataDir(name, original);
    expect((await run(['wal', 'push', 'database', `pg_wal/${name}`], data)).exitCode).toBe(0);
    const again = await run(['wal', 'push', 'database', `pg_wal/${name}`], data);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('already archived with the same content');

    const clash = await run(['wal', 'push', 'database', `pg_wal/${name}`], await dataDir(name, segment(7001n)));
    expect(clash.exitCode).toBe(1);
    expect(clash.stderr).toContain('with different content');
    const other = await run(['wal', 'push', 'database', `pg_wal/${name}`], await dataDir(name, segment(9999n)));
    expect(other.exitCode).toBe(1);
    expect(other.stderr).toContain('belongs to cluster 7001');

    const out = join(ws.dir, 'fetched');
    expect((await run(['wal', 'get', 'database', name, out])).exitCode).toBe(0);
    expect((await readFile(out)).equals(original)).toBe(true);
    expect((await run(['wal', 'get', 'database', '000000010000000000000008', out])).exitCode).toBe(1);
    const verify = await run(['wal', 'verify', 'database', '--json']);
    expect(verify.exitCode).toBe(0);
    expect(JSON.parse(verify.stdout).destinations[0]).toMatchObject({ systemIdentifier: '7001', timelines: [{ timeline: 1, segments: 1, first: name, last: name }] });
  });
});
