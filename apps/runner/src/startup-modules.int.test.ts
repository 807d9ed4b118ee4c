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
  // Node's own modules too (process.moduleLoadList, at exit): what loads without going through the ES module loader.
  await writeFile(
    join(dir, 'trace.mjs'),
    `import { register } from 'node:module';\nimport { writeFileSync } from 'node:fs';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\nprocess.on('exit', () => writeFileSync(process.env.MODULES_OUT + '.node', process.moduleLoadList.join('\\n')));\n`,
  );
  // Each plan's destination is a folder named as the plan, on disk only (list reads it; nothing answers on the network).
  const plan = (name: string, head: string, components: string) =>
    `version: 1\nname: ${name}\ndestinations:\n  local: { type: fs, path: ${JSON.stringify(join(dir, name))} }\n${head}components:\n${components}`;
  // Every kind.
  await writeFile(
    join(dir, 'lifeboat.yaml'),
    plan(
      'startup',
      '',
      `  database: { type: postgres, url: env:DATABASE_URL, schedule: "0 2 * * *", rpo: 24h, rto: 4h, destinations: [local], pitr: { baseBackups: "0 2 * * 0", walRpo: 5m } }
  cache: { type: redis, url: env:REDIS_URL, schedule: "0 3 * * *", rpo: 24h, rto: 1h, destinations: [local] }
  config: { type: files, paths: [${JSON.stringify(dir)}], schedule: "0 4 * * *", rpo: 24h, rto: 1h, destinations: [local] }
`,
    ),
  );
  await mkdir(join(dir, 'startup'));
  // An encrypted plan: a files backup of one small folder, to age recipients.
  await mkdir(join(dir, 'etc'));
  await writeFile(join(dir, 'etc', 'app.conf'), 'a = 1\n');
  const keys = spawnSync(process.execPath, [BUILT_CLI, 'keys', 'generate', '--out', join(dir, 'age.key')], { encoding: 'utf8', timeout: 60_000 });
  expect(keys.status, keys.stderr).toBe(0);
  await writeFile(
    join(dir, 'encrypted.yaml'),
    plan('sealed', `encryption: { recipients: [${keys.stdout.trim()}] }\n`, `  config: { type: files, paths: [${JSON.stringify(join(dir, 'etc'))}], schedule: "0 4 * * *", rpo: 24h, rto: 1h, destinations: [local] }\n`),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the built CLI with the hook; resolves its exit code, the URLs of the modules it loaded and node's own it loaded. */
async function modulesOf(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stderr: string; modules: string[]; builtins: string[] }> {
  const out = join(dir, `modules-${args.join('-').replace(/[^\w-]/g, '')}.txt`);
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'trace.mjs')).href, BUILT_CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MODULES_OUT: out, LIFEBOAT_LOCK_DIR: join(dir, 'locks'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  return { status: run.status, stderr: run.stderr, modules: await lines(out), builtins: await lines(`${out}.node`) };
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

  it("wal get (restore_command's full path, for a segment not prefetched) and wal prefetch load none of them: the PostgreSQL driver is for wal setup --check alone", async () => {
    const plan = join(dir, 'lifeboat.yaml');
    const data = join(dir, 'data');
    await mkdir(join(data, 'pg_wal'), { recursive: true });
    // An empty archive: get answers "not archived" (exit 1), the prefetcher stops at once (no prefetch folder).
    const get = await modulesOf(['--plan', plan, 'wal', 'get', 'database', '000000010000000000000001', join(data, 'pg_wal', 'RECOVERYXLOG')]);
    expect(get.status, get.stderr).toBe(1);
    expect(get.stderr).toContain('not in the archive of database');
    const prefetch = await modulesOf(['--plan', plan, 'wal', 'prefetch', 'database', '--data-dir', data, '--timeline', '00000001']);
    expect(prefetch.status, prefetch.stderr).toBe(0);
    for (const run of [get, prefetch]) {
      expect(run.modules.some((url) => /\/strategies\/(dist|src)\/postgres\/wal\/get\./.test(url))).toBe(true);
      expect(heavyIn(run.modules)).toEqual([]);
    }
  });

  it("an encrypted backup does not load node's fetch (undici): the age header is read as a stream, not through new Response()", async () => {
    const run = await modulesOf(['--plan', join(dir, 'encrypted.yaml'), '--log-format', 'json', 'backup', 'config']);
    expect(run.status, run.stderr).toBe(0);
    // The backup did encrypt, or this proves nothing.
    expect(run.modules.some((url) => /\/age-encryption@/.test(url))).toBe(true);
    expect(run.builtins.filter((m) => /undici/.test(m))).toEqual([]);
  });

  it('plan check of the CivicQ plan (every kind, s3 destinations, notify channels) loads neither the TUI nor the AWS SDK', async () => {
    const run = await modulesOf(['--plan', CIVICQ, 'plan', 'check']);
    expect(run.status, run.stderr).toBe(0);
    expect(heavyIn(run.modules)).toEqual([]);
  });
});
