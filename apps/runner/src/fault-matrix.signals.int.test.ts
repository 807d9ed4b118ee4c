import { execFile, execFileSync, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, open, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@lifeboat/testkit';
import { CANCELLING_SIGNALS } from './process/signals.js';
import { backupFiles, eachWorkspace, files, filesPlan, lifeboat, postgresPlan, type Workspace } from './test/harness.js';
import { fakeBinDir, seed } from './test/pg-tools.js';

/**
 * Issue 11, item 8: signals and closed pipes, against the built CLI as a real
 * process (`pnpm build` first), the way a shell, an SSH session or systemd
 * delivers them.
 */

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Temp files of uploads in flight, anywhere below `dir`. */
async function tempFiles(dir: string): Promise<string[]> {
  return (await files(dir)).filter((f) => f.split('/').at(-1)!.startsWith('.lifeboat-tmp-'));
}

/** Lets a `cat FIFO` still waiting go (ENXIO when nobody reads it any more). */
async function release(fifo: string): Promise<void> {
  const handle = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
  await handle?.close();
}

/**
 * The built CLI as its own process, for a signal to reach it; `cancelledBy`
 * sends one and checks the run cancelled itself. `stop()` kills one still
 * running (a failed test).
 */
function spawned(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
  return {
    /** Sends `signal`; the run must end by itself, exit 1, saying it was cancelled (`what`: "backup of database"). */
    async cancelledBy(signal: NodeJS.Signals, what: string) {
      child.kill(signal);
      const { code, signal: killedBy } = await exited;
      expect(killedBy).toBeNull();
      expect(code).toBe(1);
      expect(stderr).toContain(`lifeboat: ${signal} received; cancelling and cleaning up`);
      expect(stdout).toContain(`${what} was cancelled`);
    },
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

describe('a signal during a backup cleans up like SIGTERM', () => {
  const ws = eachWorkspace();

  test.for(Object.keys(CANCELLING_SIGNALS) as Array<keyof typeof CANCELLING_SIGNALS>)(
    'fault 11.8: %s mid-upload: exit 1 with a sentence, no temp file, no partial object, no host or repository lock; the next backup succeeds',
    async (signal, { pg: server, db }) => {
      const url = `postgres://postgres:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${db.name}`;
      await seed(url, 50_000);
      // The real dump is written in full, then pg_dump's stdout stays open until the FIFO is written: the upload is mid-way.
      const fifo = join(ws.dir, 'hold');
      execFileSync('mkfifo', [fifo]);
      const binDir = await fakeBinDir(ws.dir, `pg_dump "$@"\nexec cat ${JSON.stringify(fifo)} > /dev/null`);
      const dest = join(ws.dir, 'a');
      const hostLocks = join(ws.dir, 'host-locks');
      await ws.writePlan(postgresPlan({ destinations: { a: dest }, binDir }));
      const env = { ...process.env, TEST_DATABASE_URL: url, LIFEBOAT_LOCK_DIR: hostLocks };
      const run = spawned(['--plan', ws.plan, 'backup', 'database'], env);
      try {
        // Mid-run: the dump's upload (not the lock's or the marker's write) has a temp file with bytes in it,
        // and the host and repository locks are taken.
        await expect
          .poll(async () => {
            const [temp] = (await tempFiles(dest)).filter((f) => f.startsWith('database/'));
            return temp !== undefined && (await stat(join(dest, temp))).size > 0;
          }, { timeout: 60_000, interval: 50 })
          .toBe(true);
        expect(await files(hostLocks)).not.toEqual([]);
        expect(await backupFiles(dest)).toContain('locks/database.json');

        await run.cancelledBy(signal, 'backup of database');
        expect(await tempFiles(dest)).toEqual([]);
        expect(await backupFiles(dest)).toEqual([]);
        expect(await files(hostLocks)).toEqual([]);
      } finally {
        run.stop();
        await release(fifo);
      }

      await ws.writePlan(postgresPlan({ destinations: { a: dest } }));
      const next = await lifeboat(['--plan', ws.plan, 'backup', 'database'], { env: { TEST_DATABASE_URL: url }, lockDir: hostLocks });
      expect(next.exitCode).toBe(0);
    },
  );
});

describe('a signal during a restore cleans up like SIGTERM', () => {
  const ws = eachWorkspace();

  test.for(Object.keys(CANCELLING_SIGNALS) as Array<keyof typeof CANCELLING_SIGNALS>)(
    'fault 11.8: %s while the beforeRestore hook runs: exit 1, the proven copy\'s spool and every temp file removed, the target untouched, no lock',
    async (signal) => {
      await mkdir(join(ws.dir, 'etc'));
      await writeFile(join(ws.dir, 'etc', 'app.conf'), 'x = 1\n');
      // The hook says it has started, then waits on a FIFO: the copy is proven and spooled, nothing is restored yet.
      const fifo = join(ws.dir, 'hold');
      const started = join(ws.dir, 'hook-started');
      execFileSync('mkfifo', [fifo]);
      const hook = `touch ${started}; exec cat ${fifo}`;
      await ws.writePlan(filesPlan({ destinations: { a: join(ws.dir, 'a') }, paths: [join(ws.dir, 'etc')], extra: `    hooks:\n      beforeRestore: [${JSON.stringify(hook)}]\n` }));
      expect((await lifeboat(['--plan', ws.plan, 'backup'], { lockDir: ws.lockDir })).exitCode).toBe(0);
      // The run's own temp folder, so what it leaves there is seen (the spool is made in TMPDIR without --spool-dir).
      const tmp = join(ws.dir, 'tmp');
      await mkdir(tmp);
      const target = join(ws.dir, 'restored');
      const env = { ...process.env, TMPDIR: tmp, LIFEBOAT_LOCK_DIR: ws.lockDir };
      const run = spawned(['--plan', ws.plan, 'restore', 'config', '--to', target], env);
      try {
        await expect.poll(() => stat(started).then(() => true, () => false), { timeout: 60_000, interval: 50 }).toBe(true);
        // What the signal must clean up is there: the proven copy's spool folder.
        expect((await readdir(tmp)).some((name) => name.startsWith('lifeboat-restore-'))).toBe(true);

        await run.cancelledBy(signal, 'restore of config');
        expect(await files(tmp)).toEqual([]);
        expect(await readdir(tmp)).toEqual([]);
        expect(await files(target)).toEqual([]);
        expect(await files(ws.lockDir)).toEqual([]);
      } finally {
        run.stop();
        await release(fifo);
      }
    },
  );
});

/** Runs `script` in bash; resolves its stdout and stderr (the script echoes the exit codes it wants to show). */
function bash(script: string, env: Record<string, string | undefined>): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) =>
    execFile('bash', ['-c', script], { env: { ...process.env, ...env } }, (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr }))),
  );
}

describe('a reader that goes away', () => {
  const ws = eachWorkspace();

  /** A files component with one committed backup, so `list` has a header and a row. */
  async function backedUp(w: Workspace): Promise<Record<string, string>> {
    await mkdir(join(w.dir, 'etc'));
    await writeFile(join(w.dir, 'etc', 'app.conf'), 'x = 1\n');
    await w.writePlan(`version: 1
name: test
destinations:
  local: { type: fs, path: ${JSON.stringify(join(w.dir, 'local'))} }
components:
  config:
    type: files
    paths: [${JSON.stringify(join(w.dir, 'etc'))}]
    schedule: on-change
    rpo: 0
    rto: 1h
    destinations: [local]
`);
    expect((await lifeboat(['--plan', w.plan, 'backup'], { lockDir: w.lockDir })).exitCode).toBe(0);
    return { LIFEBOAT_LOCK_DIR: w.lockDir, BIN, PLAN: w.plan, FIFO: join(w.dir, 'gone') };
  }

  test('fault 11.8: lifeboat --help | head -1 and lifeboat list | head -1: the first line, exit 0, nothing on stderr', async () => {
    const env = await backedUp(ws);
    const help = await bash('node "$BIN" --help | head -1; echo "exit ${PIPESTATUS[0]}" >&2', env);
    expect(help.stdout).toBe('Usage: lifeboat [options] [command]\n');
    expect(help.stderr).toBe('exit 0\n');
    const list = await bash('node "$BIN" --plan "$PLAN" list | head -1; echo "exit ${PIPESTATUS[0]}" >&2', env);
    expect(list.stdout).toMatch(/^ID\s+COMPONENT\s+FINISHED/);
    expect(list.stderr).toBe('exit 0\n');
  });

  // `| head -1` only sometimes exits before the last write; here the reader is gone before the first one, every time.
  const STACK = /EPIPE|Unhandled|^\s+at /m;
  test.each([
    ['--help', 0],
    ['--plan "$PLAN" list', 0],
    ['--plan "$PLAN" list --json', 0],
    ['--plan "$PLAN" status', 3],
  ])('fault 11.8: lifeboat %s into a pipe nobody reads: no EPIPE, no stack trace, its own exit code (%i)', async (args, expected) => {
    const env = await backedUp(ws);
    execFileSync('mkfifo', [env.FIFO!]);
    // Open the FIFO both ways, keep only the writing end: the pipe's reader is gone before lifeboat starts.
    const { stdout, stderr } = await bash(`exec 3<>"$FIFO" 4>"$FIFO"; exec 3<&-; node "$BIN" ${args} >&4; echo "exit $?"`, env);
    expect(stderr).not.toMatch(STACK);
    expect(stdout).toBe(`exit ${expected}\n`);
  });

  test('fault 11.8: a usage error whose stderr pipe is gone: exit 2, no stack trace', async () => {
    const env = await backedUp(ws);
    execFileSync('mkfifo', [env.FIFO!]);
    const { stdout, stderr } = await bash('exec 3<>"$FIFO" 4>"$FIFO"; exec 3<&-; node "$BIN" no-such-command 2>&4; echo "exit $?"', env);
    expect(stderr).toBe('');
    expect(stdout).toBe('exit 2\n');
  });

  test('fault 11.8: a backup whose output pipe is gone still commits and exits 0', async () => {
    const env = await backedUp(ws);
    execFileSync('mkfifo', [env.FIFO!]);
    await writeFile(join(ws.dir, 'etc', 'app.conf'), 'x = 2\n');
    const { stdout, stderr } = await bash('exec 3<>"$FIFO" 4>"$FIFO"; exec 3<&-; node "$BIN" --plan "$PLAN" backup >&4; echo "exit $?"', env);
    expect(stderr).not.toMatch(STACK);
    expect(stdout).toBe('exit 0\n');
    const list = await lifeboat(['--plan', ws.plan, 'list', '--json'], { lockDir: ws.lockDir });
    expect(JSON.parse(list.stdout)).toHaveLength(2);
    expect(await readdir(ws.lockDir)).toEqual([]);
  });
});
