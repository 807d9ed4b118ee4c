import type { RestoreCheck } from '@lifeboat/core';
import { connect, quoteIdent, quoteQualified, type PgTarget } from './connection.js';
import { exactCounts } from './facts.js';

/** `pg_restore --list` line of a table's data: `3334; 0 16390 TABLE DATA public pgbench_accounts postgres`. */
const TOC_DATA = /^(\d+); \d+ \d+ TABLE DATA (\S+) (.+) \S+$/;
/** What parallel `pg_restore --verbose` says once a worker has committed an item. */
const FINISHED_DATA = /finished item (\d+) TABLE DATA /;

/** The `TABLE DATA` items of an archive's table of contents, by dump id: schema and table name. */
export function tableDataItems(toc: string): Map<number, { schema: string; table: string }> {
  const items = new Map<number, { schema: string; table: string }>();
  for (const line of toc.split('\n')) {
    const m = TOC_DATA.exec(line);
    if (m) items.set(Number(m[1]), { schema: m[2]!, table: m[3]! });
  }
  return items;
}

/** The dump id of a `finished item … TABLE DATA` line of parallel pg_restore, else undefined. */
export function finishedDataItem(line: string): number | undefined {
  const m = FINISHED_DATA.exec(line);
  return m ? Number(m[1]) : undefined;
}

/**
 * The exact row counts of the verified tables in a database being restored,
 * taken on up to `parallel` connections at once. A table whose data item
 * parallel pg_restore reports committed (`dataLoaded`) is counted right away,
 * while pg_restore goes on building indexes and constraints: nothing later in
 * a dump adds or removes its rows (triggers are created after the data). A
 * table with inheritance children is left for the end, since its count
 * includes theirs. `counted()` counts what is left once the restore has
 * ended and resolves with every check.
 */
export class RestoreCounts {
  readonly #into: PgTarget;
  readonly #expected: Record<string, number>;
  readonly #parallel: number;
  /** Early counts by verified table: one per data item of that name, undefined when it was another table. */
  readonly #started = new Map<string, Array<Promise<number | undefined>>>();
  #running = 0;
  readonly #queue: Array<() => void> = [];
  /** Tables counted while pg_restore was still running. */
  early = 0;

  constructor(into: PgTarget, expected: Record<string, number>, parallel: number) {
    this.#into = into;
    this.#expected = expected;
    this.#parallel = Math.max(1, parallel);
  }

  /** pg_restore has committed the data of `schema.table`: count it now if it is a verified table without children. */
  dataLoaded(schema: string, table: string): void {
    for (const name of Object.keys(this.#expected)) {
      if (name.split('.').at(-1) !== table) continue;
      // One that fails is counted again at the end.
      const counting = this.#count(name, `${quoteIdent(schema)}.${quoteIdent(table)}`).catch(() => undefined);
      this.#started.set(name, [...(this.#started.get(name) ?? []), counting]);
    }
  }

  /** Counts the tables not counted yet, waits for all, and compares them with the backup's. */
  async counted(): Promise<RestoreCheck[]> {
    const tables = Object.keys(this.#expected);
    const actual = await Promise.all(
      tables.map(async (name) => {
        const early = (await Promise.all(this.#started.get(name) ?? [])).find((n) => n !== undefined);
        if (early !== undefined) {
          this.early++;
          return early;
        }
        return (await this.#count(name))!;
      }),
    );
    return tables.map((name, i) => ({ name: `rows in ${name}`, expected: this.#expected[name]!, actual: actual[i]!, ok: this.#expected[name] === actual[i] }));
  }

  /** Waits for the counts already started: the database must have no session of ours when it is dropped. */
  async idle(): Promise<void> {
    await Promise.all([...this.#started.values()].flat());
  }

  /**
   * Counts `name`; with `loaded` (the quoted table pg_restore reported) only
   * when `name` is that very table and has no inheritance children: else
   * undefined, and the table is counted at the end.
   */
  async #count(name: string, loaded?: string): Promise<number | undefined> {
    await this.#slot();
    try {
      // While pg_restore runs, a count takes one core, not parallel workers that would slow its index builds.
      const client = await connect(this.#into, loaded ? { max_parallel_workers_per_gather: '0' } : {});
      try {
        if (loaded) {
          const same = await client.query<{ ok: boolean }>(
            'SELECT to_regclass($1) = to_regclass($2) AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = to_regclass($2)) AS ok',
            [loaded, quoteQualified(name)],
          );
          if (!same.rows[0]?.ok) return undefined;
        }
        return (await exactCounts(client, [name], this.#into.database))[name]!;
      } finally {
        await client.end().catch(() => undefined);
      }
    } finally {
      this.#release();
    }
  }

  async #slot(): Promise<void> {
    if (this.#running < this.#parallel) {
      this.#running++;
      return;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#running--;
  }
}
