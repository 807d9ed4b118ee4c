import type { Strategy } from '@lifeboat/core';
import { deferred } from '../deferred.js';
import { postgresConfig, type PostgresConfig } from './config.js';
import { BACKUP_MANIFEST_ARTIFACT, BASE_BACKUP_ARTIFACT } from './artifact.js';
import { tableRequest } from './table-restore/request.js';
import { postgresRestoreSurface } from './restore-surface.js';
import { walArchive } from './wal/archive.js';
import { postgresContinuous } from './continuous.js';
import { asksForPoint, pointRestoreArtifacts } from './point-request.js';

// Its backup, restore and checks (pg, ephemeral servers) load when a command first uses them.
const restore = () => import('./restore.js');
const pointSink = deferred(() => import('./point-restore.js'), 'pointSink');

export const postgresStrategy: Strategy<PostgresConfig> = {
  kind: 'postgres',
  summary: 'PostgreSQL logical backups with pg_dump (custom or gzip\u2019d plain SQL), restored with pg_restore or psql',
  config: postgresConfig,
  backup: deferred(() => import('./backup.js'), 'backupPostgres'),
  restore: deferred(restore, 'restorePostgres'),
  preflight: deferred(restore, 'preflightPostgres'),
  prepare: deferred(restore, 'preparePostgres'),
  // A restore to a point into an empty folder lays its base backup out as it is proven (point-restore.ts); a dump restore loads nothing for it.
  sink: (ctx) => (asksForPoint(ctx.request) ? pointSink(ctx) : Promise.resolve(undefined)),
  review: deferred(restore, 'reviewPostgres'),
  // A restore to a point picks its base backup; a table-level restore (--table) a backup with a dump (--as-of).
  chooseBackup: deferred(() => import('./choose-backup.js'), 'choosePostgresBackup'),
  // A table restore from PITR (--as-of, the chosen backup a base backup) reads what a restore to a point reads.
  restoreArtifacts: (manifest, request) =>
    pointRestoreArtifacts(request) ?? (manifest.facts.baseBackup && tableRequest(request)?.asOf ? [BASE_BACKUP_ARTIFACT, BACKUP_MANIFEST_ARTIFACT] : undefined),
  // A restore to a point into a throwaway server, or a table restore beside the live tables, leaves production's services alone.
  runsHooks: (request) => !(asksForPoint(request) && request.target === 'ephemeral') && tableRequest(request) === undefined,
  restoreSurface: postgresRestoreSurface,
  check: deferred(() => import('./check.js'), 'checkPostgres'),
  prepareDrill: deferred(() => import('./drill.js'), 'preparePostgresDrill'),
  archive: walArchive,
  doctor: deferred(() => import('./doctor.js'), 'doctorPostgres'),
  continuous: postgresContinuous,
};
export type { PostgresConfig };
export { BASE_BACKUP_WATCH } from './artifact.js';
export { recoveryTargetOf, parseTargetTime, type RecoveryTarget } from './recovery-target.js';
export type { OpenTableSource, TableReport, TableSource } from './table-restore/index.js';
