import { secretsFor, type EngineContext } from '@lifeboat/core';
import type pg from 'pg';
import type { PostgresConfig } from '../config.js';
import { connect, pgTarget, type PgTarget } from '../connection.js';

/** How long one query to the component's server may take (status and `wal setup --check` never hang on it). */
const STATEMENT_TIMEOUT = '10s';

/** The component's own server (its `url`), with a statement timeout; the caller ends the client. */
export async function connectComponent(ctx: EngineContext, component: string, config: PostgresConfig): Promise<{ client: pg.Client; target: PgTarget }> {
  const field = `components.${component}.url`;
  const target = pgTarget(await secretsFor(ctx).resolve(config.url, field), field);
  const client = await connect(target);
  try {
    await client.query(`SET statement_timeout = '${STATEMENT_TIMEOUT}'`);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return { client, target };
}

/** pg_stat_archiver, and where the server writes WAL now. */
export interface ArchiverState {
  archivedCount: number;
  lastArchivedWal?: string;
  lastArchivedTime?: string;
  failedCount: number;
  lastFailedWal?: string;
  lastFailedTime?: string;
  statsReset?: string;
  /** The last attempt failed (its time is after the last success): WAL is piling up in pg_wal. */
  failing: boolean;
  timeline: number;
  /** pg_current_wal_insert_lsn(). */
  insertLsn: string;
  walSegmentBytes: number;
  /** Segments waiting for archive_command (`.ready` files); absent when the role may not list pg_wal. */
  ready?: number;
}

export async function readArchiver(client: pg.Client): Promise<ArchiverState> {
  const { rows } = await client.query<{
    archived_count: string;
    last_archived_wal: string | null;
    last_archived_time: Date | null;
    failed_count: string;
    last_failed_wal: string | null;
    last_failed_time: Date | null;
    stats_reset: Date | null;
    timeline: number;
    insert_lsn: string;
    segment: string;
  }>(
    `SELECT a.archived_count, a.last_archived_wal, a.last_archived_time, a.failed_count, a.last_failed_wal, a.last_failed_time, a.stats_reset,
            (SELECT timeline_id FROM pg_control_checkpoint()) AS timeline,
            pg_current_wal_insert_lsn()::text AS insert_lsn,
            (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment
       FROM pg_stat_archiver a`,
  );
  const row = rows[0]!;
  let ready: number | undefined;
  try {
    // Needs superuser or pg_read_server_files / an explicit GRANT; without it the count is simply not shown.
    ready = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_ls_dir('pg_wal/archive_status') f WHERE f LIKE '%.ready'")).rows[0]!.n);
  } catch {
    ready = undefined;
  }
  const failedAt = row.last_failed_time?.getTime();
  const archivedAt = row.last_archived_time?.getTime();
  return {
    archivedCount: Number(row.archived_count),
    ...(row.last_archived_wal ? { lastArchivedWal: row.last_archived_wal } : {}),
    ...(row.last_archived_time ? { lastArchivedTime: row.last_archived_time.toISOString() } : {}),
    failedCount: Number(row.failed_count),
    ...(row.last_failed_wal ? { lastFailedWal: row.last_failed_wal } : {}),
    ...(row.last_failed_time ? { lastFailedTime: row.last_failed_time.toISOString() } : {}),
    ...(row.stats_reset ? { statsReset: row.stats_reset.toISOString() } : {}),
    failing: failedAt !== undefined && (archivedAt === undefined || failedAt > archivedAt),
    timeline: row.timeline,
    insertLsn: row.insert_lsn,
    walSegmentBytes: Number(row.segment),
    ...(ready !== undefined ? { ready } : {}),
  };
}
