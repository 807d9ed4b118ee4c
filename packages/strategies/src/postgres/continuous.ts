import { join } from 'node:path';
import type { ContinuousHook } from '@lifeboat/core';
import type { PostgresConfig } from './config.js';

/** The OS user a pusher service runs as: the owner of the spool that archive_command (the server's user) writes. */
export const SPOOL_USER = 'postgres';
/** Its uid in the official postgres image (a pod's runAsUser needs a number). */
export const SPOOL_UID = 999;

/**
 * `schedule: continuous` on a postgres component is its WAL archiving
 * (`pitr:`): archive_command stores every segment, so no timer runs it; the
 * base backups still run on `pitr.baseBackups`. With `pitr.async` a pusher
 * service delivers the spool (instead of the one `wal push` starts).
 */
export const postgresContinuous: ContinuousHook<PostgresConfig> = (component) => {
  const { pitr, name } = component;
  if (!pitr) {
    return {
      refused: "for type postgres is its WAL archiving, and this component has no pitr:",
      advice: 'add pitr: { baseBackups: "0 2 * * 0", walRpo: 5m } (see docs/pitr.md), or use a cron expression',
    };
  }
  return {
    how: `PostgreSQL's archive_command runs lifeboat wal push ${name} %p for every WAL segment${pitr.async ? ` into the spool ${join(pitr.async.spool, name)}` : ''}`,
    setup: ['wal', 'setup', name],
    backups: pitr.baseBackups,
    ...(pitr.async && {
      daemon: {
        name: 'wal-pusher',
        description: `deliver the WAL spooled for ${name} to its destinations`,
        args: ['wal', 'pusher', name, '--forever'],
        writable: [join(pitr.async.spool, name)],
        user: SPOOL_USER,
        uid: SPOOL_UID,
      },
    }),
  };
};
