// Lifeboat vs the stock PostgreSQL tools, measured on this machine.
// Run with `pnpm bench:pg` (builds first). Writes docs/benchmarks.md; progress goes to stderr.
// Not a test: numbers depend on the machine, so nothing here asserts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { cpus, getPriority, setPriority, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEphemeralPostgres } from '../packages/ephemeral/dist/index.js';
import { log, vmHwmKiB, firstChild, median, mib, kibToMiB, secs, yes, loadavg, timeline, timelineRows, snapshotRunner, preferBench } from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPORT = join(ROOT, 'docs/benchmarks.md');
const TIME = '/usr/bin/time';
const SCALES = [20, 40];
const RUNS = 3;
const PRIORITY = -10;
const GOAL = { backupRatio: 1.1, restoreSpeedup: 1.5, rssMiB: 150, rssGrowth: 0.1 };

/** Stops the command running now, so Ctrl-C lets `finally` clean up. */
let current;
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  log('interrupted; stopping the current step and cleaning up (again to quit now)');
  current?.();
});

/**
 * Runs a command to its end and times it (wall clock). With `timeFile` it runs
 * under /usr/bin/time for peak RSS and CPU seconds; with `measure` the
 * command's own VmHWM is polled from /proc too, since /usr/bin/time reports
 * the larger of the command and the children it waited for.
 */
function run(cmd, args, { env, stdout = 'ignore', measure = false, timeFile } = {}) {
  if (interrupted) return Promise.reject(new Error('interrupted'));
  const useTime = timeFile !== undefined && existsSync(TIME);
  // %M: peak RSS (KiB); %U %S: CPU seconds of the process and the children it reaped.
  const [file, argv] = useTime ? [TIME, ['-f', '%M %U %S', '-o', timeFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { env, stdio: ['ignore', stdout === 'capture' ? 'pipe' : 'ignore', 'pipe'] });
    // GNU time ignores SIGINT while it waits, so the command under it is signalled.
    current = () => {
      const pid = useTime ? firstChild(child.pid) : child.pid;
      try {
        if (pid !== undefined) process.kill(pid, 'SIGINT');
      } catch {
        // already gone
      }
    };
    const out = [];
    const err = [];
    child.stdout?.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    let hwmKiB = 0;
    const poll = measure
      ? setInterval(() => {
          const pid = useTime ? firstChild(child.pid) : child.pid;
          const kib = pid === undefined ? undefined : vmHwmKiB(pid);
          if (kib !== undefined && kib > hwmKiB) hwmKiB = kib;
        }, 25)
      : undefined;
    child.once('error', (e) => {
      clearInterval(poll);
      reject(e);
    });
    child.once('close', async (code, signal) => {
      clearInterval(poll);
      current = undefined;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const stderr = Buffer.concat(err).toString();
      if (code !== 0) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}\n${stderr.slice(-2000)}`));
        return;
      }
      let timeKiB;
      let cpuSeconds;
      if (useTime) {
        const [rss, user, sys] = (await readFile(timeFile, 'utf8')).trim().split('\n').pop().split(' ').map(Number);
        timeKiB = rss;
        cpuSeconds = user + sys;
      }
      resolve({ seconds, stdout: Buffer.concat(out).toString(), stderr, timeKiB, cpuSeconds, hwmKiB: measure ? hwmKiB : undefined });
    });
  });
}

/** Seconds of the steps whose message matches `pattern` (0 when none does). */
const stepSeconds = (t, pattern) => t.steps.filter((s) => pattern.test(s.msg)).reduce((sum, s) => sum + s.seconds, 0);

async function machine(server) {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const nproc = (await run('nproc', [], { stdout: 'capture' })).stdout.trim();
  const df = (await run('df', ['-hT', tmpdir()], { stdout: 'capture' })).stdout.trim().split('\n').pop().split(/\s+/);
  const device = df[0] ?? '?';
  const block = device.replace(/^\/dev\//, '').replace(/p?\d+$/, '');
  let rotational = '?';
  try {
    const flag = readFileSync(`/sys/block/${block}/queue/rotational`, 'utf8').trim();
    rotational = `${flag === '1' ? 'rotational' : 'non-rotational'} per /sys/block/${block}/queue/rotational`;
  } catch {
    // not a plain block device (overlay, tmpfs…)
  }
  return {
    nproc,
    memory: `${(memKiB / 1024 / 1024).toFixed(1)} GiB`,
    cpu,
    node: process.version,
    postgres: server.version,
    disk: `${tmpdir()} on ${device} (${df[1] ?? '?'}, ${rotational}, ${df[2] ?? '?'}); the server's data, the dumps and the Lifeboat destination all share it.`,
  };
}

function planYaml(destination, tables) {
  return `version: 1
name: bench
destinations:
  local: { type: fs, path: ${JSON.stringify(destination)}, medium: disk }
components:
  database:
    type: postgres
    url: env:BENCH_DATABASE_URL
    format: custom
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [local]
    verify:
      tables: [${tables.join(', ')}]
`;
}

async function main() {
  const niceness = preferBench(PRIORITY);
  log(`running at niceness ${niceness}`);
  const work = await mkdtemp(join(tmpdir(), 'lifeboat-bench-'));
  log(`working in ${work}`);
  let server;
  try {
    const runner = await snapshotRunner(ROOT, work, (bin) => run(process.execPath, [bin, '--version'], { stdout: 'capture' }).then((v) => v.stdout.trim()));
    log(`runner ${runner.version} copied to ${dirname(dirname(runner.bin))}`);
    log('starting a throwaway PostgreSQL');
    server = await startEphemeralPostgres({ path: process.env.PATH });
    return { ...(await measure(server, work, runner)), niceness };
  } finally {
    log('stopping PostgreSQL and removing temp folders');
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function measure(server, work, runner) {
  log(`PostgreSQL ${server.version} on 127.0.0.1:${server.port}`);
  const loadBefore = loadavg();
  const bin = (tool) => join(server.binDir, tool);
  // Same client binaries for Lifeboat and the baselines: the server's own folder first on PATH.
  const PATH = [server.binDir, process.env.PATH ?? ''].join(delimiter);
  const pgEnv = { ...process.env, PATH, ...server.env };
  const psql = (db, sql) => run(bin('psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql], { env: pgEnv, stdout: 'capture' });
  const dbSize = async (db) => Number((await psql('postgres', `SELECT pg_database_size('${db}')`)).stdout.trim());
  const base = `postgres://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}`;
  const machineInfo = await machine(server);
  let timeFiles = 0;
  const timeFile = () => join(work, `run-${++timeFiles}.time`);

  const sizes = {};
  for (const scale of SCALES) {
    const db = `bench_s${scale}`;
    log(`loading ${db}: pgbench -i -s ${scale}`);
    await psql('postgres', `CREATE DATABASE ${db}`);
    const load = await run(bin('pgbench'), ['-i', '-s', String(scale), '-q', db], { env: pgEnv });
    await psql(db, 'VACUUM ANALYZE');
    sizes[scale] = { db: await dbSize(db), loadSeconds: load.seconds };
    log(`  ${db}: ${mib(sizes[scale].db)} MiB, loaded in ${secs(load.seconds)} s`);
  }

  const lockDir = join(work, 'locks');
  await mkdir(lockDir);
  const lifeboatEnv = (scale) => ({
    ...process.env,
    PATH,
    LIFEBOAT_LOCK_DIR: lockDir,
    // The URLs carry the password: environment only, never argv.
    BENCH_DATABASE_URL: `${base}/bench_s${scale}`,
    BENCH_RESTORE_URL: `${base}/bench_restore`,
  });
  const plans = {};
  for (const scale of SCALES) {
    const dir = join(work, `plan-s${scale}`);
    await mkdir(dir);
    plans[scale] = { file: join(dir, 'lifeboat.yaml'), destination: join(dir, 'backups') };
    await writeFile(plans[scale].file, planYaml(plans[scale].destination, ['pgbench_accounts', 'pgbench_branches']));
  }
  const lifeboat = (scale, args) =>
    run(process.execPath, [runner.bin, '--plan', plans[scale].file, '--log-format', 'json', ...args], {
      env: lifeboatEnv(scale),
      stdout: 'capture',
      measure: true,
      timeFile: timeFile(),
    });
  const backup = async (scale) => {
    const r = await lifeboat(scale, ['backup', 'database']);
    const stored = r.stdout.split('\n').filter((l) => l.includes('"artifact.stored"')).map((l) => JSON.parse(l))[0];
    return { ...r, dumpBytes: stored?.artifact?.bytes, timeline: timeline(r.stdout, r.seconds) };
  };
  const pgDump = async (scale, file) => {
    await rm(file, { force: true });
    const r = await run(bin('pg_dump'), ['-Fc', '-f', file, `bench_s${scale}`], { env: pgEnv, timeFile: timeFile() });
    return { ...r, dumpBytes: (await stat(file)).size };
  };

  // The fixed cost of any lifeboat command: node starting and loading the runner's modules.
  const startup = [];
  for (let i = 0; i < RUNS; i++) startup.push(await run(process.execPath, [runner.bin, '--version'], { stdout: 'capture', measure: true, timeFile: timeFile() }));
  log(`runner start-up (lifeboat --version): median ${secs(median(startup.map((x) => x.seconds)))} s`);

  // The guide's dump, made once; it also warms the page cache before anything is timed.
  const sqlGz = join(work, 'bench_s20.sql.gz');
  log('making the guide-style plain dump (pg_dump | gzip) of bench_s20, once');
  const plainDump = await run('bash', ['-c', 'set -o pipefail; "$1" -d bench_s20 | gzip > "$2"', 'bash', bin('pg_dump'), sqlGz], { env: pgEnv });
  const plainDumpBytes = (await stat(sqlGz)).size;
  log(`  ${mib(plainDumpBytes)} MiB in ${secs(plainDump.seconds)} s`);

  // P1: backup time, alternating so drift hits both alike.
  const p1 = { lifeboat: [], pgDump: [] };
  const dumpFile = join(work, 'pg_dump.dump');
  for (let i = 1; i <= RUNS; i++) {
    log(`P1 run ${i}/${RUNS}: lifeboat backup (scale 20)`);
    const lb = await backup(20);
    p1.lifeboat.push(lb);
    log(`  ${secs(lb.seconds)} s, peak RSS ${kibToMiB(lb.timeKiB ?? lb.hwmKiB)} MiB`);
    log(`P1 run ${i}/${RUNS}: pg_dump -Fc (scale 20)`);
    const pd = await pgDump(20, dumpFile);
    p1.pgDump.push(pd);
    log(`  ${secs(pd.seconds)} s`);
  }
  await rm(dumpFile, { force: true });

  // P2: restore into a fresh database each time.
  const dropRestore = () => psql('postgres', 'DROP DATABASE IF EXISTS bench_restore');
  const p2 = { lifeboat: [], psql: [] };
  for (let i = 1; i <= RUNS; i++) {
    await dropRestore();
    log(`P2 run ${i}/${RUNS}: lifeboat restore --jobs 2`);
    const lb = await lifeboat(20, ['restore', 'database', '--to', 'env:BENCH_RESTORE_URL', '--jobs', '2']);
    p2.lifeboat.push({ ...lb, timeline: timeline(lb.stdout, lb.seconds) });
    log(`  ${secs(lb.seconds)} s, peak RSS ${kibToMiB(lb.timeKiB ?? lb.hwmKiB)} MiB`);
    await dropRestore();
    await psql('postgres', 'CREATE DATABASE bench_restore');
    log(`P2 run ${i}/${RUNS}: gunzip < dump.sql.gz | psql -q`);
    // ON_ERROR_STOP only turns a broken restore into a failed run; psql does the same work.
    const ps = await run('bash', ['-c', 'set -o pipefail; gunzip < "$1" | "$2" -X -q -v ON_ERROR_STOP=1 -d bench_restore', 'bash', sqlGz, bin('psql')], {
      env: pgEnv,
      timeFile: timeFile(),
    });
    p2.psql.push(ps);
    log(`  ${secs(ps.seconds)} s`);
  }
  await dropRestore();

  // P3: the same backup on twice the data; one run of each is enough for memory.
  log('P3: lifeboat backup (scale 40)');
  const big = await backup(40);
  log(`  ${secs(big.seconds)} s, peak RSS ${kibToMiB(big.timeKiB ?? big.hwmKiB)} MiB`);
  log('P3: pg_dump -Fc (scale 40), for reference');
  const bigDump = await pgDump(40, join(work, 'pg_dump-s40.dump'));
  log(`  ${secs(bigDump.seconds)} s`);

  return {
    machine: { ...machineInfo, loadBefore, loadAfter: loadavg(), runner: runner.version },
    sizes,
    startup,
    plainDump: { bytes: plainDumpBytes, seconds: plainDump.seconds },
    p1,
    p2,
    p3: { big, bigDump },
    usedTime: existsSync(TIME),
  };
}

function report(r) {
  const m = r.machine;
  const peak = (x) => x.timeKiB ?? x.hwmKiB;
  const med = (xs, f = (x) => x.seconds) => median(xs.map(f));
  const medianRun = (runs) => runs.find((x) => x.seconds === med(runs));
  const list = (xs) => xs.map((x) => secs(x.seconds)).join(', ');
  const cpu = (xs) => (xs.every((x) => x.cpuSeconds !== undefined) ? secs(med(xs, (x) => x.cpuSeconds)) : 'n/a');

  const p1 = { lifeboat: med(r.p1.lifeboat), pgDump: med(r.p1.pgDump), run: medianRun(r.p1.lifeboat) };
  p1.ratio = p1.lifeboat / p1.pgDump;
  const p2 = { lifeboat: med(r.p2.lifeboat), psql: med(r.p2.psql), run: medianRun(r.p2.lifeboat) };
  p2.speedup = p2.psql / p2.lifeboat;
  const rss = {
    s20: Math.max(...r.p1.lifeboat.map(peak)),
    s40: peak(r.p3.big),
    hwm20: Math.max(...r.p1.lifeboat.map((x) => x.hwmKiB)),
    hwm40: r.p3.big.hwmKiB,
    restore: Math.max(...r.p2.lifeboat.map(peak)),
    hwmRestore: Math.max(...r.p2.lifeboat.map((x) => x.hwmKiB)),
  };
  rss.growth = rss.s40 / rss.s20 - 1;
  rss.ok = rss.s20 / 1024 <= GOAL.rssMiB && rss.s40 / 1024 <= GOAL.rssMiB;
  rss.flat = rss.growth <= GOAL.rssGrowth;
  const startup = med(r.startup);
  const startupRss = Math.max(...r.startup.map(peak));
  const rssHow = r.usedTime
    ? '`/usr/bin/time -f %M` around the node process (the larger of node and any child it waited for — pg_dump, pg_restore — never their sum), and node’s own `VmHWM` polled from `/proc` every 25 ms'
    : 'node’s own `VmHWM`, polled from `/proc` every 25 ms (/usr/bin/time is not installed)';

  return `# Benchmarks

## How to run

\`\`\`sh
pnpm bench:pg      # builds, then runs bench/pg.mjs; a few minutes on 2 cores
pnpm bench:redis   # builds, then runs bench/redis.mjs; results in docs/benchmarks-redis.md
pnpm bench:fanout  # one read, one vs two destinations; results in docs/benchmarks-fanout.md
\`\`\`

It needs the PostgreSQL server binaries (\`tooling/bootstrap.sh\`), starts its own throwaway
server, and overwrites this file with the newest figures. What it measures: \`bench/README.md\`.

## Latest run

- Date: ${new Date().toISOString()}
- Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memory} RAM
- Node ${m.node}, PostgreSQL ${m.postgres} (throwaway server: fsync, synchronous_commit and full_page_writes off)
- Disk: ${m.disk}
- Load average (1/5/15 min) at the start ${m.loadBefore}, at the end ${m.loadAfter}: anything else running competes for the ${m.nproc} CPUs.
  The benchmark and its children ran at niceness ${r.niceness}${r.niceness < 0 ? ', ahead of ordinary background work' : ''}
- Lifeboat ${m.runner}, copied from the build at the start so that every run uses the same one; its start-up alone
  (\`lifeboat --version\`) takes ${secs(startup)} s (median of ${RUNS}) and peaks at ${kibToMiB(startupRss)} MiB RSS
- Data: \`pgbench -i -q\` then \`VACUUM ANALYZE\`
  - scale 20: ${mib(r.sizes[20].db)} MiB (\`pg_database_size\`), loaded in ${secs(r.sizes[20].loadSeconds)} s
  - scale 40: ${mib(r.sizes[40].db)} MiB, loaded in ${secs(r.sizes[40].loadSeconds)} s
- Dumps of scale 20: Lifeboat's custom archive ${mib(r.p1.lifeboat[0].dumpBytes)} MiB, \`pg_dump -Fc\` ${mib(r.p1.pgDump[0].dumpBytes)} MiB,
  plain SQL gzipped ${mib(r.plainDump.bytes)} MiB (made once, in ${secs(r.plainDump.seconds)} s)
- Dumps of scale 40: Lifeboat ${mib(r.p3.big.dumpBytes)} MiB, \`pg_dump -Fc\` ${mib(r.p3.bigDump.dumpBytes)} MiB

Each pair ran ${RUNS} times, alternating; times are wall clock from spawn to exit, and the medians are
compared. "Client CPU" is user + system time of the command and the children it waited for
(\`/usr/bin/time\`): for Lifeboat that includes pg_dump or pg_restore. The server's own work is in
neither column.

### P1 — backup time, scale 20

\`lifeboat backup database\` (one fs destination, custom format) vs \`pg_dump -Fc -f <file>\` alone.

| | runs (s) | median (s) | median client CPU (s) |
|---|---|---|---|
| lifeboat backup | ${list(r.p1.lifeboat)} | ${secs(p1.lifeboat)} | ${cpu(r.p1.lifeboat)} |
| pg_dump -Fc | ${list(r.p1.pgDump)} | ${secs(p1.pgDump)} | ${cpu(r.p1.pgDump)} |

| ratio lifeboat / pg_dump | goal | met? |
|---|---|---|
| ${p1.ratio.toFixed(2)}× | ≤ ${GOAL.backupRatio.toFixed(2)}× | ${yes(p1.ratio <= GOAL.backupRatio)} |

Lifeboat does more than pg_dump: it opens a repeatable-read snapshot and counts the rows of the
verified tables (\`pgbench_accounts\`, \`pgbench_branches\`) in it, hashes the stream (sha256),
fsyncs the file and checks its size in the destination, then reads the whole dump back, checks
its sha256 and lists it with \`pg_restore --list\`, and writes a manifest. Where the median run's
time went (seconds from each event to the next, from \`--log-format json\`):

| event | message | s |
|---|---|---|
${timelineRows(p1.run.timeline)}

### P2 — restore time, scale 20

\`lifeboat restore database --to env:BENCH_RESTORE_URL --jobs 2\` (creates the database, copies
and verifies the archive, \`pg_restore --jobs=2\`, compares row counts) vs the guide's way,
\`gunzip < dump.sql.gz | psql -q -d <fresh db>\` (with \`-v ON_ERROR_STOP=1\` so a failure shows; its database created beforehand, untimed; the
\`.sql.gz\` made once). The target database is dropped before every run.

| | runs (s) | median (s) | median client CPU (s) |
|---|---|---|---|
| lifeboat restore --jobs 2 | ${list(r.p2.lifeboat)} | ${secs(p2.lifeboat)} | ${cpu(r.p2.lifeboat)} |
| gunzip \\| psql | ${list(r.p2.psql)} | ${secs(p2.psql)} | ${cpu(r.p2.psql)} |

| speed-up (psql time / lifeboat time) | goal | met? |
|---|---|---|
| ${p2.speedup.toFixed(2)}× | ≥ ${GOAL.restoreSpeedup.toFixed(2)}× | ${yes(p2.speedup >= GOAL.restoreSpeedup)} |

Where the median Lifeboat restore's time went:

| event | message | s |
|---|---|---|
${timelineRows(p2.run.timeline)}

### P3 — peak memory of the lifeboat process

Measured with ${rssHow}. For the backup at scale 20 the largest of the ${RUNS} P1 runs is shown;
scale 40 is one run.

| run | peak RSS (MiB) | node VmHWM (MiB) | goal | met? |
|---|---|---|---|---|
| backup, scale 20 | ${kibToMiB(rss.s20)} | ${kibToMiB(rss.hwm20)} | ≤ ${GOAL.rssMiB} MiB | ${yes(rss.s20 / 1024 <= GOAL.rssMiB)} |
| backup, scale 40 | ${kibToMiB(rss.s40)} | ${kibToMiB(rss.hwm40)} | ≤ ${GOAL.rssMiB} MiB | ${yes(rss.s40 / 1024 <= GOAL.rssMiB)} |
| growth 20 → 40 | ${(rss.growth * 100).toFixed(1)} % | ${((rss.hwm40 / rss.hwm20 - 1) * 100).toFixed(1)} % | flat (≤ ${GOAL.rssGrowth * 100} %) | ${yes(rss.flat)} |
| restore --jobs 2, scale 20 | ${kibToMiB(rss.restore)} | ${kibToMiB(rss.hwmRestore)} | (reported only) | |

The scale-40 backup took ${secs(r.p3.big.seconds)} s against ${secs(r.p3.bigDump.seconds)} s for \`pg_dump -Fc\` alone
(${(r.p3.big.seconds / r.p3.bigDump.seconds).toFixed(2)}×, one run each):

| event | message | s |
|---|---|---|
${timelineRows(r.p3.big.timeline)}

## Interpretation

${interpretation({ r, p1, p2, rss, startup, startupRss })}
`;
}

function interpretation({ r, p1, p2, rss, startup, startupRss }) {
  const t1 = p1.run.timeline;
  const connect = stepSeconds(t1, /^connecting to/);
  const dump = stepSeconds(t1, /^pg_dump /);
  const readBack = stepSeconds(t1, /^checking /);
  const t2 = p2.run.timeline;
  const pgRestore = stepSeconds(t2, /^pg_restore /);
  const restoreExtra = p2.lifeboat - pgRestore;
  const lines = [];

  const connect40 = stepSeconds(r.p3.big.timeline, /^connecting to/);
  const dump40 = stepSeconds(r.p3.big.timeline, /^pg_dump /);
  const pgDumpExtra = (step, bare) => `${secs(step - bare)} s (${(((step - bare) / bare) * 100).toFixed(0)} %)`;
  lines.push(
    `- **Backup (P1): ${p1.ratio.toFixed(2)}× a bare \`pg_dump -Fc\` (goal ≤ ${GOAL.backupRatio.toFixed(2)}×, ${p1.ratio <= GOAL.backupRatio ? 'met' : 'not met'}).** ` +
      `Where the median run's ${secs(p1.lifeboat)} s went: ${secs(t1.outside)} s outside the run (node start-up and module loading; \`lifeboat --version\` alone takes ${secs(startup)} s), ` +
      `${secs(connect)} s from connecting to starting pg_dump (connection, exported snapshot, database facts, \`pg_dump --version\`), ` +
      `the pg_dump step itself ${secs(dump)} s against ${secs(p1.pgDump)} s for pg_dump alone, and ${secs(readBack)} s to read the dump back and list it. ` +
      `The pg_dump step is longer than a bare pg_dump by ${pgDumpExtra(dump, p1.pgDump)}: the exact \`count(*)\` of the verified tables runs in the same snapshot alongside it ` +
      `(both read \`pgbench_accounts\` at once, on a ${r.machine.nproc}-CPU machine that also runs pg_dump's own compression), and the dump goes through a pipe into node, ` +
      `which hashes, writes and fsyncs it. That excess grows with the table ` +
      `(scale 40: ${pgDumpExtra(dump40, r.p3.bigDump.seconds)}), while the connect step stays flat (${secs(connect40)} s); ` +
      `the start-up is a fixed cost that weighs heavily next to a dump this fast (pgbench data compresses to a few MiB).`,
  );
  const floor = p2.psql / GOAL.restoreSpeedup;
  lines.push(
    `- **Restore (P2): ${p2.speedup.toFixed(2)}× the speed of \`gunzip | psql\` (goal ≥ ${GOAL.restoreSpeedup.toFixed(2)}×, ${p2.speedup >= GOAL.restoreSpeedup ? 'met' : 'not met'}).** ` +
      `pg_restore itself took ${secs(pgRestore)} s of Lifeboat's ${secs(p2.lifeboat)} s (${(p2.psql / pgRestore).toFixed(2)}× psql's time on its own); the other ${secs(restoreExtra)} s are start-up, creating the database, ` +
      `copying and verifying the archive, and the exact row counts afterwards. pgbench's data is one big table: its COPY and then its primary key ` +
      `are a chain that \`--jobs 2\` cannot run side by side (only the three small tables overlap), so parallel restore gains little over psql here. ` +
      (pgRestore > floor
        ? `The goal needs the whole restore within ${secs(floor)} s; \`pg_restore --jobs=2\` alone took ${secs(pgRestore)} s, so no saving on Lifeboat's side can meet it on this data.`
        : `The goal needs the whole restore within ${secs(floor)} s.`),
  );
  lines.push(
    `- **Memory (P3): ${kibToMiB(rss.s20)} MiB at scale 20, ${kibToMiB(rss.s40)} MiB at scale 40 (${rss.growth >= 0 ? '+' : ''}${(rss.growth * 100).toFixed(1)} %); ` +
      `${rss.ok ? `under the ${GOAL.rssMiB} MiB ceiling` : `over the ${GOAL.rssMiB} MiB ceiling`} and ${rss.flat ? 'flat' : 'not flat'}.** ` +
      (Math.abs(rss.s40 - rss.hwm40) < 2048 && Math.abs(rss.s20 - rss.hwm20) < 2048
        ? `Peak RSS and node's own VmHWM agree, so the figure is node's (pg_dump and pg_restore stay far smaller). `
        : `Peak RSS and node's own VmHWM differ, so a child (pg_dump, pg_restore) outgrew node at some point. `) +
      `Node with the runner's modules loaded already peaks at ${kibToMiB(startupRss)} MiB (\`lifeboat --version\`); ` +
      `the backup adds ${kibToMiB(rss.s20 - startupRss)} MiB at scale 20 and ${kibToMiB(rss.s40 - startupRss)} MiB at scale 40 while the dump streams through bounded buffers.`,
  );
  lines.push(
    `- **Caveats:** one machine, ${RUNS} runs each, a throwaway server with durability off, and pgbench data, which compresses about ` +
      `${(r.sizes[20].db / r.p1.pgDump[0].dumpBytes).toFixed(0)}:1 and has one dominant table, so every run here lasts seconds and fixed costs weigh more ` +
      `than they would on a real database. The load average shows whether other work shared the CPUs; when it is above 1, expect run-to-run spread.`,
  );
  return lines.join('\n');
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
