import { LifeboatError, describeError } from '@lifeboat/core';
import type pg from 'pg';
import { quoteIdent, quoteQualified } from '../connection.js';
import { columnsOf, primaryKeyOf, qualified, type Column } from './live-copy.js';
import type { TableName } from './request.js';

/** One table of a table-level restore: the restored copy against the live table. */
export interface TableReport {
  /** The live table, `schema.table`. */
  table: string;
  /** Where the restored copy is: `lifeboat_restored_….users`. */
  restoredAs: string;
  restoredRows: number;
  /** Whether the live table still exists (not after DROP TABLE). */
  live: boolean;
  liveRows?: number;
  /** The live table's primary key, by which rows are matched. */
  primaryKey?: string[];
  /** Rows the restored copy has that the live table lacks (by primary key). */
  missingFromLive?: number;
  /** Rows the live table has that the restored copy lacks (written since, or kept). */
  onlyInLive?: number;
  /** Rows in both whose other columns differ (updated since); never overwritten. */
  differing?: number;
  /** With --copy-missing-rows: rows inserted into the live table. */
  inserted?: number;
  /** Live sequences that restored key values exceed (left as they are). */
  sequences?: Array<{ column: string; sequence: string; lastValue: number; restoredMax: number }>;
  /** Why rows could not be compared, or what to do (a dropped table: ALTER TABLE … SET SCHEMA). */
  note?: string;
}

/** What matching by the live primary key needs: its columns, in both tables. */
interface Match {
  live: string;
  restored: string;
  key: string[];
  /** Columns of both tables that are inserted (not generated in the live table). */
  columns: Column[];
}

function keyJoin(key: string[], a: string, b: string): string {
  return key.map((k) => `${a}.${quoteIdent(k)} = ${b}.${quoteIdent(k)}`).join(' AND ');
}

async function count(client: pg.Client, sql: string): Promise<number> {
  return Number((await client.query<{ n: string }>(`SELECT count(*)::bigint AS n FROM ${sql}`)).rows[0]!.n);
}

/** Compares each restored copy with its live table, in the live database; changes nothing. */
export async function compareTables(client: pg.Client, tables: readonly TableName[], schema: string): Promise<{ reports: TableReport[]; matches: Map<string, Match> }> {
  const reports: TableReport[] = [];
  const matches = new Map<string, Match>();
  for (const table of tables) {
    const restored = qualified(schema, table.name);
    const restoredAs = `${schema}.${table.name}`;
    const restoredRows = await count(client, restored);
    const live = quoteQualified(table.display);
    const liveColumns = await columnsOf(client, live);
    if (liveColumns.length === 0) {
      reports.push({
        table: table.display,
        restoredAs,
        restoredRows,
        live: false,
        note:
          `${table.display} no longer exists in the live database; to put the restored copy in its place: ALTER TABLE ${restored} SET SCHEMA ${quoteIdent(table.schema)}; ` +
          '(it has the columns, NOT NULL and primary key of the backup’s table; add its indexes, foreign keys and triggers as your schema defines them)',
      });
      continue;
    }
    const key = await primaryKeyOf(client, live);
    const found: TableReport = { table: table.display, restoredAs, restoredRows, live: true, liveRows: await count(client, live) };
    if (key.length === 0) {
      reports.push({ ...found, note: `${table.display} has no primary key, so rows cannot be matched; compare ${restoredAs} with it by hand` });
      continue;
    }
    const restoredColumns = new Set((await columnsOf(client, restored)).map((c) => c.name));
    const absent = key.filter((k) => !restoredColumns.has(k));
    if (absent.length > 0) {
      reports.push({ ...found, primaryKey: key, note: `the backup’s ${table.display} has no column ${absent.join(', ')} of the live primary key, so rows cannot be matched` });
      continue;
    }
    const columns = liveColumns.filter((c) => restoredColumns.has(c.name) && !c.generated);
    const others = columns.filter((c) => !key.includes(c.name));
    const match: Match = { live, restored, key, columns };
    matches.set(table.display, match);
    const distinct =
      others.length === 0 ? 'false' : `ROW(${others.map((c) => `r.${quoteIdent(c.name)}::text`).join(', ')}) IS DISTINCT FROM ROW(${others.map((c) => `l.${quoteIdent(c.name)}::text`).join(', ')})`;
    reports.push({
      ...found,
      primaryKey: key,
      missingFromLive: await count(client, `${restored} r WHERE NOT EXISTS (SELECT 1 FROM ${live} l WHERE ${keyJoin(key, 'l', 'r')})`),
      onlyInLive: await count(client, `${live} l WHERE NOT EXISTS (SELECT 1 FROM ${restored} r WHERE ${keyJoin(key, 'l', 'r')})`),
      differing: await count(client, `${restored} r JOIN ${live} l ON ${keyJoin(key, 'l', 'r')} WHERE ${distinct}`),
      ...(await sequencesBehind(client, table, live, restored, columns)),
    });
  }
  return { reports, matches };
}

/** Live sequences (serial, identity) whose last value is below the restored copy's highest value of their column. */
async function sequencesBehind(client: pg.Client, table: TableName, live: string, restored: string, columns: Column[]): Promise<Pick<TableReport, 'sequences'>> {
  const found: NonNullable<TableReport['sequences']> = [];
  for (const column of columns) {
    const seq = (await client.query<{ seq: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS seq', [live, column.name])).rows[0]?.seq;
    if (!seq) continue;
    const last = Number((await client.query<{ v: string }>(`SELECT last_value::text AS v FROM ${seq}`)).rows[0]!.v);
    const max = (await client.query<{ v: string | null }>(`SELECT max(${quoteIdent(column.name)})::text AS v FROM ${restored}`)).rows[0]?.v;
    if (max !== null && max !== undefined && Number(max) > last) found.push({ column: `${table.display}.${column.name}`, sequence: seq, lastValue: last, restoredMax: Number(max) });
  }
  return found.length > 0 ? { sequences: found } : {};
}

/**
 * Parents before children, by the live foreign keys among the chosen tables,
 * so a restored order finds its restored user. A cycle keeps the given order
 * (deferrable constraints are deferred to COMMIT).
 */
export async function parentsFirst(client: pg.Client, tables: readonly string[]): Promise<string[]> {
  const edges = await client.query<{ child: string; parent: string }>(
    `SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint
      WHERE contype = 'f' AND conrelid = ANY ($1::regclass[]) AND confrelid = ANY ($1::regclass[]) AND conrelid <> confrelid`,
    [tables.map((t) => quoteQualified(t))],
  );
  const oidName = new Map<string, string>();
  for (const t of tables) {
    oidName.set((await client.query<{ name: string }>('SELECT $1::regclass::text AS name', [quoteQualified(t)])).rows[0]!.name, t);
  }
  const parentsOf = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
  for (const e of edges.rows) parentsOf.get(oidName.get(e.child)!)?.add(oidName.get(e.parent)!);
  const order: string[] = [];
  const left = [...tables];
  while (left.length > 0) {
    const next = left.findIndex((t) => [...parentsOf.get(t)!].every((p) => order.includes(p)));
    order.push(...left.splice(next === -1 ? 0 : next, 1));
  }
  return order;
}

/**
 * Inserts the rows each live table lacks (by its primary key) from the
 * restored copy, with an explicit column list, in ONE transaction for all
 * tables, parents first. Rows the live table has are never changed. Any
 * failure (a foreign key to a row that is not there, a unique email taken
 * since) rolls everything back and says which table and why.
 */
export async function copyMissingRows(client: pg.Client, reports: TableReport[], matches: Map<string, Match>): Promise<void> {
  const order = await parentsFirst(client, [...matches.keys()]);
  await client.query('BEGIN');
  let current = '';
  try {
    await client.query("SET LOCAL lock_timeout = '30s'");
    await client.query('SET CONSTRAINTS ALL DEFERRED');
    for (const table of order) {
      current = table;
      const { live, restored, key, columns } = matches.get(table)!;
      const cols = columns.map((c) => quoteIdent(c.name)).join(', ');
      const result = await client.query(
        `INSERT INTO ${live} (${cols}) OVERRIDING SYSTEM VALUE SELECT ${columns.map((c) => `r.${quoteIdent(c.name)}`).join(', ')} FROM ${restored} r
          WHERE NOT EXISTS (SELECT 1 FROM ${live} l WHERE ${keyJoin(key, 'l', 'r')})`,
      );
      reports.find((r) => r.table === table)!.inserted = result.rowCount ?? 0;
    }
    current = 'COMMIT';
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    for (const r of reports) delete r.inserted;
    const where = current === 'COMMIT' ? 'at COMMIT' : `into ${current}`;
    const detail = (err as { detail?: string }).detail;
    const hint = /foreign key/i.test(describeError(err)) ? '; restore the table it refers to as well (another --table)' : '';
    throw new LifeboatError(`inserting the missing rows failed ${where}: ${describeError(err)}${detail ? ` (${detail})` : ''}${hint}; nothing was inserted into any live table`);
  }
}
