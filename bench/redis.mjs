// Lifeboat vs `redis-cli --rdb`, measured on this machine.
// Run with `pnpm bench:redis` (builds first). Writes docs/benchmarks-redis.md; progress goes to stderr.
// Not a test: numbers depend on the machine, so nothing here asserts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startEphemeralRedis } from '../packages/core/dist/index.js';
import { log, vmHwmKiB, median, mib, kibToMiB, secs, yes, loadavg } from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPORT = join(ROOT, 'docs/benchmarks-redis.md');
const BIN = join(ROOT, 'apps/runner/dist/bin.js');
const TIME = '/usr/bin/time';
const KEYS = 1_000_000;
const HASH_EVERY = 10; // every 10th key is a hash
const CHUNK = 50_000;
const RUNS = 3;
const GOAL = { backupRatio: 1.2 };

/** Runs a command to its end; wall clock, and peak RSS via /usr/bin/time or polled VmHWM. */
function run(cmd, args, { env, stdout = 'ignore', measure = false, timeFile, input } = {}) {
  const useTime = measure && timeFile !== undefined && existsSync(TIME);
  const [file, argv] = useTime ? [TIME, ['-f', '%M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { env, stdio: [input ? 'pipe' : 'ignore', stdout === 'capture' ? 'pipe' : 'ignore', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout?.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    let hwmKiB = 0;
    const poll = measure && !useTime
      ? setInterval(() => {
          const kib = vmHwmKiB(child.pid);
          if (kib !== undefined && kib > hwmKiB) hwmKiB = kib;
        }, 25)
      : undefined;
    child.once('error', (e) => {
      clearInterval(poll);
      reject(e);
    });
    if (input) input(child.stdin).catch(reject);
    child.once('close', async (code, signal) => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const stderr = Buffer.concat(err).toString();
      if (code !== 0) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}\n${stderr.slice(-2000)}`));
        return;
      }
      if (useTime) hwmKiB = Number((await readFile(timeFile, 'utf8')).trim().split('\n').pop());
      resolve({ seconds, stdout: Buffer.concat(out).toString(), stderr, rssKiB: measure ? hwmKiB : undefined });
    });
  });
}

function machine(server) {
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return { nproc: cpus().length, memory: `${(memKiB / 1024 / 1024).toFixed(1)} GiB`, cpu, node: process.version, redis: server.version };
}

function planYaml(destination) {
  return `version: 1
name: bench
destinations:
  local: { type: fs, path: ${JSON.stringify(destination)} }
components:
  redis:
    type: redis
    url: env:BENCH_REDIS_URL
    schedule: "0 3 * * *"
    rpo: 24h
    rto: 1h
    destinations: [local]
`;
}

const resp = (...parts) => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
const value = () => randomBytes(10 + Math.floor(Math.random() * 40)).toString('hex'); // 20–98 bytes

/** Feeds `redis-cli --pipe` SET/HSET commands, CHUNK keys at a time, minding back-pressure. */
async function feed(stdin) {
  for (let start = 0; start < KEYS; start += CHUNK) {
    let chunk = '';
    for (let i = start; i < Math.min(start + CHUNK, KEYS); i++) {
      chunk += i % HASH_EVERY === 0 ? resp('HSET', `hash:${i}`, 'a', value(), 'b', value(), 'c', value()) : resp('SET', `key:${i}`, value());
    }
    if (!stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
  }
  stdin.end();
}

/** Size of the largest file under `dir`: the stored RDB (the manifest is small). */
function largestFile(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) max = Math.max(max, statSync(join(e.parentPath ?? e.path, e.name)).size);
  }
  return max;
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'lifeboat-bench-redis-'));
  log(`working in ${work}`);
  const password = randomBytes(16).toString('hex');
  let server;
  try {
    log('starting a throwaway Redis');
    server = await startEphemeralRedis({ password, path: process.env.PATH });
    return await measure(server, work, password);
  } finally {
    log('stopping Redis and removing temp folders');
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function measure(server, work, password) {
  log(`Redis ${server.version} on 127.0.0.1:${server.port}`);
  const loadBefore = loadavg();
  // The password goes to redis-cli through REDISCLI_AUTH and to Lifeboat through the URL variable: never argv.
  const cliEnv = { ...process.env, REDISCLI_AUTH: password };
  const port = String(server.port);

  log(`loading ${KEYS} keys with redis-cli --pipe`);
  const load = await run('redis-cli', ['-p', port, '--pipe'], { env: cliEnv, stdout: 'capture', input: feed });
  const dbsize = Number((await run('redis-cli', ['-p', port, 'DBSIZE'], { env: cliEnv, stdout: 'capture' })).stdout.trim());
  log(`  ${dbsize} keys in ${secs(load.seconds)} s`);

  const lockDir = join(work, 'locks');
  const planDir = join(work, 'plan');
  await mkdir(lockDir);
  await mkdir(planDir);
  const plan = join(planDir, 'lifeboat.yaml');
  const destination = join(planDir, 'backups');
  await writeFile(plan, planYaml(destination));
  const lifeboatEnv = { ...process.env, LIFEBOAT_LOCK_DIR: lockDir, BENCH_REDIS_URL: `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}` };
  const rdbFile = join(work, 'dump.rdb');

  let timeFiles = 0;
  const runs = { lifeboat: [], cli: [] };
  let storedBytes;
  for (let i = 1; i <= RUNS; i++) {
    log(`run ${i}/${RUNS}: lifeboat backup redis`);
    const destBefore = existsSync(destination) ? largestFile(destination) : 0;
    const lb = await run(process.execPath, [BIN, '--plan', plan, '--log-format', 'json', 'backup', 'redis'], {
      env: lifeboatEnv,
      stdout: 'capture',
      measure: true,
      timeFile: join(work, `run-${++timeFiles}.time`),
    });
    const stored = lb.stdout.split('\n').filter((l) => l.includes('"artifact.stored"')).map((l) => JSON.parse(l))[0];
    storedBytes ??= stored?.artifact?.bytes ?? (destBefore === 0 ? largestFile(destination) : undefined);
    runs.lifeboat.push(lb);
    log(`  ${secs(lb.seconds)} s, peak RSS ${kibToMiB(lb.rssKiB)} MiB`);
    log(`run ${i}/${RUNS}: redis-cli --rdb`);
    await rm(rdbFile, { force: true });
    const cli = await run('redis-cli', ['-p', port, '--rdb', rdbFile], { env: cliEnv });
    runs.cli.push(cli);
    log(`  ${secs(cli.seconds)} s`);
  }
  const rdbBytes = (await stat(rdbFile)).size;
  return { machine: { ...machine(server), loadBefore, loadAfter: loadavg() }, dbsize, loadSeconds: load.seconds, rdbBytes, storedBytes, runs };
}

function report(r) {
  const m = r.machine;
  const list = (xs) => xs.map((x) => secs(x.seconds)).join(', ');
  const lb = median(r.runs.lifeboat.map((x) => x.seconds));
  const cli = median(r.runs.cli.map((x) => x.seconds));
  const ratio = lb / cli;
  const rss = Math.max(...r.runs.lifeboat.map((x) => x.rssKiB));
  const rssHow = existsSync(TIME) ? '`/usr/bin/time -f %M`' : 'node’s `VmHWM`, polled from `/proc` every 25 ms';
  const stored = r.storedBytes === undefined ? 'n/a' : `${mib(r.storedBytes)} MiB (${((r.storedBytes / r.rdbBytes) * 100).toFixed(0)} % of the RDB)`;
  return `# Benchmarks — Redis

Run with \`pnpm bench:redis\` (builds, then runs \`bench/redis.mjs\`); it starts its own throwaway
Redis and overwrites this file with the newest figures.

## Latest run

- Date: ${new Date().toISOString()}
- Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memory} RAM
- Node ${m.node}, Redis ${m.redis}
- Load average (1/5/15 min) at the start ${m.loadBefore}, at the end ${m.loadAfter}
- Data: ${r.dbsize.toLocaleString('en')} keys (every ${HASH_EVERY}th a 3-field hash, the rest strings; values 20–98 bytes), loaded with \`redis-cli --pipe\` in ${secs(r.loadSeconds)} s
- RDB (\`redis-cli --rdb\`): ${mib(r.rdbBytes)} MiB; Lifeboat's stored artifact: ${stored}

## Backup time

\`lifeboat backup redis\` (one fs destination) vs \`redis-cli -p PORT --rdb <file>\`, ${RUNS} runs each,
alternating; wall clock from spawn to exit, medians compared.

| | runs (s) | median (s) |
|---|---|---|
| lifeboat backup redis | ${list(r.runs.lifeboat)} | ${secs(lb)} |
| redis-cli --rdb | ${list(r.runs.cli)} | ${secs(cli)} |

| ratio lifeboat / redis-cli | goal | met? |
|---|---|---|
| ${ratio.toFixed(2)}× | ≤ ${GOAL.backupRatio.toFixed(2)}× | ${yes(ratio <= GOAL.backupRatio)} |

Peak RSS of the lifeboat process (${rssHow}, largest of the ${RUNS} runs): ${kibToMiB(rss)} MiB.

## Interpretation

Both sides wait for the same thing first: the server forks and writes an RDB snapshot, then streams
it over the replication protocol. \`redis-cli --rdb\` only writes that stream to a file. Lifeboat
also gzips it, validates the RDB (CRC64 checksum and a walk of its structure), and stores it with
fsync + rename plus a manifest, and it pays node's start-up. ${
    ratio <= GOAL.backupRatio
      ? `Here that extra work costs ${((ratio - 1) * 100).toFixed(0)} % of the wall clock, within the ${((GOAL.backupRatio - 1) * 100).toFixed(0)} % budget.`
      : `Here that extra work costs ${((ratio - 1) * 100).toFixed(0)} % of the wall clock, over the ${((GOAL.backupRatio - 1) * 100).toFixed(0)} % budget: compression and validation run on the critical path.`
  } One machine, ${RUNS} runs each, synthetic values (random bytes as hex, so gzip saves about half); a load average above 1 means other work shared the CPUs.
`;
}

const started = Date.now();
try {
  const results = await main();
  await mkdir(dirname(REPORT), { recursive: true });
  await writeFile(REPORT, report(results));
  log(`wrote ${REPORT} in ${((Date.now() - started) / 60000).toFixed(1)} min`);
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
