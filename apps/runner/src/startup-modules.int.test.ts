// What a plain command loads: start-up time is mostly node loading modules, so a command must load only what it
// uses (docs/benchmarks.md, "Start-up and exit"). The built CLI runs with a module hook that lists every module it
// loads; no timing is asserted, only which heavy modules were (not) loaded.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_CLI } from './test/wal-server.js';

const CIVICQ = resolve(import.meta.dirname, '../../../examples/civicq.yaml');

/** Heavy modules by what they are; a module's URL names its package folder (pnpm) or workspace package. */
const HEAVY: Record<string, RegExp> = {
  'the TUI (Ink, React)': /\/(ink|react|react-reconciler|yoga-layout)@|\/apps\/tui\//,
  'the AWS SDK': /\/@aws-sdk\+|\/@smithy\+/,
  'the PostgreSQL driver (pg)': /\/pg@|\/pg-pool@/,
  'the Redis client (ioredis)': /\/ioredis@/,
  'tar': /\/tar@/,
  'verify (checks, reports, alerts)': /\/packages\/verify\//,
  'throwaway servers (ephemeral)': /\/packages\/ephemeral\//,
};

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeboat-startup-'));
  await writeFile(
    join(dir, 'hooks.mjs'),
    "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(process.env.MODULES_OUT, url + '\\n'); return next(url, context); }\n",
  );
  await writeFile(join(dir, 'trace.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  // Every kind, destinations on disk only (list reads them; nothing answers on the network).
  await writeFile(
    join(dir, 'lifeboat.yaml'),
    `version: 1
name: startup
destinations:
  local: { type: fs, path: ${JSON.stringify(join(dir, 'backups'))} }
components:
  database: { type: postgres, url: env:DATABASE_URL, schedule: "0 2 * * *", rpo: 24h, rto: 4h, destinations: [local] }
  cache: { type: redis, url: env:REDIS_URL, schedule: "0 3 * * *", rpo: 24h, rto: 1h, destinations: [local] }
  config: { type: files, paths: [${JSON.stringify(dir)}], schedule: "0 4 * * *", rpo: 24h, rto: 1h, destinations: [local] }
`,
  );
  await mkdir(join(dir, 'backups'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the built CLI with the hook; resolves its exit code and the URLs of the modules it loaded. */
async function modulesOf(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stderr: string; modules: string[] }> {
  const out = join(dir, `modules-${args.join('-').replace(/[^\w-]/g, '')}.txt`);
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'trace.mjs')).href, BUILT_CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MODULES_OUT: out, LIFEBOAT_LOCK_DIR: join(dir, 'locks'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stderr: run.stderr, modules: (await readFile(out, 'utf8')).split('\n').filter(Boolean) };
}

function heavyIn(modules: string[]): string[] {
  return Object.entries(HEAVY)
    .filter(([, pattern]) => modules.some((url) => pattern.test(url)))
    .map(([name]) => name);
}

describe('start-up loads only what the command uses (built CLI, module hook)', () => {
  it('the hook sees the modules a command does load (the kinds and their plan schema)', async () => {
    const run = await modulesOf(['--plan', join(dir, 'lifeboat.yaml'), 'plan', 'check']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.modules.some((url) => /\/strategies\/(dist|src)\/redis\/config\./.test(url))).toBe(true);
    expect(run.modules.some((url) => /\/zod@/.test(url))).toBe(true);
  });

  for (const args of [['--help'], ['backup', '--help'], ['restore', '--help'], ['plan', 'check'], ['list']]) {
    it(`lifeboat ${args.join(' ')} loads none of: ${Object.keys(HEAVY).join(', ')}`, async () => {
      const run = await modulesOf(['--plan', join(dir, 'lifeboat.yaml'), ...args]);
      expect(run.status, run.stderr).toBe(0);
      expect(heavyIn(run.modules)).toEqual([]);
    });
  }

  it("a backup of the redis component (replica mode, the default) loads none of them, not even the Redis client: INFO and SYNC go over one plain connection", async () => {
    // Nothing listens on port 1: the backup fails at connecting, after loading what a redis backup loads.
    const run = await modulesOf(['--plan', join(dir, 'lifeboat.yaml'), '--log-format', 'json', 'backup', 'cache'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr + run.modules.join('\n')).toMatch(/strategies\/(dist|src)\/redis\/replica-sync\./);
    expect(heavyIn(run.modules)).toEqual([]);
  });

  it('plan check of the CivicQ plan (every kind, s3 destinations, notify channels) loads neither the TUI nor the AWS SDK', async () => {
    const run = await modulesOf(['--plan', CIVICQ, 'plan', 'check']);
    expect(run.status, run.stderr).toBe(0);
    expect(heavyIn(run.modules)).toEqual([]);
  });
});
