// What the benchmarks share: progress lines, peak-memory probes, and the way figures are printed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cp, rm, symlink } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';

export const log = (line) => process.stderr.write(`[bench] ${line}\n`);

/** Peak RSS (VmHWM, KiB) of a live process, or undefined once it is gone. */
export function vmHwmKiB(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The first child of a process (the command under /usr/bin/time). */
export function firstChild(pid) {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
export const kibToMiB = (kib) => (kib / 1024).toFixed(1);
export const secs = (s) => s.toFixed(2);
export const yes = (ok) => (ok ? 'yes' : '**no**');
export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * Where a lifeboat run's time went, from its --log-format json events: the
 * seconds from each event to the next (progress ticks left out), and the time
 * outside the run (node start-up, module and plan loading, exit).
 */
export function timeline(jsonLines, wallSeconds) {
  const events = jsonLines
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .filter((e) => e.event !== 'progress');
  const steps = events.map((e, i) => {
    const next = events[i + 1];
    return { event: e.event, msg: e.msg, seconds: next ? (Date.parse(next.time) - Date.parse(e.time)) / 1000 : 0 };
  });
  if (events.length === 0) return { steps, outside: wallSeconds };
  const first = Date.parse(events[0].time);
  const last = Date.parse(events.at(-1).time);
  return { steps, outside: wallSeconds - (last - first) / 1000 };
}

/** The timeline as the rows of a markdown table: event | message | seconds. */
export function timelineRows(t) {
  return [
    `| (outside the run) | node start-up, module and plan loading, exit | ${secs(t.outside)} |`,
    ...t.steps.map((s) => `| ${s.event} | ${s.msg.replace(/\|/g, '\\|')} | ${secs(s.seconds)} |`),
  ].join('\n');
}

/**
 * The CLI every timed run uses, made once at the start so that a rebuild in the
 * tree cannot change the program halfway through the run. By default the
 * release (`pnpm package`: the bundle a server installs, which starts faster than
 * the tsc build); `BENCH_RUNNER=build` copies the tsc build (the runner's and the
 * packages' dist folders) instead. `version` runs the bin (`lifeboat --version`)
 * and rejects when it does not start. Returns the bin and what it is (`kind`).
 */
export async function snapshotRunner(root, work, version) {
  const kind = process.env.BENCH_RUNNER === 'build' ? 'build' : 'release';
  const snap = join(work, 'runner');
  for (let attempt = 1; ; attempt++) {
    await rm(snap, { recursive: true, force: true });
    let bin;
    let launcher;
    if (kind === 'release') {
      const r = spawnSync(process.execPath, [join(root, 'apps/runner/scripts/package.mjs'), '--out', snap], { encoding: 'utf8' });
      const stage = readdirSync(snap, { withFileTypes: true }).find((e) => e.isDirectory() && e.name.startsWith('lifeboat-'));
      if (r.status !== 0 || stage === undefined) throw new Error(`pnpm package failed: ${(r.stderr || r.stdout || '').trim().split('\n').at(-1)}`);
      bin = join(snap, stage.name, 'lib/lifeboat/lifeboat.mjs');
      // What an installed Lifeboat runs: the sh launcher (it tunes glibc's allocator, then execs node on the bundle).
      launcher = join(snap, stage.name, 'bin/lifeboat');
    } else {
      const dirs = ['apps/runner', ...readdirSync(join(root, 'packages')).map((p) => `packages/${p}`)];
      for (const dir of dirs) {
        for (const part of ['package.json', 'dist', 'node_modules']) {
          if (!existsSync(join(root, dir, part))) continue;
          // node_modules holds only relative links into the root's .pnpm store and to sibling packages.
          await cp(join(root, dir, part), join(snap, dir, part), { recursive: true, verbatimSymlinks: true, filter: (f) => !f.includes('/.vite') });
        }
      }
      await symlink(join(root, 'node_modules'), join(snap, 'node_modules'));
      bin = join(snap, 'apps/runner/dist/bin.js');
    }
    try {
      return { bin, ...(launcher ? { launcher } : {}), kind, version: await version(bin) };
    } catch (err) {
      if (attempt === 3) throw new Error(`the ${kind} of the runner does not start (is a build running?): ${err.message}`);
      log(`the ${kind} of the runner does not start (a rebuild in progress?); making it again in 10 s`);
      await new Promise((r) => setTimeout(r, 10_000));
    }
  }
}

/**
 * How the benchmarks run Lifeboat: as installed, through the release's launcher
 * (`bin/lifeboat`, which tunes glibc's allocator and execs node), or with node
 * on the tsc build (`BENCH_RUNNER=build`). Returns [command, args], spread into `run(...)`.
 */
export function lifeboatCommand(runner, ...args) {
  return runner.launcher ? [runner.launcher, args] : [process.execPath, [runner.bin, ...args]];
}

/**
 * Raises this process's priority when allowed (root), before any child starts:
 * the server, Lifeboat and the baselines inherit it, so background work on the
 * machine disturbs both sides less. Returns the niceness in effect.
 */
export function preferBench(priority) {
  try {
    setPriority(priority);
  } catch {
    // not allowed: run at the priority we were given
  }
  return getPriority();
}
