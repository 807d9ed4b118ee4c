// Two measures, on one throwaway server:
// - archive: WAL archiving under pgbench load: archive_command = cp vs `lifeboat wal push` (each push stores the
//   segment itself) vs `lifeboat wal push` with pitr.async (spool + background pusher);
// - restore: PITR restore time of pgbench scale 20 + 60 s of WAL: `lifeboat restore database --to-latest --to-dir`
//   vs by hand (tar -x of a pg_basebackup, restore_command = 'cp …' from a plain archive folder, start, wait for promotion).
// Run with `pnpm bench:pitr` (builds first). Writes docs/benchmarks-pitr.md (a measure not run keeps its section
// from the previous file); progress goes to stderr. Not a test: numbers depend on the machine, so nothing here asserts.
//
// BENCH_PITR_SECONDS (default 60), BENCH_PITR_RUNS (default 3), BENCH_PITR_SCALE (default 20) and
// BENCH_PITR_PARTS (default "archive,restore") make a quick run possible; BENCH_PITR_KEEP=1 keeps the work folder.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEphemeralPostgres, startPostgresOnDataDir } from '../packages/ephemeral/dist/index.js';
import { loadavg, log, median, preferBench, secs, snapshotRunner, timeline, timelineRows, yes, lifeboatCommand } from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPORT = join(ROOT, 'docs/benchmarks-pitr.md');
const SECONDS = Number(process.env.BENCH_PITR_SECONDS ?? 60);
const RUNS = Number(process.env.BENCH_PITR_RUNS ?? 3);
const SCALE = Number(process.env.BENCH_PITR_SCALE ?? 20);
const PARTS = new Set((process.env.BENCH_PITR_PARTS ?? 'archive,restore').split(',').map((p) => p.trim()));
const RESTORE_GOAL = 1.2;
const CLIENTS = 4;
const SINGLE_RUNS = 5;
const PRIORITY = -10;
const SEGMENT = 16 * 1024 * 1024;
const GOAL = { ratio: 0.8, backlog: 4 };
const MODES = ['cp', 'sync', 'async'];
const LABEL = { cp: '`cp` (archive_command)', sync: '`lifeboat wal push`', async: '`lifeboat wal push`, pitr.async' };

let current;
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  log('interrupted; stopping the current step and cleaning up (again to quit now)');
  current?.();
});

/** Runs a command to its end: wall seconds, output, and CPU seconds when /usr/bin/time is there. */
function run(cmd, args, { env = process.env, cwd, timed = false } = {}) {
  if (interrupted) return Promise.reject(new Error('interrupted'));
  const useTime = timed && existsSync('/usr/bin/time');
  const [file, argv] = useTime ? ['/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    current = () => child.kill('SIGINT');
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      current = undefined;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const stderr = Buffer.concat(err).toString();
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}\n${stderr.slice(-2000)}`));
      const cpu = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      resolve({ seconds, stdout: Buffer.concat(out).toString(), stderr, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined });
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Before the restores: how long to wait at most for the load to settle; before each run: a pause after `sync`. */
const SETTLE_MS = 120_000;
const PAUSE_MS = 3_000;

/** Polls `check` every `everyMs` until it returns a value; gives up after `deadlineMs`. */
async function until(what, check, deadlineMs, everyMs = 200) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (interrupted) throw new Error('interrupted');
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`gave up waiting (${deadlineMs / 1000} s): ${what}`);
    await sleep(everyMs);
  }
}

function readyFiles(dataDir) {
  return readdirSync(join(dataDir, 'pg_wal', 'archive_status')).filter((n) => n.endsWith('.ready')).length;
}

/** WAL files waiting in an async spool (not the pusher's own files). */
function spooled(spoolDir) {
  const dir = join(spoolDir, 'database');
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const cluster of readdirSync(dir).filter((d) => /^\d+$/.test(d))) n += readdirSync(join(dir, cluster)).filter((f) => /^[0-9A-F]{24}$/.test(f)).length;
  return n;
}

function planYaml({ recipient, destination, spool, identity, restore = false }) {
  return `version: 1
name: bench
destinations:
  local: { type: fs, path: ${JSON.stringify(destination)}, medium: disk }
encryption:
  recipients: [${recipient}]
${identity ? `  identity: file:${identity}\n` : ''}components:
  database:
    type: postgres
    url: env:BENCH_DATABASE_URL
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [local]
    pitr:
      baseBackups: "0 2 * * 0"
      walRpo: 5m
${restore ? '      dump: false\n' : ''}${spool ? `      async: { spool: ${JSON.stringify(spool)} }\n` : ''}`;
}

async function main() {
  const niceness = preferBench(PRIORITY);
  log(`running at niceness ${niceness}`);
  const work = await mkdtemp(join(tmpdir(), 'lifeboat-bench-pitr-'));
  // The server's OS user runs archive_command: it reads the runner copy and the plans, writes the archives.
  await chmod(work, 0o755);
  log(`working in ${work}`);
  let server;
  try {
    const runner = await snapshotRunner(ROOT, work, (bin) => run(process.execPath, [bin, '--version']).then((v) => v.stdout.trim()));
    log(`runner ${runner.version} (${runner.kind}) at ${runner.bin}`);
    log('starting a throwaway PostgreSQL with archive_mode = on');
    server = await startEphemeralPostgres({
      path: process.env.PATH,
      // A busy server: durable (fsync, full-page writes: the ephemeral server turns them off) but with
      // synchronous_commit off, so the WAL pace is set by the CPUs rather than by this disk's fsync latency.
      settings: { fsync: 'on', synchronous_commit: 'off', full_page_writes: 'on', archive_mode: 'on', max_wal_size: '1GB' },
      // archive_command is set with ALTER SYSTEM between runs: a -c setting would win over it.
    });
    return { ...(await measure(server, work, runner)), niceness };
  } finally {
    await server?.stop();
    // BENCH_PITR_KEEP=1 leaves the archives, plans and keys behind, to run `lifeboat restore` against them by hand.
    if (process.env.BENCH_PITR_KEEP === '1') log(`stopped PostgreSQL; kept ${work}`);
    else {
      log('stopped PostgreSQL; removing temp folders');
      await rm(work, { recursive: true, force: true });
    }
  }
}

async function measure(server, work, runner) {
  const loadBefore = loadavg();
  const PATH = [server.binDir, process.env.PATH ?? ''].join(delimiter);
  const pgEnv = { ...process.env, PATH, ...server.env };
  const psql = async (sql) => (await run(join(server.binDir, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres', '-c', sql], { env: pgEnv })).stdout.trim();
  const owner = { uid: Number((await run('id', ['-u', 'postgres'])).stdout), gid: Number((await run('id', ['-g', 'postgres'])).stdout) };
  const sharedDir = async (name) => {
    const dir = join(work, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    if (process.getuid?.() === 0) await chown(dir, owner.uid, owner.gid);
    return dir;
  };

  const keyFile = join(work, 'age.key');
  const recipient = (await run(process.execPath, [runner.bin, 'keys', 'generate', '--out', keyFile])).stdout.trim();
  const lifeboatEnv = { ...process.env, PATH, LIFEBOAT_LOCK_DIR: join(work, 'locks') };

  const setArchiveCommand = async (command) => {
    await psql(`ALTER SYSTEM SET archive_command = '${command.replace(/'/g, "''")}'`);
    await psql('SELECT pg_reload_conf()');
    await until('the new archive_command in effect', async () => ((await psql('SHOW archive_command')) === command ? true : undefined), 30_000);
  };
  await setArchiveCommand('/bin/true');
  log(`loading pgbench scale ${SCALE}`);
  await run(join(server.binDir, 'pgbench'), ['-i', '-s', String(SCALE), '-q', 'postgres'], { env: pgEnv });
  const dbBytes = Number(await psql("SELECT pg_database_size('postgres')"));

  const drained = async (what) => {
    await psql('SELECT pg_switch_wal()');
    await until(`${what}: no .ready file left`, async () => (readyFiles(server.dataDir) === 0 ? true : undefined), 600_000);
  };

  const shared = { server, work, runner, psql, owner, sharedDir, keyFile, recipient, lifeboatEnv, pgEnv, setArchiveCommand, drained };
  const archiving = PARTS.has('archive') ? await measureArchiving(shared) : undefined;
  const restore = PARTS.has('restore') ? await measureRestore(shared) : undefined;
  const cpuInfo = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return { machine: { nproc: cpus().length, cpu: cpuInfo, node: process.version, postgres: server.version, loadBefore, loadAfter: loadavg(), runner: runner.version, runnerKind: runner.kind }, dbBytes, ...archiving, restore };
}

async function measureArchiving({ server, work, runner, psql, sharedDir, recipient, lifeboatEnv, pgEnv, setArchiveCommand, drained }) {
  // One 16 MiB segment archived on an idle server, each way: the cost per call.
  log('single pushes: one segment, no load');
  const fake = join(work, 'single');
  await mkdir(join(fake, 'pg_wal'), { recursive: true });
  const sample = readdirSync(join(server.dataDir, 'pg_wal')).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort()[0];
  const sampleBytes = readFileSync(join(server.dataDir, 'pg_wal', sample));
  const single = { version: [], cp: [], sync: [], async: [] };
  const singleDirs = { cp: join(work, 'single-cp'), sync: join(work, 'single-sync'), async: join(work, 'single-async'), spool: join(work, 'single-spool') };
  const singlePlans = { sync: join(work, 'single-sync.yaml'), async: join(work, 'single-async.yaml') };
  await writeFile(singlePlans.sync, planYaml({ recipient, destination: singleDirs.sync }));
  await writeFile(singlePlans.async, planYaml({ recipient, destination: singleDirs.async, spool: singleDirs.spool }));
  await mkdir(singleDirs.cp);
  for (let i = 0; i < SINGLE_RUNS; i++) {
    // Same bytes under new names (the header's timeline matches): every push is a first push.
    const name = (mode) => `00000001000000FF000000${(MODES.indexOf(mode) * 16 + i).toString(16).toUpperCase().padStart(2, '0')}`;
    for (const mode of MODES) await writeFile(join(fake, 'pg_wal', name(mode)), sampleBytes);
    single.version.push(await run(process.execPath, [runner.bin, '--version'], { timed: true }));
    single.cp.push(await run('sh', ['-c', `test ! -f ${singleDirs.cp}/${name('cp')} && cp pg_wal/${name('cp')} ${singleDirs.cp}/${name('cp')}`], { cwd: fake, timed: true }));
    for (const mode of ['sync', 'async']) {
      single[mode].push(await run(process.execPath, [runner.bin, '--plan', singlePlans[mode], 'wal', 'push', 'database', `pg_wal/${name(mode)}`], { cwd: fake, env: lifeboatEnv, timed: true }));
    }
  }
  await until('the single-push pusher drained its spool', async () => (spooled(singleDirs.spool) === 0 ? true : undefined), 120_000);

  const runs = { cp: [], sync: [], async: [] };
  for (let i = 0; i < RUNS; i++) {
    const order = MODES.map((_, k) => MODES[(k + i) % MODES.length]);
    for (const mode of order) {
      const archive = await sharedDir(`archive-${mode}`);
      const spool = mode === 'async' ? await sharedDir('spool') : undefined;
      const plan = join(work, `${mode}.yaml`);
      let command;
      if (mode === 'cp') command = `test ! -f ${archive}/%f && cp %p ${archive}/%f`;
      else {
        await writeFile(plan, planYaml({ recipient, destination: archive, spool }), { mode: 0o644 });
        command = `${process.execPath} ${runner.bin} --plan ${plan} wal push database %p`;
      }
      await setArchiveCommand('/bin/true');
      await drained('before the run');
      await setArchiveCommand(command);
      await psql('CHECKPOINT');
      await psql("SELECT pg_stat_reset_shared('archiver')");
      const lsnStart = await psql('SELECT pg_current_wal_lsn()');
      log(`run ${i + 1}/${RUNS}, ${mode}: pgbench -c ${CLIENTS} -T ${SECONDS}`);
      let maxReady = 0;
      let maxSpooled = 0;
      const poll = setInterval(() => {
        maxReady = Math.max(maxReady, readyFiles(server.dataDir));
        if (spool) maxSpooled = Math.max(maxSpooled, spooled(spool));
      }, 200);
      let bench;
      try {
        bench = await run(join(server.binDir, 'pgbench'), ['-n', '-c', String(CLIENTS), '-j', '2', '-T', String(SECONDS), 'postgres'], { env: pgEnv });
      } finally {
        clearInterval(poll);
      }
      const ended = Date.now();
      const endReady = readyFiles(server.dataDir);
      const endSpooled = spool ? spooled(spool) : 0;
      const [archived, failed] = (await psql('SELECT archived_count, failed_count FROM pg_stat_archiver')).split('|').map(Number);
      const generatedBytes = Number(await psql(`SELECT pg_current_wal_lsn() - '${lsnStart}'::pg_lsn`));
      const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(bench.stdout)?.[1] ?? NaN);
      // After the load: how long until PostgreSQL has nothing waiting, and (async) until the spool is delivered.
      await until(`${mode}: the archiver caught up`, async () => (readyFiles(server.dataDir) === 0 ? true : undefined), 600_000);
      const drainSeconds = (Date.now() - ended) / 1000;
      if (spool) await until('async: the pusher emptied the spool', async () => (spooled(spool) === 0 ? true : undefined), 600_000);
      const deliveredSeconds = (Date.now() - ended) / 1000;
      const result = { archived, failed, rate: archived / SECONDS, generated: generatedBytes / SEGMENT, tps, maxReady, endReady, maxSpooled, endSpooled, drainSeconds, deliveredSeconds };
      runs[mode].push(result);
      log(`  ${archived} segments archived in ${SECONDS} s (${result.rate.toFixed(2)}/s), ${result.generated.toFixed(1)} written, tps ${tps.toFixed(0)}, .ready max ${maxReady} end ${endReady}${spool ? `, spool max ${maxSpooled} end ${endSpooled}` : ''}, caught up ${secs(drainSeconds)} s after${spool ? `, delivered ${secs(deliveredSeconds)} s after` : ''}`);
      await setArchiveCommand('/bin/true');
      await rm(archive, { recursive: true, force: true });
      if (spool) await rm(spool, { recursive: true, force: true });
    }
  }
  return { single, runs };
}

/** Polls `SELECT pg_is_in_recovery()` on a server's socket every 250 ms (as lifeboat's restore does) until it says false. */
async function promoted(server, binDir, deadlineMs) {
  await until(
    'the recovered server is promoted',
    async () => {
      if (!server.process.running) throw new Error(`the server stopped during recovery: ${server.process.output().slice(-5).join(' | ')}`);
      const out = await run(join(binDir, 'psql'), ['-X', '-A', '-t', '-h', server.socketDir, '-p', String(server.port), '-U', 'postgres', '-d', 'postgres', '-c', 'SELECT pg_is_in_recovery()']).catch(() => undefined);
      return out?.stdout.trim() === 'f' ? true : undefined;
    },
    deadlineMs,
    250,
  );
}

/**
 * PITR restore time: one lifeboat base backup and one pg_basebackup (tar), then pgbench for SECONDS with every
 * segment archived both ways (a plain cp folder and lifeboat's archive); then, alternating, RUNS restores to the
 * end of the archive each way, the server stopped cleanly at the end of both (lifeboat's --to-dir does so).
 */
async function measureRestore({ server, work, runner, psql, owner, sharedDir, keyFile, recipient, lifeboatEnv, pgEnv, setArchiveCommand, drained }) {
  const binDir = server.binDir;
  const asRoot = process.getuid?.() === 0;
  const plain = await sharedDir('restore-plain-archive');
  const destination = await sharedDir('restore-archive');
  const spool = await sharedDir('restore-spool');
  const plan = join(work, 'restore.yaml');
  // restore_command runs as the server's OS user: it reads the plan and the identity.
  if (asRoot) await chown(keyFile, owner.uid, owner.gid);
  await writeFile(plan, planYaml({ recipient, destination, spool, identity: keyFile, restore: true }), { mode: 0o644 });
  await setArchiveCommand('/bin/true');
  await drained('before the restore measure');
  // Both archives get every segment: the plain copy first, then lifeboat's (async, so archiving keeps up).
  await setArchiveCommand(`test ! -f ${plain}/%f && cp %p ${plain}/%f; test -f ${plain}/%f && ${process.execPath} ${runner.bin} --plan ${plan} wal push database %p`);
  await drained('the archives start');

  log('base backups: lifeboat backup database, and pg_basebackup -Ft -X none');
  await run(process.execPath, [runner.bin, '--plan', plan, '--log-format', 'json', 'backup', 'database'], { env: { ...lifeboatEnv, BENCH_DATABASE_URL: benchUrl(server) } });
  // The backup ran as root and made the repository; archive_command's pusher runs as the server's OS user.
  if (asRoot) await run('chown', ['-R', `${owner.uid}:${owner.gid}`, destination]);
  const base = join(work, 'restore-basebackup');
  await rm(base, { recursive: true, force: true });
  await run(join(binDir, 'pg_basebackup'), ['-D', base, '-Ft', '-X', 'none', '-c', 'fast'], { env: pgEnv });
  const baseBytes = statSync(join(base, 'base.tar')).size;

  log(`WAL to replay: pgbench -c ${CLIENTS} -T ${SECONDS}, archived both ways`);
  const lsnStart = await psql('SELECT pg_current_wal_lsn()');
  const bench = await run(join(binDir, 'pgbench'), ['-n', '-c', String(CLIENTS), '-j', '2', '-T', String(SECONDS), 'postgres'], { env: pgEnv });
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(bench.stdout)?.[1] ?? NaN);
  const walBytes = Number(await psql(`SELECT pg_current_wal_lsn() - '${lsnStart}'::pg_lsn`));
  await drained('the archives caught up');
  await until('the pusher delivered every spooled segment', async () => (spooled(spool) === 0 ? true : undefined), 900_000);
  await setArchiveCommand('/bin/true');
  const segments = readdirSync(plain).filter((n) => /^[0-9A-F]{24}$/.test(n)).length;
  log(`${segments} segments archived (${(walBytes / SEGMENT).toFixed(1)} written under load, tps ${tps.toFixed(0)})`);

  const target = join(work, 'restore-target');
  const fresh = async () => {
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { mode: 0o700 });
    if (asRoot) await chown(target, owner.uid, owner.gid);
  };
  const ways = {
    lifeboat: async () => {
      await fresh();
      const started = process.hrtime.bigint();
      // As installed: through the release's launcher (bin/lifeboat) where there is one.
      const args = ['--plan', plan, '--log-format', 'json', 'restore', 'database', '--to-latest', '--to-dir', target];
      const r = await run(...lifeboatCommand(runner, ...args), { env: lifeboatEnv, timed: true });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const finished = /(\d+) WAL segment\(s\) fetched, (\d+) of them prefetched/.exec(r.stdout);
      // PostgreSQL's own measure of replay ("redo done … in N s" in the restore's step).
      const redo = Number(/redo done at \S+ in ([\d.]+) s/.exec(r.stdout)?.[1] ?? NaN);
      // The recovery run's shared_buffers, from its step: "…; shared_buffers 1.0 GiB (pitr.recovery.sharedBuffers: auto))".
      const chosen = /shared_buffers ([\d.]+) (MiB|GiB) \(pitr\.recovery\.sharedBuffers/.exec(r.stdout);
      const sharedBuffers = chosen ? `${Math.round(Number(chosen[1]) * (chosen[2] === 'GiB' ? 1024 * 1024 : 1024))}kB` : undefined;
      return { seconds, cpuSeconds: r.cpuSeconds, timeline: timeline(r.stdout, r.seconds), fetched: Number(finished?.[1] ?? NaN), prefetched: Number(finished?.[2] ?? NaN), redo, sharedBuffers };
    },
    byHand: async (extra = {}) => {
      await fresh();
      const started = process.hrtime.bigint();
      const step = {};
      let t = started;
      const lap = (name) => {
        const now = process.hrtime.bigint();
        step[name] = Number(now - t) / 1e9;
        t = now;
      };
      await run('tar', ['-xf', join(base, 'base.tar'), '-C', target]);
      if (asRoot) await run('chown', ['-R', `${owner.uid}:${owner.gid}`, target]);
      await writeFile(join(target, 'recovery.signal'), '');
      await writeFile(join(target, 'postgresql.auto.conf'), `restore_command = 'cp ${plain}/%f %p'\n`, { flag: 'a' });
      if (asRoot) await run('chown', [`${owner.uid}:${owner.gid}`, join(target, 'recovery.signal'), join(target, 'postgresql.auto.conf')]);
      lap('layout');
      // The same settings as lifeboat's recovery run: no archiving from the restored server, readable while it recovers.
      const restored = await startPostgresOnDataDir({
        binDir,
        dataDir: target,
        ...(asRoot ? { owner } : {}),
        env: { PATH: pgEnv.PATH },
        settings: { archive_mode: 'off', hot_standby: 'on', ...extra },
      });
      let redo = NaN;
      try {
        await promoted(restored, binDir, 1_800_000);
        lap('replay');
        redo = Number(/redo done at .* elapsed: ([\d.]+) s/.exec(restored.process.output().join('\n'))?.[1] ?? NaN);
      } finally {
        const clean = await restored.stop();
        if (!clean) throw new Error('the by-hand restored server did not stop cleanly');
      }
      lap('stop');
      return { seconds: Number(process.hrtime.bigint() - started) / 1e9, steps: step, redo };
    },
    // The same by hand, with the shared_buffers lifeboat's recovery run chose (pitr.recovery.sharedBuffers: auto): what that setting is worth apart from the rest.
    byHandTuned: () => ways.byHand(recoveryMemory ? { shared_buffers: recoveryMemory } : {}),
  };
  // What lifeboat's recovery run chose (its first run comes before the first tuned one).
  let recoveryMemory;
  const runs = { lifeboat: [], byHand: [], byHandTuned: [] };
  // pgbench, both archivers and the kernel's write-back of their files have just run: the restores start once the
  // dirty pages are on disk and the 1-minute load is below 1 (at most SETTLE_MS), so every way starts alike.
  await run('sync', []);
  const settleBy = Date.now() + SETTLE_MS;
  while (Number(loadavg().split(' ')[0]) > 1 && Date.now() < settleBy) await sleep(2_000);
  log(`restores start at load ${loadavg()}`);
  const loadBefore = loadavg();
  for (let i = 0; i < RUNS; i++) {
    for (const way of i % 2 === 0 ? ['lifeboat', 'byHand', 'byHandTuned'] : ['byHandTuned', 'byHand', 'lifeboat']) {
      // What the previous run wrote reaches the disk before this one starts, not during it.
      await run('sync', []);
      await sleep(PAUSE_MS);
      log(`restore run ${i + 1}/${RUNS}, ${way}`);
      const r = await ways[way]();
      if (way === 'lifeboat') recoveryMemory ??= r.sharedBuffers;
      r.load = loadavg();
      runs[way].push(r);
      log(`  ${secs(r.seconds)} s${r.fetched ? ` (${r.fetched} segments fetched, ${r.prefetched} prefetched)` : ''}; load ${r.load}`);
    }
  }
  await rm(target, { recursive: true, force: true });
  return { runs, launcher: Boolean(runner.launcher), recoveryMemory, segments, walBytes, tps, baseBytes, loadBefore, loadAfter: loadavg() };
}

function benchUrl(server) {
  return `postgres://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/postgres`;
}

const RESTORE_HEADING = '## PITR restore time';

function report(r) {
  if (r.runs) return archiveReport(r);
  return `# Benchmarks: PostgreSQL point-in-time recovery\n\n## WAL archiving under load\n\n*Not measured in this run (BENCH_PITR_PARTS).*\n\n${restoreSection(r)}\n`;
}

function archiveReport(r) {
  const m = r.machine;
  const med = (xs, f) => median(xs.map(f));
  const range = (xs, f, digits = 2) => `${Math.min(...xs.map(f)).toFixed(digits)}–${Math.max(...xs.map(f)).toFixed(digits)}`;
  const rate = Object.fromEntries(MODES.map((mode) => [mode, med(r.runs[mode], (x) => x.rate)]));
  const ratio = { sync: rate.sync / rate.cp, async: rate.async / rate.cp };
  const maxReady = Object.fromEntries(MODES.map((mode) => [mode, Math.max(...r.runs[mode].map((x) => x.maxReady))]));
  const cpuOf = (xs) => (xs.every((x) => x.cpuSeconds !== undefined) ? secs(med(xs, (x) => x.cpuSeconds)) : 'n/a');
  const singleRow = (label, xs) => `| ${label} | ${xs.map((x) => secs(x.seconds)).join(', ')} | ${secs(med(xs, (x) => x.seconds))} | ${cpuOf(xs)} |`;
  const row = (mode) => {
    const xs = r.runs[mode];
    return `| ${LABEL[mode]} | ${med(xs, (x) => x.rate).toFixed(2)} (${range(xs, (x) => x.rate)}) | ${med(xs, (x) => x.generated).toFixed(0)} | ${med(xs, (x) => x.tps).toFixed(0)} (${range(xs, (x) => x.tps, 0)}) | ${Math.max(...xs.map((x) => x.maxReady))} | ${med(xs, (x) => x.endReady)} | ${secs(med(xs, (x) => x.drainSeconds))} | ${mode === 'async' ? `${Math.max(...xs.map((x) => x.maxSpooled))} / ${med(xs, (x) => x.endSpooled)} / ${secs(med(xs, (x) => x.deliveredSeconds))} s` : '—'} | ${xs.reduce((s, x) => s + x.failed, 0)} |`;
  };
  return `# Benchmarks: PostgreSQL point-in-time recovery

## How to run

\`\`\`sh
pnpm bench:pitr                                    # builds, then runs bench/pitr.mjs; about ${Math.ceil((RUNS * 3 * (SECONDS + 20) + 60) / 60) + 15} min on 2 cores
BENCH_PITR_SECONDS=20 BENCH_PITR_RUNS=1 pnpm bench:pitr   # a quick look
BENCH_PITR_PARTS=restore pnpm bench:pitr           # only the restore time (the archiving section is kept)
\`\`\`

It starts its own throwaway PostgreSQL and overwrites this file. What it measures: \`bench/README.md\`.

## WAL archiving under load

### Latest run

- Date: ${new Date().toISOString()}
- Machine: ${m.nproc} CPUs (${m.cpu}); Node ${m.node}; PostgreSQL ${m.postgres}; Lifeboat ${m.runner}: ${m.runnerKind === 'build' ? 'the tsc build (`BENCH_RUNNER=build`)' : 'the release (`pnpm package`: the bundle a server installs)'}, made at the start
- Load average (1/5/15 min) at the start ${m.loadBefore}, at the end ${m.loadAfter}; the benchmark and its children ran at niceness ${r.niceness}.
  Anything else running competes for the ${m.nproc} CPUs with the server, pgbench and the archiver alike.
- Server: fsync and full_page_writes on (PostgreSQL's defaults), synchronous_commit off (WAL as fast as the CPUs allow, not at this disk's fsync pace), \`max_wal_size = 1GB\`, 16 MiB segments;
  data \`pgbench -i -s ${SCALE}\` (${(r.dbBytes / 1024 / 1024).toFixed(0)} MiB)
- Load: \`pgbench -n -c ${CLIENTS} -j 2 -T ${SECONDS}\`, ${RUNS} run(s) per way of archiving, the three ways alternating; before each run the
  archiver is caught up, \`pg_stat_archiver\` reset and a checkpoint taken
- Ways of archiving, all to a folder on the same disk:
  - ${LABEL.cp}: \`test ! -f DIR/%f && cp %p DIR/%f\` (PostgreSQL's documented example; no fsync, no compression, no checksum)
  - ${LABEL.sync}: every push gzips, age-encrypts, fsyncs and writes the entry itself, then exits 0
  - ${LABEL.async}: \`pitr: { async: { spool: … } }\`: the push fsyncs the segment into a local spool and exits 0; the background
    pusher (started by the first push, 4 segments at once) gzips, encrypts and stores it

"Archived" is \`pg_stat_archiver.archived_count\` when pgbench ends, divided by the ${SECONDS} s of load: segments the
archiver got exit 0 for. For the async mode that means durable in the spool; delivery to the destination is the
"spool" column. "Backlog" is the count of \`.ready\` files in \`pg_wal/archive_status\`, polled every 200 ms.

| archive_command | segments archived / s, median (min–max) | segments written, median | pgbench tps, median (min–max) | backlog max | backlog at the end | caught up after (s) | spool max / at the end / delivered after | failed pushes |
|---|---|---|---|---|---|---|---|---|
${MODES.map(row).join('\n')}

| | ratio to cp (segments archived / s) | goal | met? | backlog max (\`.ready\`) | goal | met? |
|---|---|---|---|---|---|---|
| ${LABEL.sync} | ${ratio.sync.toFixed(2)}× | ≥ ${GOAL.ratio}× | ${yes(ratio.sync >= GOAL.ratio)} | ${maxReady.sync} | ≤ ${GOAL.backlog} | ${yes(maxReady.sync <= GOAL.backlog)} |
| ${LABEL.async} | ${ratio.async.toFixed(2)}× | ≥ ${GOAL.ratio}× | ${yes(ratio.async >= GOAL.ratio)} | ${maxReady.async} | ≤ ${GOAL.backlog} | ${yes(maxReady.async <= GOAL.backlog)} |

### One segment, no load

The cost of one call, ${SINGLE_RUNS} runs each on an idle server (wall clock; CPU = user + system of the command,
\`/usr/bin/time\`; for the async push that excludes the pusher it starts, which does the compression and encryption
in the background):

| | runs (s) | median (s) | median CPU (s) |
|---|---|---|---|
${singleRow('`lifeboat --version` (node start-up and module loading)', r.single.version)}
${singleRow('`cp` of one 16 MiB segment', r.single.cp)}
${singleRow('`lifeboat wal push` (gzip, age, fsync, entry)', r.single.sync)}
${singleRow('`lifeboat wal push`, pitr.async (spool, fsync)', r.single.async)}

### Interpretation

${interpretation(r, { rate, ratio, maxReady })}

${restoreSection(r)}
`;
}

function restoreSection(r) {
  const x = r.restore;
  if (!x) return `${RESTORE_HEADING}\n\n*Not measured in this run (BENCH_PITR_PARTS).*\n`;
  const m = r.machine;
  const med = (xs) => median(xs);
  const range = (xs) => `${secs(Math.min(...xs))}–${secs(Math.max(...xs))}`;
  const lb = x.runs.lifeboat;
  const hand = x.runs.byHand;
  const lbMed = med(lb.map((v) => v.seconds));
  const handMed = med(hand.map((v) => v.seconds));
  const ratio = lbMed / handMed;
  const medianRun = [...lb].sort((a, b) => a.seconds - b.seconds)[Math.floor(lb.length / 2)];
  const handSteps = ['layout', 'replay', 'stop'].map((k) => `${k} ${secs(med(hand.map((v) => v.steps[k])))} s`).join(', ');
  const tuned = x.runs.byHandTuned ?? [];
  const tunedMed = tuned.length ? med(tuned.map((v) => v.seconds)) : NaN;
  const tunedRow = tuned.length
    ? `| by hand, \`cp\`, with lifeboat's recovery \`shared_buffers\` (${x.recoveryMemory ?? 'not found in its output'}) | ${tuned.map((v) => secs(v.seconds)).join(', ')} | ${secs(tunedMed)} | ${range(tuned.map((v) => v.seconds))} |\n`
    : '';
  const segments = x.segments;
  return `${RESTORE_HEADING}

### Latest run

- Date: ${new Date().toISOString()}; ${RUNS} run(s) each way, alternating${RUNS < 3 || SECONDS < 60 || SCALE < 20 ? ` — **a reduced run** (scale ${SCALE}, ${SECONDS} s of load, ${RUNS} run(s); the full one is scale 20, 60 s, 3 runs)` : ''}
- Machine: ${m.nproc} CPUs (${m.cpu}); Node ${m.node}; PostgreSQL ${m.postgres}; Lifeboat ${m.runner}: ${m.runnerKind === 'build' ? 'the tsc build (`BENCH_RUNNER=build`)' : 'the release (`pnpm package`: the bundle a server installs)'}
- Load average (1/5/15 min) before the restores (they start after a \`sync\`, once the 1-minute load is below 1 or after ${SETTLE_MS / 1000} s; each run after a \`sync\` and a ${PAUSE_MS / 1000} s pause) ${x.loadBefore}, after ${x.loadAfter}; after each run: lifeboat ${lb.map((v) => v.load.split(' ')[0]).join(', ')}; by hand ${hand.map((v) => v.load.split(' ')[0]).join(', ')} (1 min)
- Data: \`pgbench -i -s ${SCALE}\`, then one \`lifeboat backup database\` (base backup, gzip + age) and one \`pg_basebackup -Ft -X none\` (${(x.baseBytes / 1024 / 1024).toFixed(0)} MiB tar), then
  \`pgbench -c ${CLIENTS} -T ${SECONDS}\` (${x.tps.toFixed(0)} tps) with every segment archived twice: \`cp\` into a plain folder and \`lifeboat wal push\` (gzip + age) —
  ${segments} segments (${(x.walBytes / SEGMENT).toFixed(1)} × 16 MiB written under load)
- Lifeboat: \`lifeboat restore database --to-latest --to-dir D\`${x.launcher ? ' (run as installed: the release\'s launcher \`bin/lifeboat\`, which tunes glibc\'s allocator for it)' : ''} — decrypts and lays out the base backup, \`pg_verifybackup\`, starts PostgreSQL with
  \`restore_command = lifeboat wal get …\` (\`pitr.prefetch\` default 8: each segment verified, the next ones fetched ahead), waits for promotion, counts
  \`verify.tables\`, stops the server cleanly
- By hand: \`tar -xf base.tar\`, \`recovery.signal\`, \`restore_command = 'cp ARCHIVE/%f %p'\`, start PostgreSQL (the same settings: \`archive_mode=off\`, \`hot_standby=on\`),
  \`SELECT pg_is_in_recovery()\` every 250 ms until false, stop cleanly; no decryption, no checksum of anything; the folder's own \`shared_buffers\` (128 MB,
  PostgreSQL's default), where Lifeboat's recovery run raises it (\`pitr.recovery.sharedBuffers: auto\`) — a third row gives the by-hand restore the same

| | runs (s) | median (s) | min–max (s) |
|---|---|---|---|
| \`lifeboat restore --to-latest --to-dir\` | ${lb.map((v) => secs(v.seconds)).join(', ')} | ${secs(lbMed)} | ${range(lb.map((v) => v.seconds))} |
| by hand, \`restore_command = 'cp …'\` | ${hand.map((v) => secs(v.seconds)).join(', ')} | ${secs(handMed)} | ${range(hand.map((v) => v.seconds))} |
${tunedRow}
| ratio lifeboat / by hand (medians) | goal | met? |
|---|---|---|
| ${ratio.toFixed(2)}× | ≤ ${RESTORE_GOAL}× | ${yes(ratio <= RESTORE_GOAL)} |
${tuned.length ? `\nAgainst the by-hand restore given the same \`shared_buffers\` (not the goal's comparison, which is the by-hand restore as it comes; this shows the rest of the difference): ${(lbMed / tunedMed).toFixed(2)}×. By hand with it, median redo ${secs(median(tuned.map((v) => v.redo).filter((v) => Number.isFinite(v))))} s.\n` : ''}
Segments restore_command fetched per lifeboat run, and how many came from the prefetch folder: ${lb.map((v) => `${v.fetched} / ${v.prefetched}`).join(', ')}.
By hand, median per step: ${handSteps}.

Where the median lifeboat run's time went (its \`--log-format json\` steps, seconds to the next step):

| event | step | s |
|---|---|---|
${timelineRows(medianRun.timeline)}

### Interpretation

${restoreInterpretation(r, { ratio, medianRun, handMed })}
`;
}

function restoreInterpretation(r, { ratio, medianRun, handMed }) {
  const steps = medianRun.timeline.steps;
  // Each step's seconds run to the next step. Into an empty folder the base backup is laid out as it is proven (its step
  // comes between "reading and verifying" and "verified"); otherwise "laying out" follows the proof. pg_verifybackup is
  // announced when done.
  const sum = (re) => steps.filter((s) => re.test(s.msg)).reduce((a, s) => a + s.seconds, 0);
  const inOnePass = steps.some((s) => /^laying out base backup .* as it is read/.test(s.msg));
  const proof = inOnePass ? sum(/^reading and verifying backup|^laying out base backup .* as it is read/) : sum(/^reading and verifying backup|^verified backup/);
  const layout = inOnePass ? sum(/^verified backup|^pg_verifybackup/) : sum(/^laying out base backup|^pg_verifybackup|^emptying/);
  const replay = sum(/^starting PostgreSQL .* to replay|^recovering:/);
  const hand = r.restore.runs.byHand;
  const handReplay = median(hand.map((v) => v.steps.replay));
  const segments = medianRun.fetched;
  const lines = [];
  lines.push(
    `- **Ratio ${ratio.toFixed(2)}×** (goal ≤ ${RESTORE_GOAL}×: ${ratio <= RESTORE_GOAL ? 'met' : 'not met'}). The median lifeboat run: ` +
      (inOnePass
        ? `proving the backup and laying it out into the empty folder in the same read (read whole, sha256, decrypt, gunzip, write the files; \`PG_VERSION\` held back) ${secs(proof)} s, ` +
          `then \`PG_VERSION\`, the prefetcher's start and \`pg_verifybackup\` ${secs(layout)} s, `
        : `proving the backup before anything changes (read whole, sha256, decrypt) ${secs(proof)} s, laying it out (gunzip, tar, chown) and \`pg_verifybackup\` ${secs(layout)} s, `) +
      `replay until promotion ${secs(replay)} s, node start-up and plan loading ${secs(medianRun.timeline.outside)} s` +
      `${medianRun.cpuSeconds !== undefined ? `; ${secs(medianRun.cpuSeconds)} s of CPU for the restore, PostgreSQL and the \`wal get\` calls (not the detached prefetcher)` : ''}. ` +
      `By hand: ${secs(handMed)} s in all, of which replay ${secs(handReplay)} s.`,
  );
  const redoOf = (runs) => median(runs.map((v) => v.redo).filter((v) => Number.isFinite(v)));
  const [lbRedo, handRedo] = [redoOf(r.restore.runs.lifeboat), redoOf(hand)];
  lines.push(
    `- **Replay:** ${secs(replay)} s against ${secs(handReplay)} s from starting PostgreSQL to promotion (both include PostgreSQL's fsync of the data directory before it recovers, and its end-of-recovery checkpoint); ` +
      `PostgreSQL's own count of the redo itself ("redo done … elapsed", medians): ${secs(lbRedo)} s against ${secs(handRedo)} s, about ${secs((lbRedo - handRedo) / Math.max(1, segments))} s more per segment. ` +
      `${medianRun.prefetched} of the ${segments} segments came from the prefetch folder. Recovery runs restore_command once per segment and waits for it: here that is a shell line (sh and one mv: a segment the prefetcher wrote and checked in this boot is not hashed again; ` +
      `node starts only on a miss) where \`cp\` is one small process that copies 16 MiB; and the prefetcher's work per segment (read, sha256, ChaCha20-Poly1305 through OpenSSL, gunzip, sha256 of the plaintext, write) shares the ${r.machine.nproc} CPUs with the replay. ` +
      `When other work keeps those CPUs busy (load averages above), every CPU-second costs more than a wall-second, which also explains the spread between runs.`,
  );
  lines.push(
    `- **What the by-hand restore does not do:** decrypt, check a single checksum (the base backup read whole and against its backup_manifest, each segment against its sha256), count rows. ` +
      `Those checks grow with the size of the base backup (the proof and pg_verifybackup) and with the WAL (the per-segment hashes); they are the rules this restore keeps (fail closed, prove before touching).`,
  );
  lines.push(
    `- **Further gains** would come from the CLI's start-up, from a WAL compression cheaper to undo than gzip (gunzip is most of the prefetcher's CPU per segment), ` +
      `and from fewer CPU-seconds beside the replay on ${r.machine.nproc} CPUs. ` +
      `Done already: the base backup laid out as it is proven into an empty folder (one read instead of spool then tar), its big files flushed to disk in the background as they are written and the rest synced (\`sync -f\`) while \`pg_verifybackup\` reads (PostgreSQL's fsync of the data directory at start then finds them clean), ` +
      `the replay's PostgreSQL given more \`shared_buffers\` (\`pitr.recovery.sharedBuffers: auto\`: fewer pages written out and read back during the redo; the end-of-recovery checkpoint writes them instead), ` +
      `node's OpenSSL ChaCha20-Poly1305 for age (about a quarter of typage's CPU), the prefetcher fetching each segment once, in recovery's order, starting while \`pg_verifybackup\` runs, and a segment checked once per boot.`,
  );
  lines.push(`- **Caveats:** one machine with ${r.machine.nproc} CPUs shared with other work (load averages above); ${RUNS} run(s) each.`);
  return lines.join('\n');
}

function interpretation(r, { rate, ratio, maxReady }) {
  const single = (mode) => median(r.single[mode].map((x) => x.seconds));
  const lines = [];
  const wrote = median(r.runs.cp.map((x) => x.generated)) / SECONDS;
  lines.push(
    `- **How busy:** with \`cp\` the server wrote ${wrote.toFixed(2)} segments/s (${(wrote * 16).toFixed(0)} MiB/s of WAL) under this load, and \`cp\` archived ${rate.cp.toFixed(2)}/s: it keeps up at ${secs(single('cp'))} s per segment.`,
  );
  lines.push(
    `- **\`lifeboat wal push\` storing each segment itself:** ${secs(single('sync'))} s per segment on an idle server, of which ${secs(single('version'))} s is node starting and loading the runner. ` +
      `Under load it archived ${rate.sync.toFixed(2)} segments/s, ${ratio.sync.toFixed(2)}× \`cp\`, with up to ${maxReady.sync} segments waiting — ` +
      (ratio.sync >= GOAL.ratio && maxReady.sync <= GOAL.backlog ? 'enough for this load.' : 'it falls behind this load; that is what the async mode is for.'),
  );
  lines.push(
    `- **pitr.async:** the push only spools (${secs(single('async'))} s per segment: node's start without the CLI or the plan schema — the lean path, docs/pitr.md — and copying and fsyncing 16 MiB); the pusher compresses, encrypts and stores in the background, several segments at once. ` +
      `It archived ${rate.async.toFixed(2)} segments/s, ${ratio.async.toFixed(2)}× \`cp\` (goal ≥ ${GOAL.ratio}×: ${ratio.async >= GOAL.ratio ? 'met' : 'not met'}), the backlog peaked at ${maxReady.async} \`.ready\` file(s) (goal ≤ ${GOAL.backlog}: ${maxReady.async <= GOAL.backlog ? 'met' : 'not met'}). ` +
      `The price is the spool: a segment is on this host only until the pusher delivers it (see "spool" above, and docs/pitr.md).`,
  );
  lines.push(
    `- **tps:** every way of archiving shares the ${r.machine.nproc} CPUs with the server and pgbench, so the CPU Lifeboat spends (node start-up per segment, gzip and age) shows as fewer transactions and so fewer segments written; ` +
      `compare the tps columns. The segments/s ratio includes that effect.`,
  );
  lines.push(
    `- **Caveats:** one machine, ${RUNS} run(s) each, pgbench's WAL. The load average above shows what else shared the ${r.machine.nproc} CPUs; above ${r.machine.nproc}, every figure ` +
      `(the single pushes most of all) is slower and spreads more than on a quiet host. The WAL pace here is modest; on a server writing faster the synchronous push falls further behind, ` +
      `while the async push's ceiling is its own cost per segment (PostgreSQL runs one archive_command at a time).`,
  );
  return lines.join('\n');
}

const started = Date.now();
try {
  const results = await main();
  await mkdir(dirname(REPORT), { recursive: true });
  const text = report(results);
  // A measure that did not run (BENCH_PITR_PARTS) keeps its section from the previous report.
  const previous = existsSync(REPORT) ? await readFile(REPORT, 'utf8') : '';
  const split = (t) => {
    const at = t.indexOf(RESTORE_HEADING);
    return at >= 0 ? [t.slice(0, at), t.slice(at)] : [t, ''];
  };
  const [newArchive, newRestore] = split(text);
  const [oldArchive, oldRestore] = split(previous);
  await writeFile(REPORT, (results.runs || !oldArchive ? newArchive : oldArchive) + (results.restore || !oldRestore ? newRestore : oldRestore));
  log(`wrote ${REPORT} in ${((Date.now() - started) / 60000).toFixed(1)} min`);
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
