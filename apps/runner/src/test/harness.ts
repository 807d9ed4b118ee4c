import { chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach } from 'vitest';
import { environmentOf, type SystemPaths } from '../environment.js';
import { main } from '../main.js';
import { BUILT_CLI, serverOwner } from './wal-server.js';

/**
 * Runs the CLI in-process, as a user would type it, and captures what it
 * prints. `signal` is the run's Ctrl-C (bin.ts aborts it on SIGINT);
 * `onOutput` sees stdout and stderr as they are written, for a run that is
 * watched while it goes on.
 */
export async function lifeboat(
  args: string[],
  opts: {
    env?: Record<string, string | undefined>;
    lockDir: string;
    cwd?: string;
    system?: SystemPaths;
    journal?: { stdout: boolean; stderr: boolean };
    signal?: AbortSignal;
    onOutput?: (text: string) => void;
  },
) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        append(chunk.toString());
        opts.onOutput?.(chunk.toString());
        cb();
      },
    });
  const exitCode = await main(
    args,
    environmentOf(
      // TMPDIR: what the run starts (hooks, restore_command) keeps its temporary files in the test run's own folder.
      { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, LANG: 'C.UTF-8', NO_COLOR: '1', LIFEBOAT_LOCK_DIR: opts.lockDir, ...opts.env },
      // A server a restore starts calls the built CLI back (restore_command), as an installed lifeboat would be.
      { cwd: opts.cwd ?? process.cwd(), uid: 0, stdoutIsTTY: false, selfCommand: [process.execPath, BUILT_CLI], ...(opts.journal ? { journal: opts.journal } : {}) },
      opts.system,
    ),
    { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) },
    opts.signal ?? new AbortController().signal,
  );
  return { exitCode, stdout, stderr };
}

/**
 * An age identity made with `lifeboat keys generate` in `dir`, owned by the
 * PostgreSQL server's OS user: restore_command (`wal get`) runs as that user
 * and reads it. Resolves the file and its recipient.
 */
export async function serverReadableKey(dir: string, lockDir: string): Promise<{ keyFile: string; recipient: string }> {
  const keyFile = join(dir, 'age.key');
  const recipient = (await lifeboat(['keys', 'generate', '--out', keyFile], { lockDir })).stdout.trim();
  const owner = serverOwner();
  if (owner) await chown(keyFile, owner.uid, owner.gid);
  return { keyFile, recipient };
}

export interface Workspace {
  dir: string;
  lockDir: string;
  plan: string;
  writePlan(yaml: string): Promise<string>;
  cleanup(): Promise<void>;
}

/**
 * A fresh workspace for every test of the describe block that calls this,
 * removed after the test: the object forwards to the current one.
 */
export function eachWorkspace(): Workspace {
  let current: Workspace | undefined;
  const now = () => {
    if (!current) throw new Error('eachWorkspace() is used outside a test');
    return current;
  };
  beforeEach(async () => {
    current = await workspace();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return {
    get dir() {
      return now().dir;
    },
    get lockDir() {
      return now().lockDir;
    },
    get plan() {
      return now().plan;
    },
    writePlan: (yaml) => now().writePlan(yaml),
    cleanup: () => now().cleanup(),
  };
}

export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-test-'));
  const plan = join(dir, 'lifeboat.yaml');
  return {
    dir,
    lockDir: join(dir, 'locks'),
    plan,
    writePlan: async (yaml) => {
      await writeFile(plan, yaml);
      return plan;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A test plan up to its `components:` line, with the given fs folders as destinations. */
function planHead(destinations: Record<string, string>): string {
  return `version: 1
name: test
destinations:
${Object.entries(destinations)
  .map(([name, path]) => `  ${name}: { type: fs, path: ${JSON.stringify(path)} }`)
  .join('\n')}
components:`;
}

/** A plan with one postgres component backed up to the given fs folders. */
export function postgresPlan(opts: { destinations: Record<string, string>; format?: 'custom' | 'plain'; tables?: string[]; binDir?: string; extra?: string }) {
  const names = Object.keys(opts.destinations);
  return `${planHead(opts.destinations)}
  database:
    type: postgres
    url: env:TEST_DATABASE_URL
    format: ${opts.format ?? 'custom'}
    schedule: "0 2 * * *"
    rpo: 24h
    rto: 4h
    destinations: [${names.join(', ')}]
${opts.binDir ? `    binDir: ${JSON.stringify(opts.binDir)}\n` : ''}    verify:
      tables: [${(opts.tables ?? []).map((t) => JSON.stringify(t)).join(', ')}]
${opts.extra ?? ''}`;
}

/** A plan with one on-change files component `config` (no server needed) backed up to the given fs folders. */
export function filesPlan(opts: { destinations: Record<string, string>; paths: string[]; extra?: string }) {
  const names = Object.keys(opts.destinations);
  return `${planHead(opts.destinations)}
  config:
    type: files
    paths: [${opts.paths.map((p) => JSON.stringify(p)).join(', ')}]
    schedule: on-change
    rpo: 0
    rto: 1h
    destinations: [${names.join(', ')}]
${opts.extra ?? ''}`;
}

/** Every file below a folder, relative to it, sorted: what a backup left on disk. */
export async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string) => {
    for (const entry of await readdir(join(dir, sub), { withFileTypes: true }).catch(() => [])) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else out.push(rel);
    }
  };
  await walk('');
  return out.sort();
}

/** Files of backups proper: everything but the repository marker and the run journal. */
export async function backupFiles(dir: string): Promise<string[]> {
  return (await files(dir)).filter((f) => f !== 'lifeboat.json' && !f.startsWith('runs/'));
}
