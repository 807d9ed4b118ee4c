/**
 * Issue 11, fault 2, end to end: with `require: any`, a destination that dies
 * mid-write (a full disk, an S3 server killed) drops out with a warning and the
 * backup commits to the other — promptly, with the source's snapshot closed.
 * Before the fix these runs never returned (the test timed out), holding the
 * locks and an idle-in-transaction session on the database.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, vi } from 'vitest';
import { describe, expect, startS3, test } from '@lifeboat/testkit';
import { backupFiles, eachWorkspace, files, lifeboat, postgresPlan } from './test/harness.js';
import { fakeBinDir, seed } from './test/pg-tools.js';

const isRoot = process.getuid?.() === 0;
/** Long enough for the run on a loaded machine; before the fix the run never ended at all. */
const RUN_TIMEOUT = 150_000;

/** Sessions still open on the backed-up database once the run has returned (its dump snapshot, pg_dump). */
async function sessionsOn(server: { host: string; port: number; password: string }, database: string): Promise<string[]> {
  const client = new pg.Client({ host: server.host, port: server.port, user: 'postgres', password: server.password, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ who: string }>(
      "SELECT coalesce(application_name, '') || ' ' || coalesce(state, '') AS who FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      [database],
    );
    return rows.map((r) => r.who);
  } finally {
    await client.end();
  }
}

async function manifestOf(repo: string): Promise<{ destinations: string[]; failedDestinations?: Array<{ name: string; error: string }>; artifacts: Array<{ bytes: number }> }> {
  const manifest = (await backupFiles(repo)).find((f) => f.endsWith('manifest.json'));
  if (!manifest) throw new Error(`no manifest in ${repo}`);
  return JSON.parse(await readFile(join(repo, manifest), 'utf8'));
}

describe('require: any when a destination dies mid-write', () => {
  const ws = eachWorkspace();

  describe('a destination on a full disk', () => {
    let disk = '';
    beforeAll(async () => {
      if (!isRoot) return;
      disk = await mkdtemp(join(tmpdir(), 'lifeboat-tmpfs-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]);
    });
    afterAll(async () => {
      if (!disk) return;
      execFileSync('umount', [disk]);
      await rm(disk, { recursive: true, force: true });
    });

    test.skipIf(!isRoot)(
      'fault 11.2: a 2 MB tmpfs destination fills up under a 5 MB+ database: exit 0, committed to the other only, a warning naming it, nothing left on the tmpfs, no session left open',
      async ({ pg: server, db }) => {
        const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
        await seed(url, 100_000); // ~10 MB of table, a dump of ~4 MB: twice what the tmpfs holds
        const full = join(disk, 'repo');
        await ws.writePlan(postgresPlan({ destinations: { good: join(ws.dir, 'good'), full }, tables: ['t'], extra: '    require: any\n' }));

        const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir });

        expect(run.exitCode).toBe(0);
        expect(run.stdout).toMatch(/writing to destination 'full' failed: cannot write fs:[^ ]*: no space left on device \(ENOSPC\); continuing without it \(require: any\)/);
        const manifest = await manifestOf(join(ws.dir, 'good'));
        expect(manifest.destinations).toEqual(['good']);
        expect(manifest.failedDestinations).toEqual([{ name: 'full', error: expect.stringMatching(/^writing to destination 'full' failed: .*ENOSPC/) }]);
        expect(manifest.artifacts[0]!.bytes).toBeGreaterThan(2 * 1024 * 1024); // it really could not fit
        const [entry] = JSON.parse((await lifeboat(['--plan', ws.plan, 'list', '--json'], { env: {}, lockDir: ws.lockDir })).stdout);
        expect(entry.destinations).toEqual(['good']);
        // No partial artifact, no temp file, no manifest, no lock: only the marker and the run journal.
        expect((await files(full)).filter((f) => f !== 'lifeboat.json' && !f.startsWith('runs/'))).toEqual([]);
        await expect.poll(() => sessionsOn(server, db.name), { timeout: 10_000, interval: 50 }).toEqual([]);
      },
      RUN_TIMEOUT,
    );
  });

  test(
    'fault 11.2: the S3 server killed mid-upload: exit 0, committed to the fs destination only, a warning naming the S3 one, no session left open',
    async ({ pg: server, db }) => {
      const s3 = await startS3(); // its own server: this test kills it
      try {
        for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
        const bucket = await s3.bucket();
        const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
        await seed(url, 1_500_000);
        // An uncompressed dump (~110 MB); s3rver is SIGKILLed once 34 MiB have gone out: the first
        // 32 MiB part is on its way, and more remains than the upload can take in while it fails.
        const binDir = await fakeBinDir(ws.dir, `pg_dump "$@" -Z0 | { head -c ${34 * 1024 * 1024}; kill -9 ${s3.pid}; cat; }`);
        await ws.writePlan(
          postgresPlan({ destinations: { local: join(ws.dir, 'local') }, binDir, tables: ['t'], extra: '    require: any\n' })
            .replace('components:\n', `  cloud: { type: s3, bucket: ${bucket}, region: us-east-1, endpoint: "${s3.endpoint}", offsite: true }\ncomponents:\n`)
            .replace('destinations: [local]', 'destinations: [local, cloud]'),
        );
        await mkdir(join(ws.dir, 'local'), { recursive: true });

        const run = await lifeboat(['--plan', ws.plan, 'backup'], { env: { TEST_DATABASE_URL: url }, lockDir: ws.lockDir });

        expect(run.exitCode).toBe(0);
        expect(run.stdout).toMatch(/writing to destination 'cloud' failed: .*; continuing without it \(require: any\)/);
        const manifest = await manifestOf(join(ws.dir, 'local'));
        expect(manifest.destinations).toEqual(['local']);
        expect(manifest.failedDestinations).toEqual([{ name: 'cloud', error: expect.stringMatching(/^writing to destination 'cloud' failed: cannot write s3:\/\//) }]);
        expect(manifest.artifacts[0]!.bytes).toBeGreaterThan(100 * 1024 * 1024);
        await expect.poll(() => sessionsOn(server, db.name), { timeout: 10_000, interval: 50 }).toEqual([]);
      } finally {
        vi.unstubAllEnvs();
        await s3.stop();
      }
    },
    RUN_TIMEOUT,
  );
});
