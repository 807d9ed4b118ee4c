import type { Strategy } from '@lifeboat/core';
import { backupPostgres } from './backup.js';
import { postgresConfig, type PostgresConfig } from './config.js';
import { preflightPostgres, restorePostgres } from './restore.js';
import { checkPostgres } from './check.js';
import { preparePostgresDrill } from './drill.js';
import { postgresRestoreSurface } from './restore-surface.js';
import { walArchive } from './wal/archive.js';
import { doctorPostgres } from './doctor.js';

export const postgresStrategy: Strategy<PostgresConfig> = {
  kind: 'postgres',
  summary: 'PostgreSQL logical backups with pg_dump (custom or gzip\u2019d plain SQL), restored with pg_restore or psql',
  config: postgresConfig,
  backup: backupPostgres,
  restore: restorePostgres,
  preflight: preflightPostgres,
  restoreSurface: postgresRestoreSurface,
  check: checkPostgres,
  prepareDrill: preparePostgresDrill,
  archive: walArchive,
  doctor: doctorPostgres,
};
export type { PostgresConfig };
export { pgTarget } from './connection.js';
