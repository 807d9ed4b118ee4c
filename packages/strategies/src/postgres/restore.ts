import { randomBytes } from 'node:crypto';
import { LifeboatError, UsageError, describeError, isSecretRef, spawnSink, type PreparedRestore, type RestoreCheck, type RestoreContext, type RestoreOutcome } from '@lifeboat/core';
import type pg from 'pg';
import { ARTIFACT } from './artifact.js';
import type { PostgresConfig } from './config.js';
import type { PostgresRestoreOptions } from './restore-surface.js';
import { connect, pgTarget, quoteIdent, withDatabase, type PgTarget } from './connection.js';
import { userRelationCount } from './facts.js';
import { RestoreCounts } from './restore-counts.js';
import { restoreSession } from './restore-session.js';
import { toolPath } from './tools.js';
import { streamInto } from './stream-into.js';
import { pointRequestOf } from './point-request.js';
import { preflightPoint, restoreToPoint } from './point-restore.js';
import { preflightTables, restoreTables, reviewTables, tableRequest } from './table-restore/index.js';

/**
 * Restores into the database named by --to. A missing database, or one that
 * holds anything (which needs --clean --yes), is never touched until the
 * restore has succeeded: the backup is restored into a staging database on
 * the same server, its row counts compared with those recorded at backup
 * time, and only then are names swapped (the old database is dropped last).
 * A restore that fails at any step drops the staging database and leaves the
 * target as it was. An existing empty database is restored into directly.
 */
export async function restorePostgres(ctx: RestoreContext<PostgresConfig>): Promise<RestoreOutcome> {
  if (pointRequestOf(ctx.component, ctx.planFile, ctx.config, ctx.request)) return restoreToPoint(ctx);
  const tables = tableRequest(ctx.request);
  if (tables) return restoreTables(ctx, tables);
  const { config, request, manifest } = ctx;
  const facts = manifest.facts as { format?: 'custom' | 'plain'; tables?: Record<string, number>; encoding?: string };
  const format = facts.format ?? (manifest.artifacts.some((a) => a.name === ARTIFACT.plain) ? 'plain' : 'custom');
  // Created while the copy was proven (preparePostgres); from here on this restore drops it unless it becomes the target.
  let staging = (ctx.prepared as PreparedStaging | undefined)?.staging;
  let swapped = false;
  let admin: pg.Client | undefined;
  try {
    const target = await resolveTarget(ctx);
    admin = await connect(withDatabase(target, 'postgres'));
    const { exists, relations } = await inspectTarget(admin, target);
    refuseUnconfirmed(request, target, relations);
    // A staging database this restore made (`staged`) loads with asynchronous commits and its counts may come from the
    // load's statistics. An existing empty database keeps its own commits synchronous, and others may use it: counted.
    const load = async (into: PgTarget, staged: boolean) => {
      const pgoptions = await restoreSession(admin!, { maintenanceWorkMem: config.restore.maintenanceWorkMem, asyncCommit: staged, inherited: ctx.env.PGOPTIONS });
      return restoreInto(ctx, into, format, facts.tables ?? {}, pgoptions, staged);
    };
    if (exists && relations === 0) return { target: target.display, checks: await load(target, false) };
    if (exists) await refuseSessions(admin, target);
    staging ??= await createStaging(ctx, admin, target);
    // The rename that makes it visible commits synchronously (swapInto), flushing every commit of the load before it.
    const checks = await load(staging, true);
    if (checks.some((c) => !c.ok)) return { target: target.display, checks, untouched: true };
    await swapInto(ctx, admin, staging, target, exists);
    swapped = true;
    return { target: target.display, checks };
  } finally {
    if (staging && !swapped) await dropStaging(ctx, admin, staging);
    await admin?.end().catch(() => undefined);
  }
}

/** The staging database `preparePostgres` made. */
interface PreparedStaging extends PreparedRestore {
  staging: PgTarget;
}

/**
 * While the copy is being proven: creates the empty staging database a
 * restore into a missing or non-empty database needs (nobody sees it; the
 * engine drops it through `discard` if the restore does not start). Point
 * and table restores, and an existing empty target, need none.
 */
export async function preparePostgres(ctx: RestoreContext<PostgresConfig>): Promise<PreparedRestore | undefined> {
  if (pointRequestOf(ctx.component, ctx.planFile, ctx.config, ctx.request) || tableRequest(ctx.request)) return undefined;
  const target = await resolveTarget(ctx);
  const admin = await connect(withDatabase(target, 'postgres'));
  try {
    const { exists, relations } = await inspectTarget(admin, target);
    if (exists && relations === 0) return undefined;
    const staging = await createStaging(ctx, admin, target);
    const prepared: PreparedStaging = { staging, discard: () => dropStaging(ctx, undefined, staging) };
    return prepared;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** `CREATE DATABASE <target>_lifeboat_restore_<hex>` from template0, in the backup's encoding. */
async function createStaging(ctx: RestoreContext<PostgresConfig>, admin: pg.Client, target: PgTarget): Promise<PgTarget> {
  const facts = ctx.manifest.facts as { encoding?: string };
  const staging = withDatabase(target, stagingName(target.database, 'restore'));
  ctx.step(`creating database ${staging.database} to restore into (${target.database} is left as it is until the restore has succeeded)`);
  const enc = facts.encoding && /^[A-Za-z0-9_]+$/.test(facts.encoding) ? ` ENCODING '${facts.encoding}'` : '';
  await admin.query(`CREATE DATABASE ${quoteIdent(staging.database)} TEMPLATE template0${enc}`);
  return staging;
}

/** Drops a staging database (on `admin`, or a connection of its own); a failure to is a warning that says to drop it by hand. */
async function dropStaging(ctx: RestoreContext<PostgresConfig>, admin: pg.Client | undefined, staging: PgTarget): Promise<void> {
  const warn = (err: unknown) => ctx.warn(`could not drop the staging database ${staging.database}: ${describeError(err)}; drop it by hand`);
  let own: pg.Client | undefined;
  try {
    own = admin ? undefined : await connect(withDatabase(staging, 'postgres'));
    await (admin ?? own)!.query(`DROP DATABASE IF EXISTS ${quoteIdent(staging.database)}`);
  } catch (err) {
    warn(err);
  } finally {
    await own?.end().catch(() => undefined);
  }
}

/**
 * pg_restore (--jobs N from the verified local file) or a single-transaction
 * stream into `into`, then the row counts of the verified tables compared
 * with the backup's (RestoreCounts: from the load's own insert statistics
 * where they match, else count(*)).
 */
async function restoreInto(
  ctx: RestoreContext<PostgresConfig>,
  into: PgTarget,
  format: 'custom' | 'plain',
  expected: Record<string, number>,
  pgoptions: string,
  /** `into` is a staging database this restore created: its load's statistics may spare counts. */
  staged: boolean,
): Promise<RestoreCheck[]> {
  const { config, request } = ctx;
  const env = { ...ctx.env, ...into.childEnv, ...(pgoptions ? { PGOPTIONS: pgoptions } : {}) };
  const jobs = (request.options as PostgresRestoreOptions).jobs ?? config.jobs;
  const name = ARTIFACT[format];
  const started = Date.now();
  if (format === 'custom' && jobs > 1) {
    // Parallel pg_restore needs a seekable file its workers reopen by name: the verified content, on local disk.
    const local = await ctx.localFile(name);
    try {
      ctx.step(`pg_restore --jobs=${jobs} into ${into.display}`);
      const args = ['--exit-on-error', '--no-password', `--jobs=${jobs}`, `--dbname=${into.database}`, local.path];
      const restore = spawnSink(toolPath('pg_restore', config.binDir), args, { env, signal: ctx.signal });
      restore.stdin.end();
      await restore.done;
      // What pg_restore read is what was verified (the stored file, read in place, was not written to meanwhile).
      await local.unchanged();
    } finally {
      await local.release();
    }
  } else {
    const [tool, args] =
      format === 'custom'
        ? (['pg_restore', ['--exit-on-error', '--no-password', '--single-transaction', `--dbname=${into.database}`]] as const)
        : (['psql', ['--no-psqlrc', '--quiet', '--no-password', '--single-transaction', '--set=ON_ERROR_STOP=1', `--dbname=${into.database}`]] as const);
    ctx.step(`${tool} (single transaction) into ${into.display}`);
    await streamInto(await ctx.open(name), spawnSink(toolPath(tool, config.binDir), [...args], { env, signal: ctx.signal }));
  }
  const restored = Date.now();
  const tables = Object.keys(expected).length;
  if (tables === 0) return [];
  ctx.step(`comparing row counts of ${tables} table(s) with the backup`);
  // Counting is read-only: two connections at least, even after a single-transaction restore.
  const counts = new RestoreCounts(into, expected, Math.max(2, jobs), { statistics: staged });
  const checks = await counts.counted();
  ctx.step(
    `row counts: ${counts.fromStatistics} of ${tables} table(s) from the restore's insert statistics, ${tables - counts.fromStatistics} counted; ` +
      `restore ${seconds(restored - started)}, counts after it ${seconds(Date.now() - restored)}`,
  );
  return checks;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * Puts the restored staging database under the target's name: the old one is
 * renamed aside first and dropped only once the new one has its name; if the
 * second rename fails the old one gets its name back.
 */
async function swapInto(ctx: RestoreContext<PostgresConfig>, admin: pg.Client, staging: PgTarget, target: PgTarget, exists: boolean): Promise<void> {
  if (!exists) {
    await admin.query(`ALTER DATABASE ${quoteIdent(staging.database)} RENAME TO ${quoteIdent(target.database)}`);
    ctx.step(`renamed ${staging.database} to ${target.database}`);
    return;
  }
  await refuseSessions(admin, target);
  const owner = (await admin.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [target.database])).rows[0]?.owner;
  const aside = stagingName(target.database, 'old');
  ctx.step(`swapping: ${target.database} → ${aside}, ${staging.database} → ${target.database}`);
  await admin.query(`ALTER DATABASE ${quoteIdent(target.database)} RENAME TO ${quoteIdent(aside)}`);
  try {
    await admin.query(`ALTER DATABASE ${quoteIdent(staging.database)} RENAME TO ${quoteIdent(target.database)}`);
  } catch (err) {
    await admin.query(`ALTER DATABASE ${quoteIdent(aside)} RENAME TO ${quoteIdent(target.database)}`);
    throw err;
  }
  if (owner) {
    await admin.query(`ALTER DATABASE ${quoteIdent(target.database)} OWNER TO ${quoteIdent(owner)}`).catch((err: unknown) =>
      ctx.warn(`the restored ${target.database} is owned by ${target.user}, not ${owner} as before: ${describeError(err)}`),
    );
  }
  ctx.step(`dropping the previous database (${aside})`);
  await admin.query(`DROP DATABASE ${quoteIdent(aside)}`).catch((err: unknown) =>
    ctx.warn(`the previous database is left as ${aside}: ${describeError(err)}; drop it when you no longer need it`),
  );
}

/** Others connected to the target block the swap (and would see it change under them). */
async function refuseSessions(admin: pg.Client, target: PgTarget): Promise<void> {
  const others = await admin.query<{ n: string }>('SELECT count(*)::bigint AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [target.database]);
  const sessions = Number(others.rows[0]!.n);
  if (sessions > 0) {
    throw new LifeboatError(
      `${sessions} other session(s) are connected to ${target.database}; stop the services that use it (hooks.beforeRestore) and try again; ${target.database} was left as it was`,
    );
  }
}

/** `<database>_lifeboat_<what>_<hex>`, within PostgreSQL's 63-byte names. */
function stagingName(database: string, what: 'restore' | 'old'): string {
  const suffix = `_lifeboat_${what}_${randomBytes(3).toString('hex')}`;
  let base = database;
  while (Buffer.byteLength(base + suffix) > 63) base = base.slice(0, -1);
  return base + suffix;
}

async function resolveTarget(ctx: RestoreContext<PostgresConfig>): Promise<PgTarget> {
  const raw = ctx.request.target;
  if (!raw) throw new UsageError('restore of a postgres component needs --to <postgres URL | env:NAME>');
  if (!isSecretRef(raw) && /^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(raw)) {
    throw new UsageError('--to holds a password, which would show in the process list; put the URL in an environment variable and pass --to env:NAME');
  }
  const url = await ctx.secrets.resolve(raw, '--to');
  return pgTarget(url, '--to');
}

/** What the target database holds now: missing, empty, or `relations` tables, views or sequences. */
async function inspectTarget(admin: pg.Client, target: PgTarget): Promise<{ exists: boolean; relations: number }> {
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.database])).rowCount! > 0;
  if (!exists) return { exists, relations: 0 };
  const db = await connect(target);
  try {
    return { exists, relations: await userRelationCount(db) };
  } finally {
    await db.end();
  }
}

/** A target that holds anything needs --clean --yes; refused before any hook stops a service. */
function refuseUnconfirmed(request: RestoreContext<PostgresConfig>['request'], target: PgTarget, relations: number): void {
  if (relations === 0) return;
  if (!request.clean) {
    throw new UsageError(
      `database ${target.database} on ${target.host}:${target.port} already holds ${relations} tables, views or sequences; pass --clean --yes to drop and recreate it`,
    );
  }
  if (!request.yes) {
    throw new UsageError(`--clean drops database ${target.database} on ${target.host}:${target.port} and everything in it; add --yes to confirm`);
  }
}

/** Runs before the plan's beforeRestore hooks: a bad --to or a missing --yes changes nothing. */
export async function preflightPostgres(ctx: RestoreContext<PostgresConfig>): Promise<void> {
  const point = pointRequestOf(ctx.component, ctx.planFile, ctx.config, ctx.request);
  if (point) {
    await preflightPoint(ctx, point);
    return;
  }
  const tables = tableRequest(ctx.request);
  if (tables) return preflightTables(ctx, tables);
  const facts = ctx.manifest.facts as { format?: string; baseBackup?: unknown };
  if (facts.baseBackup && !facts.format) {
    throw new UsageError(
      `backup ${ctx.manifest.id} of ${ctx.component} is a base backup without a dump (pitr.dump: false); restore it to a point instead: --to-latest (or --to-time …) with --to-dir DATADIR or --to ephemeral`,
    );
  }
  const target = await resolveTarget(ctx);
  const admin = await connect(withDatabase(target, 'postgres'));
  try {
    refuseUnconfirmed(ctx.request, target, (await inspectTarget(admin, target)).relations);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** After the copy is proven, before any hook or server: a table-level restore checks its tables are in the dump. */
export async function reviewPostgres(ctx: RestoreContext<PostgresConfig>): Promise<void> {
  const tables = tableRequest(ctx.request);
  if (tables) await reviewTables(ctx, tables);
}
