/**
 * A throwaway Redis on 127.0.0.1 in a temp folder, for tests, drills and the
 * demo, optionally loading an RDB at start (proving a backup loads). No
 * persistence is configured; `stop()` ends it and deletes the folder.
 */
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '@lifeboat/core';
import { DEFAULT_SEARCH_PATH, findExecutable } from './binaries.js';
import { freePort } from './free-port.js';
import { runToEnd, ServerProcess, telltaleLine, type SpawnOptions } from './server-process.js';

export interface EphemeralRedisOptions {
  /** Sets `requirepass`, through a 0600 config file that is deleted once the server runs. */
  password?: string;
  /** The PATH to search for `redis-server` (the caller reads its environment, not us). */
  path?: string;
  /**
   * An RDB for the server to load at start (a backup being checked). It is
   * linked into the server's folder, never copied, and never written: the
   * server has no save points.
   */
  rdbFile?: string;
  /** How long the server may take to answer PING; loading a large RDB takes a while. Default 30 s. */
  startTimeoutMs?: number;
  /** Gives up waiting (and stops the server) when aborted. */
  signal?: AbortSignal;
}

export interface EphemeralRedis {
  host: '127.0.0.1';
  port: number;
  password?: string;
  /** `redis://127.0.0.1:<port>` — no password. */
  url: string;
  /** Server version, e.g. `7.0.15`. */
  version: string;
  /** The server's working folder (`--dir`), where an RDB file would go. */
  dir: string;
  /** Ends the server, then removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
/** PING while loading: rarer than at a plain start, which is quick. */
const LOADING_POLL_MS = 100;
const STOP_GRACE_MS = 10_000;
const PORT_ATTEMPTS = 5;

function startFailure(reason: string, cause?: unknown): LifeboatError {
  return new LifeboatError(
    `could not start a local Redis: ${reason}`,
    undefined,
    cause === undefined ? undefined : { cause },
  );
}

/** A value in a redis.conf line, quoted the way redis parses it (sdssplitargs). */
function confString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** RESP for one command: an array of bulk strings. */
function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** True once the server answers PING with PONG (after AUTH when it has a password). */
function answersPing(port: number, password: string | undefined, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const expected = password === undefined ? 1 : 2;
    let received = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => {
      socket.write(password === undefined ? command('PING') : command('AUTH', password) + command('PING'));
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const replies = received.split('\r\n').slice(0, -1);
      if (replies.length >= expected) finish(replies[expected - 1] === '+PONG');
    });
  });
}

export async function startEphemeralRedis(opts: EphemeralRedisOptions = {}): Promise<EphemeralRedis> {
  const path = opts.path ?? DEFAULT_SEARCH_PATH;
  const redisServer = findExecutable('redis-server', path);
  if (redisServer === undefined) throw new LifeboatError('no redis-server found on PATH; run tooling/bootstrap.sh');
  const { password } = opts;
  if (password !== undefined && /[\r\n]/.test(password)) {
    throw new LifeboatError('the Redis password must be a single line');
  }

  const startTimeoutMs = opts.startTimeoutMs ?? START_TIMEOUT_MS;
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-redis-'));
  const spawnOpts: SpawnOptions = { cwd: dir, env: { PATH: path } };
  let server: ServerProcess | undefined;
  try {
    const versionRun = await runToEnd(redisServer, ['--version'], spawnOpts);
    if (versionRun.code !== 0) throw startFailure(`redis-server --version failed: ${telltaleLine(versionRun.output)}`);
    // "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=…"
    const version = /v=(\S+)/.exec(versionRun.stdout)?.[1] ?? versionRun.stdout.trim();

    if (opts.rdbFile !== undefined) await symlink(opts.rdbFile, join(dir, 'dump.rdb'));
    // The password goes in a 0600 file in the 0700 folder, never in argv where `ps` shows it.
    let confFile: string | undefined;
    if (password !== undefined) {
      confFile = join(dir, 'redis.conf');
      await writeFile(confFile, `requirepass ${confString(password)}\n`, { mode: 0o600 });
    }

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const args = [
        ...(confFile === undefined ? [] : [confFile]),
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--dir', dir,
        '--dbfilename', 'dump.rdb',
        '--save', '',
        '--appendonly', 'no',
        '--repl-diskless-sync-delay', '0',
        '--daemonize', 'no',
      ];
      // With no save points configured, SIGTERM shuts down without writing an RDB.
      server = new ServerProcess(redisServer, args, { ...spawnOpts, dir, stopSignal: 'SIGTERM' });
      const ready = async () => {
        if (opts.signal?.aborted) throw new LifeboatError('cancelled while the local Redis was starting');
        return answersPing(port, password);
      };
      const outcome = await server.waitUntil(ready, startTimeoutMs, opts.rdbFile === undefined ? undefined : LOADING_POLL_MS);
      if (outcome === 'ready') {
        server.unref();
        // Read at start; once the server runs the password lives only in its memory.
        if (confFile !== undefined) await rm(confFile, { force: true });
        return handle(server, { dir, port, password, version });
      }

      await server.stop(1_000);
      const output = server.output();
      const portTaken = output.some((line) => /address already in use/i.test(line));
      if (outcome === 'exited' && portTaken && attempt < PORT_ATTEMPTS) continue;
      if (portTaken) throw startFailure(`port ${port} on 127.0.0.1 is already in use`);
      const line = telltaleLine(output);
      throw startFailure(
        outcome === 'timeout'
          ? `the server did not answer PING within ${startTimeoutMs / 1000} s${opts.rdbFile === undefined ? '' : ' (still loading the RDB?)'}: ${line}`
          : `the server ${server.describeExit()}: ${line}`,
      );
    }
  } catch (err) {
    await server?.stop(1_000);
    await rm(dir, { recursive: true, force: true });
    if (err instanceof LifeboatError) throw err;
    throw startFailure(err instanceof Error ? err.message : String(err), err);
  }
}

function handle(
  server: ServerProcess,
  s: { dir: string; port: number; password: string | undefined; version: string },
): EphemeralRedis {
  let stopping: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: s.port,
    ...(s.password === undefined ? {} : { password: s.password }),
    url: `redis://127.0.0.1:${s.port}`,
    version: s.version,
    dir: s.dir,
    stop() {
      stopping ??= server.stop(STOP_GRACE_MS).then(() => rm(s.dir, { recursive: true, force: true }));
      return stopping;
    },
  };
}
