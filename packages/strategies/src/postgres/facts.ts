import type pg from 'pg';
import { quoteQualified } from './connection.js';

export interface PostgresFacts {
  serverVersion: string;
  serverVersionNum: number;
  database: string;
  encoding: string;
  databaseBytes: number;
  /** Exact row counts of verify.tables, in the dump's snapshot. */
  tables: Record<string, number>;
  /** Planner estimates for every table (cheap; for sizing and dashboards). */
  estimatedRows: Record<string, number>;
}

/** A table listed in verify.tables that does not exist is an error that names it. */
export async function assertTablesExist(client: pg.Client, tables: string[], database: string): Promise<void> {
  for (const table of tables) {
    const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [quoteQualified(table)]);
    if (!exists.rows[0]?.ok) {
      throw new Error(`verify.tables lists ${table}, which does not exist in database ${database}`);
    }
  }
}

/** The tables of `tables` that exist (to_regclass). */
export async function existingTables(client: pg.Client, tables: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of tables) {
    const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [quoteQualified(table)]);
    if (exists.rows[0]?.ok) found.push(table);
  }
  return found;
}

/**
 * The tables of `tables` whose rows a dump's COPY data holds exactly as count(*)
 * sees them: plain tables without child tables (a parent's count(*) includes its
 * children's rows, its COPY does not). Table name → oid as text.
 */
export async function streamCountable(client: pg.Client, tables: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const table of tables) {
    const result = await client.query<{ oid: string }>(
      `SELECT c.oid::text AS oid FROM pg_class c
        WHERE c.oid = to_regclass($1) AND c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid)`,
      [quoteQualified(table)],
    );
    if (result.rows[0]) found.set(table, result.rows[0].oid);
  }
  return found;
}

/** Exact counts of `tables` (checked to exist first). */
export async function exactCounts(client: pg.Client, tables: string[], database: string): Promise<Record<string, number>> {
  await assertTablesExist(client, tables, database);
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const result = await client.query<{ n: string }>(`SELECT count(*)::bigint AS n FROM ${quoteQualified(table)}`);
    counts[table] = Number(result.rows[0]!.n);
  }
  return counts;
}

export async function collectFacts(client: pg.Client, tables: string[]): Promise<PostgresFacts> {
  const info = await client.query<{ version: string; num: string; db: string; enc: string; size: string }>(
    `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
            current_database() AS db, pg_encoding_to_char(encoding) AS enc, pg_database_size(current_database())::bigint AS size
       FROM pg_database WHERE datname = current_database()`,
  );
  const row = info.rows[0]!;
  const estimates = await client.query<{ name: string; n: string }>(
    `SELECT n.nspname || '.' || c.relname AS name, GREATEST(c.reltuples, 0)::bigint AS n
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY 1`,
  );
  return {
    serverVersion: row.version,
    serverVersionNum: Number(row.num),
    database: row.db,
    encoding: row.enc,
    databaseBytes: Number(row.size),
    tables: await exactCounts(client, tables, row.db),
    estimatedRows: Object.fromEntries(estimates.rows.map((r) => [r.name, Number(r.n)])),
  };
}

/** Tables, views, sequences… anything that makes a database "not empty". */
export async function userRelationCount(client: pg.Client): Promise<number> {
  const result = await client.query<{ n: string }>(
    `SELECT count(*)::bigint AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'`,
  );
  return Number(result.rows[0]!.n);
}
