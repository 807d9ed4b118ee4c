import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DEFAULT_SEARCH_PATH, findExecutable } from './binaries.js';
import { ServerProcess, telltaleLine, WATCHDOG } from './server-process.js';

let scratch: string;
let dir: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'lifeboat-watchdog-test-'));
  dir = join(scratch, 'server');
  mkdirSync(dir);
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const env = { PATH: DEFAULT_SEARCH_PATH };

/** Running, not merely a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; Z is a zombie.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

const sleepBin = findExecutable('sleep', DEFAULT_SEARCH_PATH) ?? 'sleep';

/** A stand-in server: writes its pid where the test can read it, then waits. */
function fakeServer(pidFile: string): string[] {
  return ['-c', `echo $$ > ${pidFile}; exec ${sleepBin} 300`];
}

describe('the server watchdog', () => {
  test('stops the server and removes its folder when the Node process that started it is killed', async () => {
    const pidFile = join(scratch, 'server.pid');
    // A parent Node process holding the watchdog's stdin, as ServerProcess does; then SIGKILL it.
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         spawn('/bin/sh', ['-c', process.argv[1], 'lifeboat-server', ...process.argv.slice(2)],
               { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
         setInterval(() => {}, 1000);`,
        WATCHDOG,
        dir,
        'TERM',
        '/bin/sh',
        ...fakeServer(pidFile),
      ],
      // A PATH with nothing on it: the watchdog must not depend on the server's PATH.
      { stdio: 'ignore', env: { PATH: '/nonexistent' } },
    );
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'the server runs');
    const serverPid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(alive(serverPid)).toBe(true);

    parent.kill('SIGKILL');
    await until(() => !alive(serverPid), 'the server is gone');
    await until(() => !existsSync(dir), 'its folder is removed');
  });

  test('a server that exits by itself leaves its folder, and its output explains why', async () => {
    const server = new ServerProcess('/bin/sh', ['-c', 'echo "FATAL: could not bind: Address already in use" >&2; exit 3'], {
      cwd: scratch,
      env,
      dir,
      stopSignal: 'SIGTERM',
    });
    await server.exited;
    expect(server.describeExit()).toBe('exited with code 3');
    expect(telltaleLine(server.output())).toBe('FATAL: could not bind: Address already in use');
    expect(existsSync(dir)).toBe(true);
  });

  test('stop() sends the graceful signal and the folder goes', async () => {
    const pidFile = join(scratch, 'server.pid');
    const server = new ServerProcess('/bin/sh', fakeServer(pidFile), { cwd: scratch, env, dir, stopSignal: 'SIGTERM' });
    await server.waitUntil(async () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 5_000);
    const serverPid = Number(readFileSync(pidFile, 'utf8').trim());
    const started = Date.now();
    await server.stop(10_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(alive(serverPid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  test('stop() kills a server that ignores the graceful signal once the grace period is over', async () => {
    const pidFile = join(scratch, 'server.pid');
    const server = new ServerProcess('/bin/sh', ['-c', `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 1; done`], {
      cwd: scratch,
      env,
      dir,
      stopSignal: 'SIGTERM',
    });
    await server.waitUntil(async () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 5_000);
    const serverPid = Number(readFileSync(pidFile, 'utf8').trim());
    await server.stop(300);
    await until(() => !alive(serverPid), 'the stubborn server is gone');
  });
});

describe('telltaleLine', () => {
  test('picks the last error-like line and drops log prefixes', () => {
    expect(
      telltaleLine([
        '2026-11-26 03:55:45.110 UTC [5717] LOG:  starting PostgreSQL 15.18',
        '2026-11-26 03:55:45.110 UTC [5717] FATAL:  could not create any TCP/IP sockets',
        '2026-11-26 03:55:45.111 UTC [5717] LOG:  database system is shut down',
      ]),
    ).toBe('FATAL:  could not create any TCP/IP sockets');
    expect(telltaleLine(['1234:M 26 Nov 2026 03:55:45.110 # Failed listening on port 6379 (tcp), aborting.'])).toBe(
      'Failed listening on port 6379 (tcp), aborting.',
    );
    expect(telltaleLine(['all good'])).toBe('all good');
    expect(telltaleLine([])).toBe('no output');
  });
});
