/**
 * Test data for PostgreSQL round trips: content that trips up backup tools
 * (awkward.sql), and a fingerprint of everything a database holds, to
 * compare a source with its restore.
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** Types, encodings, quoting, a schema and names with spaces, a sequence moved ahead, a view and a function. */
export const awkwardSqlFile = fileURLToPath(new URL('./awkward.sql', import.meta.url));

/**
 * Each user table's rows (hashed in a stable order), each sequence's last
 * value, and the user functions and views by name: equal fingerprints mean
 * the restore holds what the source held.
 */
export async function databaseFingerprint(url: string, password?: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url, ...(password === undefined ? {} : { password }) });
  await client.connect();
  const rows = async <T extends pg.QueryResultRow>(sql: string) => (await client.query<T>(sql)).rows;
  try {
    const result: Record<string, string> = {};
    const user = `NOT IN ('pg_catalog', 'information_schema')`;
    const tables = await rows<{ name: string }>(
      `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema ${user} ORDER BY 1`,
    );
    for (const { name } of tables) {
      const [row] = await rows<{ h: string }>(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM ${name} t`);
      result[`table ${name}`] = row!.h;
    }
    for (const { name, v } of await rows<{ name: string; v: string }>(`SELECT format('%I.%I', schemaname, sequencename) AS name, coalesce(last_value::text, '') AS v FROM pg_sequences ORDER BY 1`)) {
      result[`sequence ${name}`] = v;
    }
    const [objects] = await rows<{ functions: string; views: string }>(
      `SELECT (SELECT coalesce(string_agg(p.proname, ',' ORDER BY p.proname), '') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname ${user}) AS functions,
              (SELECT coalesce(string_agg(format('%I.%I', table_schema, table_name), ',' ORDER BY 1), '') FROM information_schema.views WHERE table_schema ${user}) AS views`,
    );
    result.functions = objects!.functions;
    result.views = objects!.views;
    return result;
  } finally {
    await client.end();
  }
}
