import type { Strategy } from '@lifeboat/core';
import { backupPostgres } from './backup.js';
import { postgresConfig, type PostgresConfig } from './config.js';
import { preflightPostgres, restorePostgres } from './restore.js';
import { checkPostgres } from './check.js';
import { preparePostgresDrill } from './drill.js';
import { postgresRestoreSurface } from './restore-surface.js';
import { walArchive } from './wal/archive.js';
import { asksForPoint, choosePointBackup, pointRestoreArtifacts } from './point-restore.js';

export const postgresStrategy: Strategy<PostgresConfig> = {
  kind: 'postgres',
  summary: 'PostgreSQL logical backups with pg_dump (custom or gzip\u2019d plain SQL), restored with pg_restore or psql',
  config: postgresConfig,
  backup: backupPostgres,
  restore: restorePostgres,
  preflight: preflightPostgres,
  chooseBackup: choosePointBackup,
  restoreArtifacts: (_manifest, request) => pointRestoreArtifacts(request),
  // A restore to a point into a throwaway server leaves production's services alone.
  runsHooks: (request) => !(asksForPoint(request) && request.target === 'ephemeral'),
  restoreSurface: postgresRestoreSurface,
  check: checkPostgres,
  prepareDrill: preparePostgresDrill,
  archive: walArchive,
};
export type { PostgresConfig };
export { pgTarget } from './connection.js';
export { startRecoveredPostgres, recoveryPlanFor, type RecoveredServer } from './point-restore.js';
export { recoveryTargetOf, parseTargetTime, type RecoveryTarget } from './recovery-target.js';
