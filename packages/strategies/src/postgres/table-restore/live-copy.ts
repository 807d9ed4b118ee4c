import { spawnSink, spawnSource, type RestoreContext } from '@lifeboat/core';
import { Readable } from 'node:stream';
import type pg from 'pg';
import type { PostgresConfig } from '../config.js';
import { quoteIdent, type PgTarget } from '../connection.js';
import { streamInto } from '../stream-into.js';
import { toolPath } from '../tools.js';
import type { TableName } from './request.js';

/** A column as a table's catalog describes it; `type` is schema-qualified (read with an empty search_path). */
export interface Column {
  name: string;
  type: string;
  notNull: boolean;
  /** GENERATED ALWAYS AS (…) STORED: never inserted into. */
  generated: boolean;
}

/** The columns of a table, in order; empty when it does not exist. */
export async function columnsOf(client: pg.Client, table: string): Promise<Column[]> {
  const result = await client.query<{ name: string; type: string; notnull: boolean; generated: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull, a.attgenerated <> '' AS generated
       FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table],
  );
  return result.rows.map((r) => ({ name: r.name, type: r.type, notNull: r.notnull, generated: r.generated }));
}

/** The primary key's columns, in key order; empty for a table without one (or that does not exist). */
export async function primaryKeyOf(client: pg.Client, table: string): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [table],
  );
  return result.rows.map((r) => r.name);
}

/** What is copied of one table: its columns and key as the source has them. */
export interface SourceTable {
  table: TableName;
  columns: Column[];
  primaryKey: string[];
}

export const qualified = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;

/**
 * Copies the tables from the source into a NEW schema of the live database,
 * in one psql transaction: CREATE SCHEMA, CREATE TABLE (columns, NOT NULL,
 * primary key), COPY of the rows streamed from the source's COPY … TO
 * STDOUT. COMMIT is written only once every source stream has ended
 * cleanly; a failure kills psql before it, so nothing is left behind. No
 * existing object of the live database is touched.
 */
export async function copyIntoLive(
  ctx: RestoreContext<PostgresConfig>,
  source: PgTarget,
  live: PgTarget,
  tables: readonly SourceTable[],
  schema: string,
): Promise<void> {
  const psql = toolPath('psql', ctx.config.binDir);
  const flags = ['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1'];
  const sourceEnv = { ...ctx.env, ...source.childEnv, PGCLIENTENCODING: 'UTF8' };
  const comment = `restored by lifeboat from backup ${ctx.manifest.id} of ${ctx.component}; drop it when done: DROP SCHEMA ${quoteIdent(schema)} CASCADE`;
  async function* script(): AsyncGenerator<string | Buffer> {
    yield `SET lock_timeout = '30s';\nBEGIN;\nCREATE SCHEMA ${quoteIdent(schema)};\nCOMMENT ON SCHEMA ${quoteIdent(schema)} IS ${literal(comment)};\n`;
    for (const { table, columns, primaryKey } of tables) {
      const into = qualified(schema, table.name);
      const cols = columns.map((c) => quoteIdent(c.name)).join(', ');
      yield `CREATE TABLE ${into} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}${c.notNull ? ' NOT NULL' : ''}`).join(', ')});\n`;
      yield `COPY ${into} (${cols}) FROM STDIN;\n`;
      const select = `COPY (SELECT ${cols} FROM ${qualified(table.schema, table.name)}) TO STDOUT`;
      // Text format ends with a newline and escapes backslashes, so `\.` alone on a line can only be ours.
      yield* spawnSource(psql, [...flags, `--command=${select}`], { env: sourceEnv, signal: ctx.signal, label: `psql (COPY ${table.display} from the restored copy)` });
      yield '\\.\n';
      if (primaryKey.length > 0) yield `ALTER TABLE ${into} ADD PRIMARY KEY (${primaryKey.map(quoteIdent).join(', ')});\n`;
    }
    yield 'COMMIT;\n';
  }
  ctx.step(`copying ${tables.map((t) => t.table.display).join(', ')} into ${live.display} as schema ${schema} (one transaction; live tables are not touched)`);
  const sink = spawnSink(psql, flags, { env: { ...ctx.env, ...live.childEnv, PGCLIENTENCODING: 'UTF8' }, signal: ctx.signal, label: 'psql (into the live database)' });
  await streamInto(Readable.from(script()), sink);
}

/** A SQL string literal. */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
