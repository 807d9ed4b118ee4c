/**
 * A throwaway PostgreSQL on 127.0.0.1 in a temp folder, for tests, drills and
 * the demo: initdb, then the postmaster as our child, stopped and deleted by
 * `stop()`. Durability is switched off; nothing here is meant to survive.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError } from '@lifeboat/core';
import { DEFAULT_SEARCH_PATH, findPostgresBinDir } from './binaries.js';
import { freePort } from './free-port.js';
import { runToEnd, ServerProcess, telltaleLine, type SpawnOptions } from './server-process.js';

export interface EphemeralPostgresOptions {
  /** A folder with `postgres` and `initdb`; found on `path` or under /usr/lib/postgresql otherwise. */
  binDir?: string;
  /** The `postgres` superuser's password; random when not given. */
  password?: string;
  /** A fixed port; a free one when not given. */
  port?: number;
  /** The PATH to search for binaries (the caller reads its environment, not us). */
  path?: string;
  /** More server settings (`-c name=value`), e.g. archive_mode and archive_command for WAL archiving tests. */
  settings?: Record<string, string>;
}

export interface EphemeralPostgres {
  host: '127.0.0.1';
  port: number;
  user: 'postgres';
  password: string;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` — no password; it travels in `env`. */
  url: string;
  /** PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE for child processes. */
  env: Record<string, string>;
  /** Server version, e.g. `15.18`. */
  version: string;
  /** The folder with the server's bin directory's tools: psql, pg_dump, pg_restore, … */
  binDir: string;
  dataDir: string;
  /** Fast shutdown, then the temp folder is removed. Safe to call twice. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 30_000;
const PORT_ATTEMPTS = 5;

const NO_BINARIES =
  'no PostgreSQL server binaries found (looked on PATH and in /usr/lib/postgresql/*/bin); run tooling/bootstrap.sh';

function startFailure(reason: string, cause?: unknown): LifeboatError {
  return new LifeboatError(
    `could not start a local PostgreSQL: ${reason}`,
    undefined,
    cause === undefined ? undefined : { cause },
  );
}

interface Owner {
  uid: number;
  gid: number;
}

/** initdb and postgres refuse to run as root; as root we run them as the `postgres` OS user (undefined: not root, run as ourselves). */
export async function postgresServerOwner(): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const opts: SpawnOptions = { cwd: '/', env: { PATH: DEFAULT_SEARCH_PATH } };
  try {
    const [uid, gid] = await Promise.all([
      runToEnd('id', ['-u', 'postgres'], opts),
      runToEnd('id', ['-g', 'postgres'], opts),
    ]);
    if (uid.code === 0 && gid.code === 0) {
      return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
    }
  } catch {
    // `id` missing: reported below like a missing user
  }
  throw startFailure(
    "running as root needs a 'postgres' OS user to run the server (initdb refuses root); run tooling/bootstrap.sh",
  );
}

async function serverVersion(binDir: string, opts: SpawnOptions): Promise<string> {
  const result = await runToEnd(join(binDir, 'postgres'), ['--version'], opts);
  if (result.code !== 0) throw startFailure(`postgres --version failed: ${telltaleLine(result.output)}`);
  // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
  return /\(PostgreSQL\)\s+(\S+)/.exec(result.stdout)?.[1] ?? result.stdout.trim();
}

/** pg_ctl's own readiness test: line 8 of postmaster.pid says "ready" once connections are accepted. */
async function postmasterReady(dataDir: string, port: number): Promise<boolean> {
  try {
    const lines = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
    return lines[3]?.trim() === String(port) && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

async function initdb(binDir: string, dataDir: string, pwfile: string, opts: SpawnOptions): Promise<void> {
  const run = (locale: string) =>
    runToEnd(
      join(binDir, 'initdb'),
      [
        '-D', dataDir,
        '-U', 'postgres',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E', 'UTF8',
        `--locale=${locale}`,
        '--no-sync',
      ],
      opts,
    );
  let result = await run('C.UTF-8');
  if (result.code !== 0 && result.output.some((line) => /locale/i.test(line))) {
    await rm(dataDir, { recursive: true, force: true });
    result = await run('C');
  }
  if (result.code !== 0) throw startFailure(`initdb failed: ${telltaleLine(result.output)}`);
}

function serverArgs(dataDir: string, socketDir: string, port: number, extra: Record<string, string> = {}): string[] {
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: socketDir,
    // Throwaway: durability off for speed.
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    // Base backups and WAL archiving (PITR) need these.
    wal_level: 'replica',
    max_wal_senders: '4',
    ...extra,
  };
  return ['-D', dataDir, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}

export async function startEphemeralPostgres(opts: EphemeralPostgresOptions = {}): Promise<EphemeralPostgres> {
  const path = opts.path ?? DEFAULT_SEARCH_PATH;
  const binDir = findPostgresBinDir(opts.binDir, path);
  if (binDir === undefined) throw new LifeboatError(NO_BINARIES);
  const owner = await postgresServerOwner();
  const password = opts.password ?? randomBytes(18).toString('base64url');
  if (/[\r\n]/.test(password)) throw new LifeboatError('the PostgreSQL password must be a single line');

  // mkdtemp makes it 0700; as root it then belongs to `postgres`, who needs to
  // create the data folder and socket in it (the temp root itself is world-traversable).
  const root = await mkdtemp(join(tmpdir(), 'lifeboat-pg-'));
  const dataDir = join(root, 'data');
  // TMPDIR too: what the server runs (archive_command) keeps its temporary files where its caller does.
  const spawnOpts: SpawnOptions = { cwd: root, env: { PATH: path, TMPDIR: tmpdir() }, ...owner };
  let server: ServerProcess | undefined;
  try {
    if (owner !== undefined) await chown(root, owner.uid, owner.gid);
    const pwfile = join(root, 'pwfile');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (owner !== undefined) await chown(pwfile, owner.uid, owner.gid);
    const version = await serverVersion(binDir, spawnOpts);
    await initdb(binDir, dataDir, pwfile, spawnOpts).finally(() => rm(pwfile, { force: true }));

    for (let attempt = 1; ; attempt++) {
      const port = opts.port ?? (await freePort());
      // SIGINT is pg_ctl's "fast" shutdown: roll back sessions, checkpoint, exit.
      server = new ServerProcess(join(binDir, 'postgres'), serverArgs(dataDir, root, port, opts.settings), {
        ...spawnOpts,
        dir: root,
        stopSignal: 'SIGINT',
      });
      const outcome = await server.waitUntil(() => postmasterReady(dataDir, port), START_TIMEOUT_MS);
      if (outcome === 'ready') {
        server.unref();
        return handle(server, { root, dataDir, binDir, port, password, version });
      }

      await server.stop(5_000);
      const output = server.output();
      const portTaken = output.some((line) => /address already in use/i.test(line));
      if (outcome === 'exited' && portTaken && opts.port === undefined && attempt < PORT_ATTEMPTS) continue;
      if (portTaken) throw startFailure(`port ${port} on 127.0.0.1 is already in use`);
      const line = telltaleLine(output);
      throw startFailure(
        outcome === 'timeout'
          ? `the server was not ready after ${START_TIMEOUT_MS / 1000} s: ${line}`
          : `the server ${server.describeExit()}: ${line}`,
      );
    }
  } catch (err) {
    await server?.stop(5_000);
    await rm(root, { recursive: true, force: true });
    if (err instanceof LifeboatError) throw err;
    throw startFailure(err instanceof Error ? err.message : String(err), err);
  }
}

function handle(
  server: ServerProcess,
  s: { root: string; dataDir: string; binDir: string; port: number; password: string; version: string },
): EphemeralPostgres {
  let stopping: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: s.port,
    user: 'postgres',
    password: s.password,
    url: `postgres://postgres@127.0.0.1:${s.port}/postgres`,
    env: {
      PGHOST: '127.0.0.1',
      PGPORT: String(s.port),
      PGUSER: 'postgres',
      PGPASSWORD: s.password,
      PGDATABASE: 'postgres',
    },
    version: s.version,
    binDir: s.binDir,
    dataDir: s.dataDir,
    stop() {
      stopping ??= server.stop(STOP_GRACE_MS).then(() => rm(s.root, { recursive: true, force: true }));
      return stopping;
    },
  };
}
