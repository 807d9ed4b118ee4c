import { UsageError, type Strategy } from '@lifeboat/core';
import type { PostgresConfig } from './config.js';
import { pickTableBackup, tablePointOf, tableRequest } from './table-restore/index.js';
import { chooseBaseBackup, choosePointBackup } from './point-restore.js';

/**
 * A restore to a point: the base backup before it; a table-level restore: with --as-of on a pitr: component the
 * base backup to recover to that time, else the backup with a dump it asks for; else the default.
 */
export const choosePostgresBackup: NonNullable<Strategy<PostgresConfig>['chooseBackup']> = async (ctx, choice) => {
  const table = tableRequest(choice.request);
  if (table) {
    // Nothing to choose from: the engine says so.
    if (choice.catalog.length === 0) return undefined;
    const config = ctx.registry.component(ctx.plan, choice.component) as ReturnType<typeof ctx.registry.component> & PostgresConfig;
    const point = tablePointOf(config, choice.request, table);
    if (point) {
      // --as-of on a pitr: component: the base backup and WAL that reach the time, checked in the archive before anything is read.
      if (choice.backupId) throw new UsageError('--as-of and --backup both choose the backup; give one');
      return chooseBaseBackup(ctx, choice, point);
    }
    const picked = pickTableBackup(
      choice.catalog.map((e) => e.manifest),
      choice.request,
      choice.backupId,
    );
    return picked && choice.catalog.find((e) => e.id === picked.id);
  }
  return choosePointBackup(ctx, choice);
};
