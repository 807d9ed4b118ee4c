import type { RestoreCheck } from '@lifeboat/core';
import type pg from 'pg';
import { connect, quoteQualified, type PgTarget } from './connection.js';
import { exactCounts } from './facts.js';

/** How long the load's sessions get to leave the database; past it the statistics are not used. */
const SESSIONS_GONE_WITHIN_MS = 3000;

/**
 * The row counts of the verified tables in a database pg_restore (or psql)
 * has just loaded, compared with the backup's.
 *
 * The database was empty before the load (a staging database, or an existing
 * one with no relations), so a table's rows are what the load inserted.
 * PostgreSQL counts every row a session inserts, updates and deletes in each
 * table (`n_tup_ins`…), and since version 15 (statistics in shared memory) a
 * session publishes its counts as it ends, before it leaves
 * `pg_stat_activity`; older servers get every table counted. Once the load's sessions have left, a verified
 * table without inheritance children that had exactly the backup's number of
 * rows inserted, none updated or deleted, and as many live rows (no TRUNCATE
 * since), holds that many rows — with
 * `--exit-on-error` and `ON_ERROR_STOP` any insert that did not commit failed
 * the load. Those tables are not read again.
 *
 * Every other table is counted with count(*): a count that differs (the
 * statistics are off or were reset), a table with children (its count
 * includes theirs), one the backup says is empty — and every table while
 * another session is still connected (its counts may not be published yet). So the
 * statistics can spare a count(*) but never pass a wrong one: a table whose
 * rows differ from the backup's is always read.
 */
export class RestoreCounts {
  readonly #into: PgTarget;
  readonly #expected: Record<string, number>;
  readonly #parallel: number;
  readonly #sessionsGoneWithinMs: number;
  /** Tables whose count the load's insert statistics gave. */
  fromStatistics = 0;

  /** `parallel`: connections counting at once, for the tables the statistics do not settle. */
  constructor(into: PgTarget, expected: Record<string, number>, parallel: number, opts: { sessionsGoneWithinMs?: number } = {}) {
    this.#into = into;
    this.#expected = expected;
    this.#parallel = Math.max(1, parallel);
    this.#sessionsGoneWithinMs = opts.sessionsGoneWithinMs ?? SESSIONS_GONE_WITHIN_MS;
  }

  /** Once the load has ended: every verified table's rows, compared with the backup's. */
  async counted(): Promise<RestoreCheck[]> {
    const tables = Object.keys(this.#expected);
    const actual = new Map<string, number>();
    const client = await connect(this.#into);
    try {
      // Only ever spares a count: while another session is connected, or when the statistics cannot be read, every table is counted.
      const inserted = await sessionsGone(client, this.#sessionsGoneWithinMs)
        .then((gone) => (gone ? insertedOnly(client, tables) : new Map<string, number>()))
        .catch(() => new Map<string, number>());
      for (const [name, rows] of inserted) {
        if (rows > 0 && rows === this.#expected[name]) actual.set(name, rows);
      }
      this.fromStatistics = actual.size;
      const left = tables.filter((name) => !actual.has(name));
      // The first connection counts too; more only when there is more than one table to count.
      const opened = await Promise.allSettled(Array.from({ length: Math.min(this.#parallel, left.length) - 1 }, () => connect(this.#into)));
      const more = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      try {
        // One that could not connect fails the count, after those that did are closed (the database is dropped next).
        const failed = opened.find((o) => o.status === 'rejected');
        if (failed) throw failed.reason;
        await Promise.all(
          [client, ...more].map(async (c) => {
            for (let name = left.shift(); name !== undefined; name = left.shift()) {
              actual.set(name, (await exactCounts(c, [name], this.#into.database))[name]!);
            }
          }),
        );
      } finally {
        await Promise.all(more.map((c) => c.end().catch(() => undefined)));
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    return tables.map((name) => ({ name: `rows in ${name}`, expected: this.#expected[name]!, actual: actual.get(name)!, ok: this.#expected[name] === actual.get(name) }));
  }
}

/**
 * Whether every other session of this database (but autovacuum's, which
 * publishes as it goes) left within `withinMs`: a session publishes its
 * counts before it leaves, and may hold them back up to a second before.
 */
async function sessionsGone(client: pg.Client, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const others = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type <> 'autovacuum worker'`,
    );
    if (others.rows[0]!.n === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Rows inserted into each table that exists, has no inheritance children,
 * had no row updated or deleted and was not truncated since (its live rows
 * are the rows inserted), by the server's cumulative statistics (0 where it
 * keeps none). Live rows are an estimate once the table has been analyzed:
 * then they seldom equal the rows inserted, and the table is counted.
 */
async function insertedOnly(client: pg.Client, tables: string[]): Promise<Map<string, number>> {
  // Before 15, counts went to a collector process over UDP, late and sometimes lost: published is not known.
  const version = await client.query<{ n: number }>(`SELECT current_setting('server_version_num')::int AS n`);
  if (version.rows[0]!.n < 150000) return new Map();
  // A fresh read of the statistics, not a snapshot this session took earlier.
  await client.query('SELECT pg_stat_clear_snapshot()');
  const result = await client.query<{ i: number; inserted: string }>(
    `SELECT t.i, pg_stat_get_tuples_inserted(c.oid)::text AS inserted
       FROM unnest($1::text[]) WITH ORDINALITY AS t(name, i)
       JOIN pg_class c ON c.oid = to_regclass(t.name)
      WHERE c.relkind = 'r'
        AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhparent = c.oid)
        AND pg_stat_get_tuples_updated(c.oid) = 0 AND pg_stat_get_tuples_deleted(c.oid) = 0
        AND pg_stat_get_live_tuples(c.oid) = pg_stat_get_tuples_inserted(c.oid)`,
    [tables.map(quoteQualified)],
  );
  return new Map(result.rows.map((row) => [tables[Number(row.i) - 1]!, Number(row.inserted)]));
}
