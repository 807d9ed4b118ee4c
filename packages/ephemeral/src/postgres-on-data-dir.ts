/**
 * PostgreSQL started on a data directory that already exists (a restored base
 * backup), as our child: for a restore to a point in time, which runs the
 * recovery itself before handing the directory over. Unlike
 * `startEphemeralPostgres`, the data directory is never removed here; only a
 * private run folder (socket, pg_hba.conf) is.
 */
import { access, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifeboatError, runCommand } from '@lifeboat/core';
import { freePort } from './free-port.js';
import { ServerProcess } from './server-process.js';

export interface PostgresOnDataDirOptions {
  /** Folder holding `postgres`. */
  binDir: string;
  dataDir: string;
  /** The OS user the server runs as (it must own dataDir); undefined: this process's user. */
  owner?: { uid: number; gid: number };
  /** The server's whole environment: its restore_command inherits it. */
  env: Record<string, string>;
  /**
   * Also listen on 127.0.0.1 (a free port) with password authentication; default:
   * only the unix socket in the private run folder (0700), where connections are trusted.
   */
  tcp?: boolean;
  /** More `-c name=value` settings. */
  settings?: Record<string, string>;
  /** Every line the server logs. */
  onLine?: (line: string) => void;
}

export interface PostgresOnDataDir {
  /** The unix socket's folder (use as `host`); private to the server's user (and root). */
  socketDir: string;
  port: number;
  /** 127.0.0.1 when started with `tcp`. */
  tcpHost?: '127.0.0.1';
  process: ServerProcess;
  /** Fast shutdown (SIGINT), SIGKILL after `graceMs`; resolves whether it exited cleanly. Safe to call twice. */
  stop(graceMs?: number): Promise<boolean>;
}

const STOP_GRACE_MS = 120_000;
const SOCKET_ONLY_PORT = 5432;

export async function startPostgresOnDataDir(opts: PostgresOnDataDirOptions): Promise<PostgresOnDataDir> {
  const run = await mkdtemp(join(tmpdir(), 'lifeboat-pgrun-'));
  try {
    if (opts.owner) await chown(run, opts.owner.uid, opts.owner.gid);
    // Our own pg_hba.conf: the restored one is production's (peer, certificates, other hosts).
    const hba = join(run, 'pg_hba.conf');
    await writeFile(hba, `local all all trust\n${opts.tcp ? 'host all all 127.0.0.1/32 scram-sha-256\n' : ''}`, { mode: 0o600 });
    if (opts.owner) await chown(hba, opts.owner.uid, opts.owner.gid);
    // A data directory without postgresql.conf (Debian keeps it in /etc) still starts: an empty one here.
    const ownConf = (await hasConfigFile(opts.dataDir)) ? undefined : join(run, 'postgresql.conf');
    if (ownConf) {
      await writeFile(ownConf, '', { mode: 0o600 });
      if (opts.owner) await chown(ownConf, opts.owner.uid, opts.owner.gid);
    }
    const port = opts.tcp ? await freePort() : SOCKET_ONLY_PORT;
    const settings: Record<string, string> = {
      ...(ownConf ? { config_file: ownConf } : {}),
      hba_file: hba,
      listen_addresses: opts.tcp ? '127.0.0.1' : '',
      port: String(port),
      unix_socket_directories: run,
      unix_socket_permissions: '0700',
      // Its log is how a recovery says where it stopped: on stderr, to us.
      logging_collector: 'off',
      log_destination: 'stderr',
      ...opts.settings,
    };
    const args = ['-D', opts.dataDir, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
    const server = new ServerProcess(join(opts.binDir, 'postgres'), args, {
      cwd: run,
      env: opts.env,
      ...(opts.owner ?? {}),
      dir: run,
      stopSignal: 'SIGINT',
      ...(opts.onLine ? { onLine: opts.onLine } : {}),
    });
    let stopping: Promise<boolean> | undefined;
    return {
      socketDir: run,
      port,
      ...(opts.tcp ? { tcpHost: '127.0.0.1' as const } : {}),
      process: server,
      stop(graceMs = STOP_GRACE_MS) {
        stopping ??= server
          .stop(graceMs)
          .then(() => server.exitedCleanly)
          // A server that exited by itself leaves its run folder to us (the watchdog removes it only after a stop).
          .finally(() => rm(run, { recursive: true, force: true }));
        return stopping;
      },
    };
  } catch (err) {
    await rm(run, { recursive: true, force: true });
    throw err instanceof LifeboatError ? err : new LifeboatError(`could not start PostgreSQL on ${opts.dataDir}: ${(err as Error).message}`, undefined, { cause: err });
  }
}

const hasConfigFile = (dataDir: string) =>
  access(join(dataDir, 'postgresql.conf')).then(
    () => true,
    () => false,
  );

/**
 * The value a server started on `dataDir` (by startPostgresOnDataDir) would
 * have for `name`, as PostgreSQL itself reads the folder's postgresql.conf and
 * postgresql.auto.conf (`postgres -C`), in the setting's base unit:
 * shared_buffers in blocks of `block_size` bytes.
 */
export async function dataDirSetting(opts: Pick<PostgresOnDataDirOptions, 'binDir' | 'dataDir' | 'owner' | 'env'>, name: string): Promise<string> {
  const conf = (await hasConfigFile(opts.dataDir)) ? [] : ['-c', 'config_file=/dev/null'];
  const { stdout } = await runCommand(join(opts.binDir, 'postgres'), ['-D', opts.dataDir, ...conf, '-C', name], {
    env: opts.env,
    ...(opts.owner ? { owner: opts.owner } : {}),
    label: `postgres -C ${name}`,
  });
  return stdout.trim();
}
