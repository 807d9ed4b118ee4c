import type { Strategy } from '@lifeboat/core';
import { backupPostgres } from './backup.js';
import { postgresConfig, type PostgresConfig } from './config.js';
import { preflightPostgres, restorePostgres, reviewPostgres } from './restore.js';
import { pickTableBackup } from './table-restore/index.js';
import type { PostgresRestoreOptions } from './restore-surface.js';
import { checkPostgres } from './check.js';
import { preparePostgresDrill } from './drill.js';
import { postgresRestoreSurface } from './restore-surface.js';

export const postgresStrategy: Strategy<PostgresConfig> = {
  kind: 'postgres',
  summary: 'PostgreSQL logical backups with pg_dump (custom or gzip\u2019d plain SQL), restored with pg_restore or psql',
  config: postgresConfig,
  backup: backupPostgres,
  restore: restorePostgres,
  preflight: preflightPostgres,
  review: reviewPostgres,
  // Table-level restore (--table): picks a backup with a dump (--as-of), and restores beside the live tables, so no hooks.
  selectBackup: pickTableBackup,
  besideTarget: (request) => (request.options as PostgresRestoreOptions).table !== undefined,
  restoreSurface: postgresRestoreSurface,
  check: checkPostgres,
  prepareDrill: preparePostgresDrill,
};
export type { PostgresConfig };
export { pgTarget } from './connection.js';
export type { OpenTableSource, TableReport, TableSource } from './table-restore/index.js';
