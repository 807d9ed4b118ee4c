import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import { environmentOf } from '../environment.js';
import { main } from '../main.js';

/** Runs the CLI in-process, as a user would type it, and captures what it prints. */
export async function lifeboat(args: string[], opts: { env?: Record<string, string | undefined>; lockDir: string; cwd?: string }) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        append(chunk.toString());
        cb();
      },
    });
  const exitCode = await main(
    args,
    environmentOf(
      { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', NO_COLOR: '1', LIFEBOAT_LOCK_DIR: opts.lockDir, ...opts.env },
      { cwd: opts.cwd ?? process.cwd(), uid: 0, stdoutIsTTY: false },
    ),
    { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) },
    new AbortController().signal,
  );
  return { exitCode, stdout, stderr };
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

/** A plan with one postgres component backed up to the given fs folders. */
export function postgresPlan(opts: { destinations: Record<string, string>; format?: 'custom' | 'plain'; tables?: string[]; binDir?: string; extra?: string }) {
  const names = Object.keys(opts.destinations);
  return `version: 1
name: test
destinations:
${names.map((n) => `  ${n}: { type: fs, path: ${JSON.stringify(opts.destinations[n])} }`).join('\n')}
components:
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

/** A binDir whose pg_dump is `script`; pg_restore and psql are the real ones. */
export async function fakeBinDir(dir: string, script: string, version = 'exec pg_dump --version'): Promise<string> {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'pg_dump'), `#!/bin/sh\nif [ "$1" = "--version" ]; then ${version}; exit; fi\n${script}\n`);
  await chmod(join(bin, 'pg_dump'), 0o755);
  for (const tool of ['pg_restore', 'psql']) {
    await writeFile(join(bin, tool), `#!/bin/sh\nexec ${tool} "$@"\n`);
    await chmod(join(bin, tool), 0o755);
  }
  return bin;
}

/** A table `t` of `rows` rows: an id and 64 hex characters. */
export async function seed(url: string, rows: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TABLE t AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v FROM generate_series(1, ${rows}) g`);
  await client.end();
}
