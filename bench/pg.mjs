// Lifeboat vs the stock PostgreSQL tools, measured on this machine.
// Run with `pnpm bench:pg` (builds first). Writes docs/benchmarks.md; progress goes to stderr.
// Not a test: numbers depend on the machine, so nothing here asserts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEphemeralPostgres } from '../packages/ephemeral/dist/index.js';
import { CIVICQ_TABLES, civicqSql } from './civicq-schema.mjs';
import { log, vmHwmKiB, firstChild, median, mib, kibToMiB, secs, yes, loadavg, timeline, timelineRows, snapshotRunner, preferBench, lifeboatCommand } from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPORT = join(ROOT, 'docs/benchmarks.md');
const TIME = '/usr/bin/time';
const list = (v, fallback) => (v ? v.split(',').map(Number) : fallback);
/** pgbench scales: the first and last give the growth figures (4× the data by default). */
const SCALES = list(process.env.BENCH_PG_SCALES, [20, 80]);
/** pgbench scales also restored (the restore of the largest is the slowest part of a run). */
const RESTORE_SCALES = list(process.env.BENCH_PG_RESTORE_SCALES, SCALES);
/** Size factor of the CivicQ-like schema (1 ≈ 500 MB and more with indexes; 0 leaves it out). */
const CIVICQ = Number(process.env.BENCH_CIVICQ ?? 1);
const RUNS = Number(process.env.BENCH_PG_RUNS ?? 3);
/** Where the hand-written closing notes start; everything from it on survives a new run. */
const NOTES = '## Closing notes';
const PRIORITY = -10;
const GOAL = { backupRatio: 1.1, floorRatio: 1.1, restoreSpeedup: 1.5, rssMiB: 150, rssGrowth: 0.1 };

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
    log(`runner ${runner.version} (${runner.kind}) at ${runner.bin}`);
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
  const loads = [];
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

  // The data sets: pgbench at two scales (the growth figures), and the CivicQ-like schema.
  const sets = SCALES.map((scale) => ({ key: `s${scale}`, db: `bench_s${scale}`, label: `pgbench scale ${scale}`, tables: ['pgbench_accounts', 'pgbench_branches'], scale }));
  if (CIVICQ > 0) sets.push({ key: 'civicq', db: 'bench_civicq', label: `CivicQ-like schema (factor ${CIVICQ})`, tables: CIVICQ_TABLES, civicq: true });
  for (const set of sets) {
    await psql('postgres', `CREATE DATABASE ${set.db}`);
    let load;
    if (set.civicq) {
      log(`loading ${set.db}: CivicQ-like schema, factor ${CIVICQ}`);
      const sql = join(work, 'civicq.sql');
      await writeFile(sql, civicqSql(CIVICQ).map((s) => `${s};\n`).join(''));
      load = await run(bin('psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', set.db, '-f', sql], { env: pgEnv });
    } else {
      log(`loading ${set.db}: pgbench -i -s ${set.scale}`);
      load = await run(bin('pgbench'), ['-i', '-s', String(set.scale), '-q', set.db], { env: pgEnv });
      await psql(set.db, 'VACUUM ANALYZE');
    }
    set.bytes = await dbSize(set.db);
    set.loadSeconds = load.seconds;
    set.relations = Number((await psql(set.db, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')")).stdout.trim());
    set.foreignKeys = Number((await psql(set.db, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")).stdout.trim());
    log(`  ${set.db}: ${mib(set.bytes)} MiB, ${set.relations} tables and indexes, ${set.foreignKeys} foreign keys, loaded in ${secs(load.seconds)} s`);
    const dir = join(work, `plan-${set.key}`);
    await mkdir(dir);
    set.plan = join(dir, 'lifeboat.yaml');
    await writeFile(set.plan, planYaml(join(dir, 'backups'), set.tables));
  }
  // The larger pgbench scale is also backed up with no verify.tables: what the row counts cost, apart from the rest.
  const largest = sets.filter((s) => !s.civicq).at(-1);
  if (largest) {
    largest.uncountedPlan = join(dirname(largest.plan), 'uncounted.yaml');
    await writeFile(largest.uncountedPlan, planYaml(join(dirname(largest.plan), 'backups-uncounted'), []));
  }

  const lockDir = join(work, 'locks');
  await mkdir(lockDir);
  const lifeboat = (set, args, plan = set.plan) =>
    run(...lifeboatCommand(runner, '--plan', plan, '--log-format', 'json', ...args), {
      // The URLs carry the password: environment only, never argv.
      env: { ...process.env, PATH, LIFEBOAT_LOCK_DIR: lockDir, BENCH_DATABASE_URL: `${base}/${set.db}`, BENCH_RESTORE_URL: `${base}/bench_restore` },
      stdout: 'capture',
      measure: true,
      timeFile: timeFile(),
    });
  const withTimeline = (r) => ({ ...r, timeline: timeline(r.stdout, r.seconds) });
  const backup = async (set, plan = set.plan) => {
    const r = await lifeboat(set, ['backup', 'database'], plan);
    const stored = r.stdout.split('\n').filter((l) => l.includes('"artifact.stored"')).map((l) => JSON.parse(l))[0];
    return { ...withTimeline(r), dumpBytes: stored?.artifact?.bytes };
  };
  const dumpFile = (set) => join(work, `${set.key}.dump`);
  const pgDump = async (set) => {
    await rm(dumpFile(set), { force: true });
    const r = await run(bin('pg_dump'), ['-Fc', '-f', dumpFile(set), set.db], { env: pgEnv, timeFile: timeFile() });
    return { ...r, dumpBytes: (await stat(dumpFile(set))).size };
  };
  const note = (what, r) => {
    loads.push(loadavg().split(' ')[0]);
    log(`  ${what}: ${secs(r.seconds)} s${r.timeKiB || r.hwmKiB ? `, peak RSS ${kibToMiB(r.timeKiB ?? r.hwmKiB)} MiB` : ''}`);
    return r;
  };

  // The fixed cost of any lifeboat command: node starting and loading the runner's modules.
  const startup = [];
  for (let i = 0; i < RUNS; i++) startup.push(await run(...lifeboatCommand(runner, '--version'), { stdout: 'capture', measure: true, timeFile: timeFile() }));
  log(`runner start-up (lifeboat --version): median ${secs(median(startup.map((x) => x.seconds)))} s`);

  // Backup: lifeboat backup vs pg_dump -Fc -f, alternating, on every data set.
  for (const set of sets) {
    set.backup = { lifeboat: [], pgDump: [] };
    for (let i = 1; i <= RUNS; i++) {
      log(`backup ${set.label}, run ${i}/${RUNS}`);
      // Alternate which goes first, so drift (caches, other work) hits both alike.
      const pair = [async () => set.backup.lifeboat.push(note('lifeboat backup', await backup(set))), async () => set.backup.pgDump.push(note('pg_dump -Fc', await pgDump(set)))];
      if (set.uncountedPlan) pair.push(async () => (set.backup.uncounted ??= []).push(note('lifeboat backup, no verify.tables', await backup(set, set.uncountedPlan))));
      for (const step of i % 2 ? pair : pair.reverse()) await step();
    }
  }

  // Restore: lifeboat restore --jobs 2 vs pg_restore --jobs 2 of the local pg_dump file (the floor) vs the guide's gunzip | psql.
  const dropRestore = () => psql('postgres', 'DROP DATABASE IF EXISTS bench_restore');
  for (const set of sets.filter((s) => s.civicq || RESTORE_SCALES.includes(s.scale))) {
    const sqlGz = join(work, `${set.key}.sql.gz`);
    log(`making the guide-style plain dump (pg_dump | gzip) of ${set.db}, once`);
    const plain = await run('bash', ['-c', 'set -o pipefail; "$1" -d "$2" | gzip > "$3"', 'bash', bin('pg_dump'), set.db, sqlGz], { env: pgEnv });
    set.plainDump = { bytes: (await stat(sqlGz)).size, seconds: plain.seconds };
    set.restore = { lifeboat: [], pgRestore: [], psql: [] };
    const variants = [
      async () => {
        await dropRestore();
        set.restore.lifeboat.push(note('lifeboat restore --jobs 2', withTimeline(await lifeboat(set, ['restore', 'database', '--to', 'env:BENCH_RESTORE_URL', '--jobs', '2']))));
      },
      async () => {
        await dropRestore();
        await psql('postgres', 'CREATE DATABASE bench_restore');
        set.restore.pgRestore.push(note('pg_restore --jobs 2', await run(bin('pg_restore'), ['--exit-on-error', '--jobs=2', '-d', 'bench_restore', dumpFile(set)], { env: pgEnv, timeFile: timeFile() })));
      },
      async () => {
        await dropRestore();
        await psql('postgres', 'CREATE DATABASE bench_restore');
        // ON_ERROR_STOP only turns a broken restore into a failed run; psql does the same work.
        const ps = await run('bash', ['-c', 'set -o pipefail; gunzip < "$1" | "$2" -X -q -v ON_ERROR_STOP=1 -d bench_restore', 'bash', sqlGz, bin('psql')], { env: pgEnv, timeFile: timeFile() });
        set.restore.psql.push(note('gunzip | psql', ps));
      },
    ];
    // The largest pgbench set: also its backup made without verify.tables, restored with no row counts to compare (their cost apart).
    if (set.uncountedPlan) {
      set.restore.uncounted = [];
      variants.push(async () => {
        await dropRestore();
        set.restore.uncounted.push(note('lifeboat restore --jobs 2, no verify.tables', withTimeline(await lifeboat(set, ['restore', 'database', '--to', 'env:BENCH_RESTORE_URL', '--jobs', '2'], set.uncountedPlan))));
      });
    }
    for (let i = 1; i <= RUNS; i++) {
      log(`restore ${set.label}, run ${i}/${RUNS}`);
      // Rotate the order each run.
      for (let k = 0; k < variants.length; k++) await variants[(k + i) % variants.length]();
    }
    await dropRestore();
  }

  return {
    machine: { ...machineInfo, loadBefore, loadAfter: loadavg(), loads, runner: runner.version, runnerKind: runner.kind },
    sets,
    startup,
    usedTime: existsSync(TIME),
  };
}

function report(r) {
  const m = r.machine;
  const peak = (x) => x.timeKiB ?? x.hwmKiB;
  const med = (xs, f = (x) => x.seconds) => median(xs.map(f));
  const medianRun = (runs) => runs.find((x) => x.seconds === med(runs));
  const spread = (xs) => `${secs(Math.min(...xs.map((x) => x.seconds)))}–${secs(Math.max(...xs.map((x) => x.seconds)))}`;
  const cpu = (xs) => (xs.every((x) => x.cpuSeconds !== undefined) ? secs(med(xs, (x) => x.cpuSeconds)) : 'n/a');
  const row = (name, xs) => `| ${name} | ${xs.map((x) => secs(x.seconds)).join(', ')} | ${secs(med(xs))} | ${spread(xs)} | ${cpu(xs)} |`;
  const startup = med(r.startup);
  const startupRss = Math.max(...r.startup.map(peak));
  const pgbench = r.sets.filter((s) => !s.civicq);
  const [small, big] = [pgbench[0], pgbench.at(-1)];
  const restored = r.sets.filter((s) => s.restore);
  const rssOf = (set) => Math.max(...set.backup.lifeboat.map(peak));
  const hwmOf = (set) => Math.max(...set.backup.lifeboat.map((x) => x.hwmKiB));
  const growth = rssOf(big) / rssOf(small) - 1;
  const dataGrowth = big.bytes / small.bytes;
  const rssHow = r.usedTime
    ? '`/usr/bin/time -f %M` around the node process (the larger of node and any child it waited for — pg_dump, pg_restore — never their sum), and node’s own `VmHWM` polled from `/proc` every 25 ms'
    : 'node’s own `VmHWM`, polled from `/proc` every 25 ms (/usr/bin/time is not installed)';
  const loads = r.machine.loads.map(Number);

  const summary = [];
  for (const set of pgbench) {
    const ratio = med(set.backup.lifeboat) / med(set.backup.pgDump);
    const goal = set === big ? ` | ≤ ${GOAL.backupRatio.toFixed(2)}× | ${yes(ratio <= GOAL.backupRatio)}` : ' | — (start-up dominated) | ';
    summary.push(`| \`lifeboat backup\` / \`pg_dump -Fc -f file\`, ${set.label} | ${ratio.toFixed(2)}×${goal} |`);
  }
  for (const set of restored) {
    const floor = med(set.restore.lifeboat) / med(set.restore.pgRestore);
    const guide = med(set.restore.psql) / med(set.restore.lifeboat);
    const want = set.civicq ? GOAL.restoreSpeedup : 1;
    summary.push(`| \`lifeboat restore --jobs 2\` / \`pg_restore --jobs 2\` of a local file (the floor), ${set.label} | ${floor.toFixed(2)}× | ≤ ${GOAL.floorRatio.toFixed(2)}× | ${yes(floor <= GOAL.floorRatio)} |`);
    summary.push(`| guide restore (\`gunzip \\| psql\`) / \`lifeboat restore --jobs 2\`, ${set.label} | ${guide.toFixed(2)}× | ≥ ${want.toFixed(2)}× | ${yes(guide >= want)} |`);
  }
  summary.push(
    `| peak RSS during backup, ${small.label} → ${big.label} (${dataGrowth.toFixed(1)}× the data) | ${kibToMiB(rssOf(small))} → ${kibToMiB(rssOf(big))} MiB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %) | ≤ ${GOAL.rssMiB} MiB and ≤ +${GOAL.rssGrowth * 100} % | ${yes(rssOf(big) / 1024 <= GOAL.rssMiB && growth <= GOAL.rssGrowth)} |`,
  );

  const sections = [];
  for (const set of r.sets) {
    const b = set.backup;
    sections.push(`### Backup — ${set.label}

\`lifeboat backup database\` (one fs destination, custom format, verified tables ${set.tables.map((t) => `\`${t}\``).join(', ')}) vs \`pg_dump -Fc -f <file>\` alone.
Stored: Lifeboat ${mib(b.lifeboat[0].dumpBytes)} MiB, \`pg_dump -Fc\` ${mib(b.pgDump[0].dumpBytes)} MiB. Peak RSS of lifeboat: ${kibToMiB(rssOf(set))} MiB (node VmHWM ${kibToMiB(hwmOf(set))} MiB).

| | runs (s) | median (s) | min–max (s) | median client CPU (s) |
|---|---|---|---|---|
${row('lifeboat backup', b.lifeboat)}
${b.uncounted ? `${row('lifeboat backup, no `verify.tables` (no row counts)', b.uncounted)}\n` : ''}${row('pg_dump -Fc', b.pgDump)}

Ratio of the medians: **${(med(b.lifeboat) / med(b.pgDump)).toFixed(2)}×**${b.uncounted ? ` (with no \`verify.tables\`: ${(med(b.uncounted) / med(b.pgDump)).toFixed(2)}×, so the row counts cost ${secs(med(b.lifeboat) - med(b.uncounted))} s of the median)` : ''}. Where the median Lifeboat run's time went (seconds from each event to the next, from \`--log-format json\`):

| event | message | s |
|---|---|---|
${timelineRows(medianRun(b.lifeboat).timeline)}
`);
    if (!set.restore) continue;
    const x = set.restore;
    sections.push(`### Restore — ${set.label}

Into a database dropped before every run: \`lifeboat restore database --to env:BENCH_RESTORE_URL --jobs 2\` (proves the copy — reads it whole, size and
sha256, through the one descriptor pg_restore then reads: the fs copy is not spooled —, creates a staging database, \`pg_restore --jobs=2\`,
checks the file was not changed since, compares row counts, renames it into place) vs
\`pg_restore --jobs=2 -d <fresh db> <local pg_dump -Fc file>\` (the floor: the same tool with nothing proven or counted) vs the guide's
\`gunzip < dump.sql.gz | psql -q -v ON_ERROR_STOP=1 -d <fresh db>\` (the \`.sql.gz\`, ${mib(set.plainDump.bytes)} MiB, made once). For the two
baselines the empty database is created beforehand, untimed.

| | runs (s) | median (s) | min–max (s) | median client CPU (s) |
|---|---|---|---|---|
${row('lifeboat restore --jobs 2', x.lifeboat)}
${x.uncounted?.length ? `${row('lifeboat restore --jobs 2, no `verify.tables` (no row counts)', x.uncounted)}\n` : ''}${row('pg_restore --jobs 2 (floor)', x.pgRestore)}
${row('gunzip \\| psql (guide)', x.psql)}

Lifeboat / floor: **${(med(x.lifeboat) / med(x.pgRestore)).toFixed(2)}×**; guide / Lifeboat: **${(med(x.psql) / med(x.lifeboat)).toFixed(2)}×** (above 1: Lifeboat is faster).${x.uncounted?.length ? ` With no \`verify.tables\`: ${(med(x.uncounted) / med(x.pgRestore)).toFixed(2)}× the floor, so the row counts cost ${secs(med(x.lifeboat) - med(x.uncounted))} s of the median.` : ''}
Where the median Lifeboat restore's time went:

| event | message | s |
|---|---|---|
${timelineRows(medianRun(x.lifeboat).timeline)}
`);
  }

  return `# Benchmarks

## How to run

\`\`\`sh
pnpm bench:pg      # builds, then runs bench/pg.mjs; 10–20 minutes on 2 cores at the default sizes
pnpm bench:redis   # builds, then runs bench/redis.mjs; results in docs/benchmarks-redis.md
pnpm bench:fanout  # one read, one vs two destinations; results in docs/benchmarks-fanout.md
\`\`\`

Smaller and quicker: \`BENCH_PG_SCALES=10,40 BENCH_PG_RUNS=3 BENCH_CIVICQ=0.3 node bench/pg.mjs\`
(\`BENCH_PG_RESTORE_SCALES\` picks the pgbench scales restored; \`BENCH_CIVICQ=0\` leaves the CivicQ-like schema out).
It needs the PostgreSQL server binaries (\`tooling/bootstrap.sh\`), starts its own throwaway
server, and overwrites this file with the newest figures. What it measures: \`bench/README.md\`.

## Latest run

- Date: ${new Date().toISOString()}
- Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memory} RAM
- Node ${m.node}, PostgreSQL ${m.postgres} (throwaway server: fsync, synchronous_commit and full_page_writes off)
- Disk: ${m.disk}
- **Load average** (1/5/15 min) at the start ${m.loadBefore}, at the end ${m.loadAfter}; the 1-minute figure after each timed run ranged
  ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} (median ${median(loads).toFixed(2)}). Anything above ${m.nproc} means other work
  (on this shared machine: other engineers' builds and tests) competed for the ${m.nproc} CPUs: expect spread, and read the ratios
  (alternating runs, medians) rather than the seconds.
  The benchmark and its children ran at niceness ${r.niceness}${r.niceness < 0 ? ', ahead of ordinary background work' : ''}
- Lifeboat ${m.runner}: ${m.runnerKind === 'build' ? 'the tsc build (`BENCH_RUNNER=build`)' : 'the release (`pnpm package`: the bundle a server installs), run through its launcher `bin/lifeboat` as installed'}, made at the start so that every run uses the same one; its start-up alone
  (\`lifeboat --version\`) takes ${secs(startup)} s (median of ${RUNS}) and peaks at ${kibToMiB(startupRss)} MiB RSS
- Data (\`pg_database_size\`):
${r.sets.map((s) => `  - ${s.label}: ${mib(s.bytes)} MiB, ${s.relations} tables and indexes, ${s.foreignKeys} foreign keys, loaded in ${secs(s.loadSeconds)} s`).join('\n')}

Each comparison ran ${RUNS} times, alternating (the order rotated every run); times are wall clock from spawn to exit, and the
medians are compared. "Client CPU" is user + system time of the command and the children it waited for
(\`/usr/bin/time\`): for Lifeboat that includes pg_dump or pg_restore. The server's own work is in neither column.

## Summary

| measure | this run | goal | met? |
|---|---|---|---|
${summary.join('\n')}

Peak memory measured with ${rssHow}.

${sections.join('\n')}
`;
}

const started = Date.now();
try {
  const results = await main();
  await mkdir(dirname(REPORT), { recursive: true });
  const previous = existsSync(REPORT) ? readFileSync(REPORT, 'utf8') : '';
  // The closing notes (before/after figures, what limits each goal) are written by hand below the generated part and kept.
  const notes = previous.indexOf(NOTES);
  await writeFile(REPORT, report(results) + (notes >= 0 ? `\n${previous.slice(notes)}` : ''));
  log(`wrote ${REPORT} in ${((Date.now() - started) / 60000).toFixed(1)} min`);
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
