import { execFileSync } from 'node:child_process';
import { chown, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEphemeralPostgres, type EphemeralPostgres } from '@lifeboat/ephemeral';
import pg from 'pg';

/**
 * A PostgreSQL 15 archiving with a real `lifeboat wal push`, and the waits
 * around it (a segment closed, archived, the archiver idle): for the runner's
 * and the TUI's PITR tests. The CLI is the built runner (`pnpm build` first).
 */

/** The OS user the test server runs as (root runs it as `postgres`). */
export function serverOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
}

/** A folder the server's OS user may write in (its archive_command writes the archive there). */
export async function sharedDir(prefix = 'lifeboat-wal-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const owner = serverOwner();
  if (owner) await chown(dir, owner.uid, owner.gid);
  return dir;
}

/** A PostgreSQL 15 archiving every WAL file with `cli` (the built runner's bin.js) `wal push` into the plan's destinations. */
export async function startArchivingPostgres(opts: { cli: string; planFile: string; component?: string }): Promise<EphemeralPostgres> {
  // wal push's host locks in a folder of the server's own, removed with it (not lifeboat-locks-<uid> in TMPDIR, kept for good).
  const locks = await sharedDir('lifeboat-archiver-locks-');
  try {
    const server = await startEphemeralPostgres({
      path: process.env.PATH,
      settings: {
        archive_mode: 'on',
        archive_command: `LIFEBOAT_LOCK_DIR=${locks} ${process.execPath} ${opts.cli} --plan ${opts.planFile} wal push ${opts.component ?? 'database'} %p`,
      },
    });
    return { ...server, stop: () => server.stop().then(() => rm(locks, { recursive: true, force: true })) };
  } catch (err) {
    await rm(locks, { recursive: true, force: true });
    throw err;
  }
}

export async function query<T extends pg.QueryResultRow>(server: EphemeralPostgres, sql: string): Promise<T[]> {
  const client = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The server's clock now, as `--to-time` takes it (UTC, microseconds, `+00`): a point between two writes. */
export async function serverTime(server: EphemeralPostgres): Promise<string> {
  const rows = await query<{ t: string }>(server, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t");
  return rows[0]!.t;
}

/**
 * Writes some rows and switches to a new segment; resolves the name of the
 * segment it closed. The name comes from pg_switch_wal()'s own answer: the
 * test servers run with synchronous_commit off, so pg_current_wal_lsn() (the
 * write position) may still be at the previous switch and name the segment
 * before.
 */
export async function closeSegment(server: EphemeralPostgres): Promise<string> {
  await query(server, 'CREATE TABLE IF NOT EXISTS churn (id serial, v text)');
  await query(server, 'INSERT INTO churn (v) SELECT md5(g::text) FROM generate_series(1, 200) g');
  const rows = await query<{ file: string }>(server, 'SELECT pg_walfile_name(pg_switch_wal()) AS file');
  return rows[0]!.file;
}

/**
 * Waits until PostgreSQL itself has finished archiving up to `file`: its
 * archiver reports it and no segment waits (`.ready`). Lifeboat's entry
 * appearing is not enough — the archiver records success only once the push
 * has exited 0, and may retry a push in between.
 */
export async function archiverDone(server: EphemeralPostgres, file: string): Promise<void> {
  await until(`the archiver has archived ${file} and has nothing waiting`, async () => {
    const [row] = await query<{ last: string | null; ready: number }>(
      server,
      "SELECT last_archived_wal AS last, (SELECT count(*) FROM pg_ls_dir('pg_wal/archive_status') f WHERE f LIKE '%.ready')::int AS ready FROM pg_stat_archiver",
    );
    return row && row.ready === 0 && row.last !== null && row.last >= file ? true : undefined;
  });
}

/** Waits (deadline, no sleep-and-hope) until `check` holds. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = 60_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The entry file of `file` in an fs destination, once it is there. */
export async function archivedEntry(destination: string, component: string, file: string): Promise<{ path: string; entry: Record<string, unknown> } | undefined> {
  const base = join(destination, 'wal', component);
  let clusters: string[];
  try {
    clusters = (await readdir(base)).filter((n) => /^\d+$/.test(n));
  } catch {
    return undefined;
  }
  for (const cluster of clusters) {
    const path = join(base, cluster, file.slice(0, 8), `${file}.json`);
    try {
      return { path, entry: JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown> };
    } catch {
      // not there (yet)
    }
  }
  return undefined;
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Closes a segment and waits until it is in `archive` (an fs destination): the
 * archive's folders are then made by the server's OS user, as on a host where
 * archive_command writes before anything else does.
 */
export async function firstArchived(server: EphemeralPostgres, archive: string, component = 'database'): Promise<string> {
  const first = await closeSegment(server);
  await until(`${first} archived`, () => archivedEntry(archive, component, first));
  return first;
}
