import { UsageError, type RestoreContext, type RestoreRequest } from '@lifeboat/core';
import type { PostgresConfig } from '../config.js';
import { connect, quoteQualified } from '../connection.js';
import { startRecoveredPostgres } from '../point-restore.js';
import { parseTargetTime, type RecoveryTarget } from '../recovery-target.js';
import type { PostgresRestoreOptions } from '../restore-surface.js';
import type { TableName, TableRequest } from './request.js';

type TimeTarget = Extract<RecoveryTarget, { kind: 'time' }>;
import { sourceTarget, type TableSource } from './source.js';

/**
 * `--as-of` on a component with `pitr:`: the tables come from a server
 * recovered by PITR to that time (base backup + WAL), not from the newest dump
 * before it. Undefined keeps the dump path (no --as-of, or no pitr:).
 */
export function tablePointOf(config: Pick<PostgresConfig, 'pitr'>, request: RestoreRequest, table: TableRequest): TimeTarget | undefined {
  if (!table.asOf || !config.pitr) return undefined;
  const text = (request.options as PostgresRestoreOptions).asOf!;
  try {
    // PostgreSQL is given the time as typed (microseconds kept).
    return { kind: 'time', ...parseTargetTime(text) };
  } catch {
    // parseAsOf took it: the same moment, to the millisecond.
    return { kind: 'time', at: table.asOf, text: table.asOf.toISOString() };
  }
}

/**
 * The base backup of `ctx.manifest` recovered to `target` in a throwaway
 * PostgreSQL (startRecoveredPostgres), as the table source; a table that does
 * not exist at that time is refused (exit 2) before anything is copied.
 */
export async function tableSourceFromRecovery(ctx: RestoreContext<PostgresConfig>, tables: readonly TableName[], target: TimeTarget): Promise<TableSource> {
  const server = await startRecoveredPostgres(ctx, target);
  const source: TableSource = {
    url: server.url,
    env: server.env,
    description: `a throwaway PostgreSQL recovered to ${target.at.toISOString()} from base backup ${ctx.manifest.id} + WAL`,
    stop: () => server.stop(),
  };
  try {
    const client = await connect(sourceTarget(source));
    try {
      const missing: string[] = [];
      for (const table of tables) {
        const found = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [quoteQualified(table.display)]);
        if (!found.rows[0]?.ok) missing.push(table.display);
      }
      if (missing.length > 0) {
        throw new UsageError(
          `${source.description} holds no table ${missing.join(', ')} in database ${server.database}; nothing was restored`,
        );
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    return source;
  } catch (err) {
    await source.stop();
    throw err;
  }
}
