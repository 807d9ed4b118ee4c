import { UsageError, flagOf, type Owner, type RestoreRequest } from '@lifeboat/core';
import { BACKUP_MANIFEST_ARTIFACT, BASE_BACKUP_ARTIFACT } from './artifact.js';
import type { PostgresConfig } from './config.js';
import { recoveryTargetOf, type PointOptions, type RecoveryTarget } from './recovery-target.js';
import type { PostgresRestoreOptions } from './restore-surface.js';

/** A restore to a point, as the request asks for it: where WAL replay stops, and where the cluster goes. */
export interface PointRequest {
  target: RecoveryTarget;
  into: { kind: 'dir'; dir: string; owner?: Owner; clean: boolean } | { kind: 'ephemeral'; keep: boolean };
}

/**
 * Reads the point-in-time part of a postgres restore request; undefined when
 * it asks for none (a dump restore). Every combination that cannot work is
 * refused in one sentence (exit 2) before anything is read.
 */
export function pointRequestOf(component: string, planFile: string, config: Pick<PostgresConfig, 'pitr'>, request: RestoreRequest): PointRequest | undefined {
  const options = request.options as PostgresRestoreOptions;
  const target = recoveryTargetOf(options as PointOptions);
  if (!target) {
    const stray = (['toDir', 'owner', 'keep'] as const).find((name) => options[name] !== undefined && options[name] !== false);
    if (stray) {
      throw new UsageError(
        `${flagOf(stray)} belongs to a restore to a point in time of ${component}; give the point too (--to-time, --to-lsn, --to-xid, --to-name, --to-latest or --to-immediate)`,
      );
    }
    return undefined;
  }
  if (!config.pitr) {
    throw new UsageError(
      `${planFile}: components.${component} has no pitr: (such as pitr: { baseBackups: "0 2 * * 0", walRpo: 5m }), so it has no base backups or WAL archive to restore to a point from`,
    );
  }
  if (options.jobs !== undefined) throw new UsageError('--jobs applies to pg_restore of a dump; a restore to a point replays WAL instead');
  const { toDir, owner, keep } = options;
  if (toDir !== undefined && request.target !== undefined) {
    throw new UsageError(`both --to-dir ${toDir} and --to ${request.target} say where to restore ${component}; give one`);
  }
  if (toDir !== undefined) {
    if (keep) throw new UsageError('--keep holds a throwaway server (--to ephemeral) open; a restore into --to-dir leaves the data directory ready for pg_ctl start');
    if (request.clean && !request.yes) throw new UsageError(`--clean deletes everything in ${toDir}; add --yes to confirm`);
    return { target, into: { kind: 'dir', dir: toDir, ...(owner ? { owner } : {}), clean: request.clean } };
  }
  if (request.target === 'ephemeral') {
    if (owner) throw new UsageError('--owner sets the owner of the data directory --to-dir makes; --to ephemeral runs a throwaway server as the usual user');
    if (request.clean) throw new UsageError('--clean replaces what a data directory holds; --to ephemeral starts from nothing');
    return { target, into: { kind: 'ephemeral', keep: keep === true } };
  }
  if (request.target !== undefined) {
    throw new UsageError(`a restore to a point goes into a data directory (--to-dir DIR) or a throwaway server (--to ephemeral), not --to ${request.target}`);
  }
  throw new UsageError(`say where to restore ${component} to the point: --to-dir DATADIR (a new or empty folder) or --to ephemeral`);
}

/** Only the base backup and its backup_manifest: the dump beside them is not read. */
export function pointRestoreArtifacts(request: RestoreRequest): string[] | undefined {
  return asksForPoint(request) ? [BASE_BACKUP_ARTIFACT, BACKUP_MANIFEST_ARTIFACT] : undefined;
}

/** The request names a point (valid or not: a bad one is refused with its sentence elsewhere). */
export function asksForPoint(request: RestoreRequest): boolean {
  try {
    return recoveryTargetOf(request.options as PointOptions) !== undefined;
  } catch {
    return true;
  }
}
