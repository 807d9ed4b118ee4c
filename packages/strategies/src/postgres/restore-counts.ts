import { setTimeout as sleep } from 'node:timers/promises';
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
 * With `statistics` (a staging database this restore created, so empty, under
 * a name nobody else knows), a table's rows are what the load inserted.
 * PostgreSQL counts every row a session inserts, updates and deletes in each
 * table (`n_tup_ins`…), and since version 15 (statistics in shared memory) a
 * session publishes its counts as it ends, before it leaves
 * `pg_stat_activity`. Once no other session is connected (any role's, seen or
 * not), a verified plain table — no inheritance children, not a partition
 * other loads may route rows into — that had exactly the backup's number of
 * rows inserted, none updated or deleted, and as many live rows, holds that
 * many rows: with `--exit-on-error` and `ON_ERROR_STOP` any insert that did
 * not commit failed the load. Those tables are not read again.
 *
 * Every other table is counted with count(*): a count that differs
 * (statistics off or reset), a parent or a partition, one the backup says is
 * empty, every table while another session is connected, on servers before
 * 15, and in a database that existed before the restore (others may use it).
 * What this assumes: nobody else wrote into the staging database between the
 * load and the check and left before it (a session with `track_counts` off,
 * which takes a superuser, or a TRUNCATE racing another session's inserts,
 * would not show in the statistics). A writer still connected is always seen.
 */
export class RestoreCounts {
  readonly #into: PgTarget;
  readonly #expected: Record<string, number>;
  readonly #parallel: number;
  readonly #sessionsGoneWithinMs: number;
  readonly #statistics: boolean;
  /** Tables whose count the load's insert statistics gave. */
  fromStatistics = 0;

  /** `parallel`: connections counting at once, for the tables the statistics do not settle. */
  constructor(into: PgTarget, expected: Record<string, number>, parallel: number, opts: { sessionsGoneWithinMs?: number; statistics?: boolean } = {}) {
    this.#statistics = opts.statistics ?? true;
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
      const inserted = this.#statistics
        ? await statisticsPublished(client, this.#sessionsGoneWithinMs)
            .then((published) => (published ? insertedOnly(client, tables) : new Map<string, number>()))
            .catch(() => new Map<string, number>())
        : new Map<string, number>();
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
 * Whether the server publishes a session's counts as it ends (15 and later:
 * before that, counts went to a collector over UDP, late and sometimes lost)
 * and every other session of this database (but autovacuum's, which publishes
 * as it goes) left within `withinMs`: a session may hold its counts back up to
 * a second while it is connected.
 */
async function statisticsPublished(client: pg.Client, withinMs: number): Promise<boolean> {
  const version = await client.query<{ n: number }>(`SELECT current_setting('server_version_num')::int AS n`);
  if (version.rows[0]!.n < 150000) return false;
  const deadline = Date.now() + withinMs;
  for (;;) {
    // Another role's session shows its row but not its backend_type (NULL) unless we may see its details: it counts too.
    const others = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type IS DISTINCT FROM 'autovacuum worker'`,
    );
    if (others.rows[0]!.n === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(10);
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
  // A fresh read of the statistics, not a snapshot this session took earlier.
  await client.query('SELECT pg_stat_clear_snapshot()');
  const result = await client.query<{ i: number; inserted: string }>(
    `SELECT t.i, pg_stat_get_tuples_inserted(c.oid)::text AS inserted
       FROM unnest($1::text[]) WITH ORDINALITY AS t(name, i)
       JOIN pg_class c ON c.oid = to_regclass(t.name)
      WHERE c.relkind = 'r' AND NOT c.relispartition
        AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhparent = c.oid)
        AND pg_stat_get_tuples_updated(c.oid) = 0 AND pg_stat_get_tuples_deleted(c.oid) = 0
        AND pg_stat_get_live_tuples(c.oid) = pg_stat_get_tuples_inserted(c.oid)`,
    [tables.map(quoteQualified)],
  );
  return new Map(result.rows.map((row) => [tables[Number(row.i) - 1]!, Number(row.inserted)]));
}
