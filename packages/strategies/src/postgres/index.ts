import type { Strategy } from '@lifeboat/core';
import { backupPostgres } from './backup.js';
import { postgresConfig, type PostgresConfig } from './config.js';
import { preflightPostgres, restorePostgres, reviewPostgres } from './restore.js';
import { pickTableBackup, tableRequest } from './table-restore/index.js';
import { checkPostgres } from './check.js';
import { preparePostgresDrill } from './drill.js';
import { postgresRestoreSurface } from './restore-surface.js';
import { walArchive } from './wal/archive.js';
import { doctorPostgres } from './doctor.js';
import { asksForPoint, choosePointBackup, pointRestoreArtifacts } from './point-restore.js';

/** A restore to a point: the base backup before it; a table-level restore: the backup with a dump it asks for; else the default. */
const choosePostgresBackup: NonNullable<Strategy<PostgresConfig>['chooseBackup']> = async (ctx, choice) => {
  if (tableRequest(choice.request)) {
    // Nothing to choose from: the engine says so.
    if (choice.catalog.length === 0) return undefined;
    const picked = pickTableBackup(
      choice.catalog.map((e) => e.manifest),
      choice.request,
      choice.backupId,
    );
    return picked && choice.catalog.find((e) => e.id === picked.id);
  }
  return choosePointBackup(ctx, choice);
};

export const postgresStrategy: Strategy<PostgresConfig> = {
  kind: 'postgres',
  summary: 'PostgreSQL logical backups with pg_dump (custom or gzip\u2019d plain SQL), restored with pg_restore or psql',
  config: postgresConfig,
  backup: backupPostgres,
  restore: restorePostgres,
  preflight: preflightPostgres,
  review: reviewPostgres,
  // A restore to a point picks its base backup; a table-level restore (--table) a backup with a dump (--as-of).
  chooseBackup: choosePostgresBackup,
  restoreArtifacts: (_manifest, request) => pointRestoreArtifacts(request),
  // A restore to a point into a throwaway server, or a table restore beside the live tables, leaves production's services alone.
  runsHooks: (request) => !(asksForPoint(request) && request.target === 'ephemeral') && tableRequest(request) === undefined,
  restoreSurface: postgresRestoreSurface,
  check: checkPostgres,
  prepareDrill: preparePostgresDrill,
  archive: walArchive,
  doctor: doctorPostgres,
};
export type { PostgresConfig };
export { pgTarget } from './connection.js';
export { BASE_BACKUP_WATCH } from './base-backup.js';
export { startRecoveredPostgres, recoveryPlanFor, type RecoveredServer } from './point-restore.js';
export { recoveryTargetOf, parseTargetTime, type RecoveryTarget } from './recovery-target.js';
export type { OpenTableSource, TableReport, TableSource } from './table-restore/index.js';
