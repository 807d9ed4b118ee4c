import type pg from 'pg';
import { sessionOptions } from './session-options.js';

/**
 * Session settings for pg_restore's own connections (PGOPTIONS), which only
 * ever write into a database nobody else sees yet:
 *
 * - `maintenance_work_mem`, only when the plan sets `maintenanceWorkMem`:
 *   raised to it per job, never lowered below what the server already gives
 *   sessions. Unset by default: on the benchmark machine raising it to 256MB
 *   made pg_restore slower (docs/decisions.md).
 * - `synchronous_commit=off`, only when `asyncCommit`: the restore goes into a
 *   staging database that is made visible by a rename whose commit is
 *   synchronous. WAL is one sequential stream, so flushing the rename's commit
 *   record flushes every commit before it: once the rename returns, the
 *   restored data is exactly as durable as with synchronous commits, and a
 *   crash before it loses only the staging database (docs/decisions.md).
 *
 * Returns the PGOPTIONS value: the environment's own PGOPTIONS
 * (`inherited`) comes after ours, so an operator's choice wins.
 */
export async function restoreSession(
  admin: pg.Client,
  opts: { maintenanceWorkMem?: number | undefined; asyncCommit: boolean; inherited?: string | undefined },
): Promise<string> {
  const settings: Record<string, string> = {};
  if (opts.maintenanceWorkMem !== undefined) {
    const server = await admin.query<{ bytes: string }>("SELECT pg_size_bytes(current_setting('maintenance_work_mem'))::bigint AS bytes");
    if (opts.maintenanceWorkMem > Number(server.rows[0]!.bytes)) settings.maintenance_work_mem = `${Math.floor(opts.maintenanceWorkMem / 1024)}kB`;
  }
  if (opts.asyncCommit) settings.synchronous_commit = 'off';
  return [sessionOptions(settings), opts.inherited ?? ''].filter(Boolean).join(' ');
}
