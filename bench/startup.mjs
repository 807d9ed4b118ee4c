// The CLI's own time around the work: start-up (process start to its first run event) and exit (last event to
// process exit), with the CPU and the modules each command loads. Small data on purpose: what is left is the CLI.
// Run with `pnpm bench:startup` (BENCH_STARTUP_RUNS, default 5). Prints a markdown table.
// BENCH_STARTUP_BINS=before=/old/dist/bin.js,after=apps/runner/dist/bin.js compares CLIs (a build, a release's
// lib/lifeboat/lifeboat.mjs), alternating their runs so that the machine's load falls on each alike.
// Not a test: numbers depend on the machine, so nothing here asserts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEphemeralPostgres, startEphemeralRedis } from '../packages/ephemeral/dist/index.js';
import { log, median, secs, loadavg } from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BINS = (process.env.BENCH_STARTUP_BINS ?? `build=${join(ROOT, 'apps/runner/dist/bin.js')}`).split(',').map((pair) => {
  const at = pair.indexOf('=');
  return { name: pair.slice(0, at), bin: pair.slice(at + 1) };
});
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);

/** One CLI run: wall, CPU (user + system, from /proc via /usr/bin/time), its JSON events' first and last time. */
function lifeboat(args, { env, dir, trace, bin = BINS[0].bin }) {
  const timeFile = join(dir, 'time.txt');
  const node = trace ? ['--import', pathToFileURL(join(dir, 'trace.mjs')).href] : [];
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S', '-o', timeFile, process.execPath, ...node, bin, ...args], {
      env: { ...process.env, ...env, LIFEBOAT_LOCK_DIR: join(dir, 'locks'), ...(trace ? { TRACE_OUT: join(dir, 'modules.txt') } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', async (code) => {
      const ended = Date.now();
      const stdout = Buffer.concat(out).toString();
      if (code !== 0) return reject(new Error(`lifeboat ${args.join(' ')} exited ${code}: ${Buffer.concat(err)}`));
      const [, user, system] = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number);
      const times = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => Date.parse(JSON.parse(l).time));
      resolve({
        wall: (ended - started) / 1000,
        cpu: user + system,
        startup: times.length ? (times[0] - started) / 1000 : undefined,
        exit: times.length ? (ended - times.at(-1)) / 1000 : undefined,
      });
    });
  });
}

/** How many modules the run loaded through node's ES module loader (a bundle's chunks; the CommonJS files a package requires inside are not seen). */
async function modulesLoaded(args, opts) {
  await rm(join(opts.dir, 'modules.txt'), { force: true });
  await lifeboat(args, { ...opts, trace: true });
  const urls = readFileSync(join(opts.dir, 'modules.txt'), 'utf8').split('\n').filter((u) => u && !u.startsWith('node:'));
  return urls.length;
}

const dir = await mkdtemp(join(tmpdir(), 'lifeboat-bench-startup-'));
// A load hook that lists every module node loads (ES modules, and the CommonJS files they import).
await writeFile(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { const r = await next(url, context); appendFileSync(process.env.TRACE_OUT, url + '\\n'); return r; }\n`);
await writeFile(join(dir, 'trace.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
const redis = await startEphemeralRedis({ path: process.env.PATH });
const pg = await startEphemeralPostgres({ path: process.env.PATH });
try {
  const psql = (sql, db = 'postgres') =>
    new Promise((resolve, reject) => {
      const c = spawn(join(pg.binDir, 'psql'), ['-q', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql], { env: { ...process.env, ...pg.env }, stdio: 'ignore' });
      c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}`))));
    });
  await psql('CREATE DATABASE source');
  await psql("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 10000) g", 'source');
  const { default: Redis } = await import(pathToFileURL(join(ROOT, 'apps/runner/node_modules/ioredis/built/index.js')).href);
  const client = new Redis(redis.port, redis.host);
  for (let i = 0; i < 1000; i++) await client.set(`key:${i}`, `value ${i}`);
  await client.quit();

  const base = `postgres://postgres@127.0.0.1:${pg.port}`;
  const plan = join(dir, 'lifeboat.yaml');
  await writeFile(
    plan,
    `version: 1
name: startup
destinations:
  local: { type: fs, path: ${JSON.stringify(join(dir, 'backups'))} }
components:
  database:
    type: postgres
    url: env:DATABASE_URL
    format: custom
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [local]
    verify: { tables: [t] }
  cache:
    type: redis
    url: env:REDIS_URL
    schedule: "0 3 * * *"
    rpo: 24h
    rto: 1h
    destinations: [local]
`,
  );
  const env = { DATABASE_URL: `${base}/source`, REDIS_URL: redis.url, PGPASSWORD: pg.password, PATH: `${pg.binDir}:${process.env.PATH}` };
  const opts = { env, dir };
  for (const { bin } of BINS) await lifeboat(['--plan', plan, '--log-format', 'json', 'backup', 'database'], { ...opts, bin });
  let restores = 0;
  const commands = [
    ['--help', () => ['--help']],
    ['plan check', () => ['--plan', plan, 'plan', 'check']],
    ['backup cache (redis, 1,000 keys)', () => ['--plan', plan, '--log-format', 'json', 'backup', 'cache']],
    ['backup database (10,000 rows)', () => ['--plan', plan, '--log-format', 'json', 'backup', 'database']],
    ['restore database (new database)', () => {
      env.RESTORE_URL = `${base}/restored_${restores++}`;
      return ['--plan', plan, '--log-format', 'json', 'restore', 'database', '--to', 'env:RESTORE_URL'];
    }],
  ];
  const loadBefore = loadavg();
  log(`load average ${loadBefore}, ${RUNS} runs each of ${BINS.map((b) => b.name).join(', ')}, alternating`);
  const rows = [];
  for (const [name, args] of commands) {
    const runs = BINS.map(() => []);
    for (let i = 0; i < RUNS; i++) for (const [b, { bin }] of BINS.entries()) runs[b].push(await lifeboat(args(), { ...opts, bin }));
    for (const [b, { name: binName, bin }] of BINS.entries()) {
      const pick = (k) => runs[b].map((r) => r[k]).filter((v) => v !== undefined);
      const cell = (k) => (pick(k).length ? `${secs(median(pick(k)))} (${secs(Math.min(...pick(k)))}–${secs(Math.max(...pick(k)))})` : '—');
      const modules = await modulesLoaded(args(), { ...opts, bin });
      rows.push(`| ${name} | ${binName} | ${cell('wall')} | ${cell('cpu')} | ${cell('startup')} | ${cell('exit')} | ${modules} |`);
      log(rows.at(-1));
    }
  }
  console.log(`load average ${loadBefore} → ${loadavg()} · node ${process.version} · medians of ${RUNS} (min–max), seconds\n`);
  console.log('| command | CLI | wall | CPU (user + sys) | start → first event | last event → exit | modules loaded |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(rows.join('\n'));
} finally {
  await redis.stop();
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}
