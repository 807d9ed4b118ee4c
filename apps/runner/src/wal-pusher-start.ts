import { spawn } from 'node:child_process';
import { closeSync, openSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PUSHER_LOG, type WalSpool } from '@lifeboat/strategies/wal-spool';

/** One old log is kept: the log grows only by failures and start/stop lines, but a long outage repeats them. */
const LOG_ROTATE_BYTES = 1024 * 1024;

/**
 * Starts `lifeboat wal pusher <component> --exit-if-running` detached, its
 * output appended to pusher.log in the spool. The segment is already durable
 * in the spool, so a pusher that cannot be started only warns: the backlog
 * grows and the spool limit makes PostgreSQL retry.
 */
export function startPusher(opts: {
  /** How to run this Lifeboat (`Environment.selfCommand`). */
  self: readonly string[] | undefined;
  env: Readonly<Record<string, string | undefined>>;
  planFile: string;
  spool: WalSpool;
  warn: (message: string) => void;
}): void {
  const { self, spool, warn } = opts;
  if (!self) {
    warn(`cannot start the WAL pusher from here; run lifeboat wal pusher ${spool.component}`);
    return;
  }
  const log = join(spool.dir, PUSHER_LOG);
  try {
    if ((statSync(log, { throwIfNoEntry: false })?.size ?? 0) > LOG_ROTATE_BYTES) renameSync(log, `${log}.1`);
    const fd = openSync(log, 'a', 0o600);
    try {
      const [command, ...prefix] = self;
      const child = spawn(command!, [...prefix, '--plan', opts.planFile, 'wal', 'pusher', spool.component, '--exit-if-running'], {
        cwd: spool.dir,
        env: { ...opts.env },
        detached: true,
        stdio: ['ignore', fd, fd],
      });
      child.on('error', (err) => warn(`cannot start the WAL pusher: ${err.message}`));
      child.unref();
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    warn(`cannot start the WAL pusher (${(err as Error).message}); run lifeboat wal pusher ${spool.component}`);
  }
}
